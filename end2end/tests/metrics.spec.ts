import { expect, test } from "@playwright/test";
import { ADMIN, environmentOnDataPrometheus, hydrated, login, recordContainerSeries, stack } from "./helpers";

test("metrics explorer: a template with a suggested label value, chart and table, and a shared link", async ({ page }) => {
  const s = stack();
  test.skip(!s && process.env.GEMSCOPE_TEST_REQUIRE_REAL !== "1", "no Prometheus here");
  await login(page, ADMIN.username, ADMIN.password);
  await recordContainerSeries(page, s!);
  const w = await environmentOnDataPrometheus(page, s!, "shop");

  await page.click("nav >> text=Metrics");
  await expect(page).toHaveURL(/\/explore/);
  const explorer = page.getByTestId("explorer");
  await explorer.getByTestId("target").selectOption(`env-${w.env}`);
  // Cluster-wide scopes are not offered for an environment.
  await expect(explorer.getByTestId("tpl-scope").locator("option[value=system]")).toHaveCount(0);
  await explorer.getByTestId("tpl-scope").selectOption("containers");
  await explorer.getByTestId("tpl-resource").selectOption("container");
  await explorer.getByTestId("tpl-rule").selectOption("cpuUsage");
  await expect(explorer.getByTestId("tpl-hint")).toContainText("gems_container_cpu_usage_cores");

  // A filter on pod: Prometheus suggests the environment's pods only.
  await explorer.getByTestId("add-filter").click();
  const filter = explorer.getByTestId("filter").first();
  await filter.getByTestId("filter-name").fill("pod");
  await filter.getByTestId("filter-op").selectOption("=");
  const list = await filter.getByTestId("filter-value").getAttribute("list");
  await expect(page.locator(`datalist#${list} option`)).toHaveCount(2);
  await expect(page.locator(`datalist#${list} option[value=web-1]`)).toHaveCount(1);
  await expect(page.locator(`datalist#${list} option[value=db-1]`)).toHaveCount(0);
  await filter.getByTestId("filter-value").fill("web-1");
  await explorer.getByTestId("range").selectOption("15m");
  await explorer.getByTestId("run").click();

  await expect(page).toHaveURL(/tpl=containers\.container\.cpuUsage/);
  await expect(page).toHaveURL(/range=15m/);
  const result = page.getByTestId("result");
  await expect(result.getByTestId("query-ran")).toContainText('pod="web-1"');
  await expect(result.getByTestId("query-ran")).toContainText('namespace="shop"');
  await expect(result.getByTestId("chart")).toHaveAttribute("data-series", "1");
  await expect(result.locator(".chart svg").first()).toBeVisible();

  await result.getByTestId("view-table").click();
  await expect(page).toHaveURL(/view=table/);
  const table = result.getByTestId("series-table");
  await expect(table.locator("tbody tr")).toHaveCount(1);
  await expect(table).toContainText('pod="web-1"');
  await expect(table.locator("tbody tr td").nth(1)).toHaveText("0.25");

  const link = page.url();
  // The link alone reproduces the view.
  await page.goto("/");
  await page.goto(link);
  await hydrated(page);
  await expect(page.getByTestId("series-table").locator("tbody tr")).toHaveCount(1);
  await expect(page.getByTestId("explorer").getByTestId("tpl-rule")).toHaveValue("cpuUsage");
  await expect(page.getByTestId("explorer").getByTestId("filter-value")).toHaveValue("web-1");

});

test("metrics explorer: raw PromQL into another namespace is refused next to the query", async ({ page }) => {
  const s = stack();
  test.skip(!s && process.env.GEMSCOPE_TEST_REQUIRE_REAL !== "1", "no Prometheus here");
  await login(page, ADMIN.username, ADMIN.password);
  await recordContainerSeries(page, s!);
  const w = await environmentOnDataPrometheus(page, s!, "shop");
  await page.click("nav >> text=Metrics");
  // Raw PromQL that reaches into another namespace is refused, with the reason next to the query.
  const form = page.getByTestId("explorer");
  await form.getByTestId("target").selectOption(`env-${w.env}`);
  await form.getByTestId("mode-promql").click();
  await form.getByTestId("promql").fill('gems_container_cpu_usage_cores{namespace="other"}');
  await form.getByTestId("run").click();
  await expect(page.getByTestId("query-error")).toContainText("another namespace");
  await expect(page.getByTestId("query-error")).toHaveAttribute("data-field", "expr");

  // Without the matcher the environment's namespace is added: both of its pods.
  await form.getByTestId("promql").fill("gems_container_cpu_usage_cores");
  await form.getByTestId("run").click();
  await expect(page).toHaveURL(/q=gems_container_cpu_usage_cores&/);
  await expect(page.getByTestId("result").getByTestId("chart")).toHaveAttribute("data-series", "2");

  // An absolute range goes into the link as from..to.
  await form.getByTestId("range").selectOption("custom");
  await expect(form.getByTestId("from")).toBeVisible();
  await form.getByTestId("run").click();
  await expect(page).toHaveURL(/range=\d+\.\.\d+/);
  await expect(page.getByTestId("result").getByTestId("chart")).toHaveAttribute("data-series", "2");

  // Opened from a link, the form still reacts to edits: filter to one pod and run.
  const link = page.url();
  await page.goto("/");
  await page.goto(link);
  await hydrated(page);
  await expect(form.getByTestId("range")).toHaveValue("custom");
  await form.getByTestId("promql").fill('gems_container_cpu_usage_cores{pod="web-2"}');
  await page.getByTestId("view-table").click();
  await form.getByTestId("run").click();
  await expect(page).toHaveURL(/pod%3D%22web-2%22|pod%3D"web-2"/);
  await expect(page.getByTestId("series-table").locator("tbody tr")).toHaveCount(1);
  await expect(page.getByTestId("series-table")).toContainText('pod="web-2"');
});
