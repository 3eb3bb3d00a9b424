import { expect, test } from "@playwright/test";
import { ADMIN, environmentOnDataPrometheus, hydrated, login, recordContainerSeries, stack } from "./helpers";

test("dashboards: create from a template, edit graphs, filter by a variable, one request per refresh, delete", async ({ page }) => {
  const s = stack();
  test.skip(!s && process.env.GEMSCOPE_TEST_REQUIRE_REAL !== "1", "no Prometheus here");
  await login(page, ADMIN.username, ADMIN.password);
  await recordContainerSeries(page, s!);
  const w = await environmentOnDataPrometheus(page, s!, "shop");

  await page.click("nav >> text=Dashboards");
  await page.getByTestId("dashboard-env").selectOption(String(w.env));
  await expect(page).toHaveURL(new RegExp(`env=${w.env}`));

  // From the preset template: its graphs and its variable come along.
  const create = page.getByTestId("new-dashboard");
  await create.locator("summary").click();
  await create.locator("input[name=dashboard-name]").fill("workload");
  await create.locator("select[name=dashboard-template]").selectOption("Workload containers");
  await create.locator("button[type=submit]").click();
  await expect(page).toHaveURL(/d=\d+/);
  const dash = page.getByTestId("dashboard");
  await expect(page.getByTestId("dashboard-tabs")).toContainText("workload");
  await expect(dash.getByTestId("dashboard-variable")).toHaveAttribute("data-name", "workload");
  expect(await dash.getByTestId("panel").count()).toBeGreaterThan(3);
  await expect(dash.getByTestId("panel").first().locator(".chart svg").first()).toBeVisible();

  // Edit: keep one template panel and add a raw one, with a variable on pod.
  await dash.getByTestId("dashboard-edit").click();
  const form = dash.getByTestId("dashboard-form");
  const graphs = form.getByTestId("graphs").locator("li.graph");
  while ((await graphs.count()) > 1) {
    await graphs.last().locator("button.danger").click();
  }
  await form.getByTestId("add-graph").click();
  await graphs.nth(1).locator("input[name=graph-name]").fill("Raw CPU");
  await graphs.nth(1).locator("textarea[name=graph-targets]").fill("gems_container_cpu_usage_cores");
  await form.getByTestId("add-graph").click();
  await graphs.nth(2).locator("input[name=graph-name]").fill("Broken");
  await graphs.nth(2).locator("textarea[name=graph-targets]").fill('label_replace(up, "a", "$1", "b", "(")');
  await form.locator("input[name=dashboard-variables]").fill("pod");
  await form.getByTestId("dashboard-save").click();

  const panels = page.getByTestId("dashboard").getByTestId("panel");
  await expect(panels).toHaveCount(3);
  // One failing panel shows its own error; the others draw.
  await expect(panels.nth(2).getByTestId("panel-error")).toContainText("Prometheus");
  await expect(panels.nth(1).getByTestId("chart")).toHaveAttribute("data-series", "2");

  // Choosing a variable value refreshes every panel with one request.
  const queries: string[] = [];
  page.on("request", (r) => {
    if (r.url().includes("/api/dashboards/query")) queries.push(r.url());
  });
  const variable = page.getByTestId("dashboard").getByTestId("dashboard-variable");
  await expect(variable.locator("option[value=web-2]")).toHaveCount(1);
  await expect(variable.locator("option[value=db-1]")).toHaveCount(0);
  await variable.selectOption("web-2");
  await expect(panels.nth(1).getByTestId("chart")).toHaveAttribute("data-series", "1");
  expect(queries.length).toBe(1);

  await expect(page).toHaveURL(/&var-pod=web-2$/);

  await page.getByTestId("dashboard-refresh-now").click();
  await expect.poll(() => queries.length).toBe(2);

  // An absolute range: "custom" starts from the current window, and the link keeps it.
  await page.getByTestId("dashboard-range").selectOption("custom");
  await expect(page).toHaveURL(/&range=\d+\.\.\d+&var-pod=web-2$/);
  await expect(page.getByTestId("dashboard").getByTestId("from")).toBeVisible();
  await expect.poll(() => queries.length).toBe(3);
  await page.getByTestId("dashboard-range").selectOption("15m");
  await expect(page).toHaveURL(/&range=15m&var-pod=web-2$/);

  // A reload renders the dashboard again from the link: same range and variable value.
  await page.reload();
  await hydrated(page);
  await expect(panels).toHaveCount(3);
  await expect(page.getByTestId("dashboard-range")).toHaveValue("15m");
  await expect(variable).toHaveValue("web-2");
  await expect(panels.nth(1).getByTestId("chart")).toHaveAttribute("data-series", "1");
  await test.info().attach("dashboard", { body: await page.screenshot({ fullPage: true }), contentType: "image/png" });

  await page.getByTestId("dashboard").getByTestId("dashboard-delete").locator("button").first().click();
  // Escape closes the question and deletes nothing; the second time it is confirmed.
  await expect(page.getByRole("dialog")).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(page.getByRole("dialog")).toHaveCount(0);
  await expect(page.getByTestId("dashboard")).toHaveCount(1);
  await page.getByTestId("dashboard").getByTestId("dashboard-delete").locator("button").first().click();
  await page.getByRole("dialog").getByTestId("confirm").click();
  await expect(page.getByTestId("dashboard")).toHaveCount(0);
  await expect(page.getByTestId("dashboard-tabs")).not.toContainText("workload");
});
