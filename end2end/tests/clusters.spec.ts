import { expect, test } from "@playwright/test";
import { readFileSync, existsSync } from "node:fs";
import { ADMIN, login, uniq } from "./helpers";

const port = Number(process.env.GEMSCOPE_E2E_PORT ?? 3210);
const stackFile = `/tmp/gemscope-e2e-${port}/stack.json`;

test("a standalone cluster against real Prometheus and Alertmanager shows healthy, then unreachable", async ({ page }) => {
  test.skip(!existsSync(stackFile) && process.env.GEMSCOPE_TEST_REQUIRE_REAL !== "1", "no Prometheus here");
  const stack = JSON.parse(readFileSync(stackFile, "utf8"));
  const name = uniq("local");
  await login(page, ADMIN.username, ADMIN.password);
  await page.click("nav >> text=Clusters");
  const form = page.getByTestId("cluster-form");
  await form.locator("#f-name").fill(name);
  await form.locator("select[name=kind]").selectOption("standalone");
  await form.locator("#f-settings-prometheus_url").fill(stack.prometheus_url);
  await form.locator("#f-settings-alertmanager_url").fill(stack.alertmanager_url);
  await form.locator("button[type=submit]").click();
  const row = page.getByTestId("clusters").locator("tr", { hasText: name });
  await expect(row).toContainText("not tested yet");

  await row.getByRole("button", { name: "Test connection" }).click();
  await expect(row.getByTestId("cluster-status")).toContainText("reachable");
  await expect(row.getByTestId("cluster-status")).not.toContainText("unreachable");
  await expect(row.getByTestId("cluster-status")).toContainText("prometheus: 2.");
  await expect(row.getByTestId("cluster-status")).toContainText("alertmanager: 0.");

  // The detail page shows the same state and the settings.
  await row.locator(`a:text-is("${name}")`).click();
  await expect(page.locator("h1")).toContainText(name);
  await expect(page.getByTestId("cluster-settings")).toContainText(stack.prometheus_url);
  await expect(page.getByTestId("cluster-status")).toContainText("reachable");
  await page.click("nav >> text=Clusters");

  // Prepare writes Gemscope's recording rules into the directory Prometheus loads.
  const prepName = uniq("prep");
  await form.locator("#f-name").fill(prepName);
  await form.locator("select[name=kind]").selectOption("standalone");
  await form.locator("#f-settings-prometheus_url").fill(stack.prometheus_url);
  await form.locator("#f-settings-rules_dir").fill(stack.rules_dir);
  await form.locator("button[type=submit]").click();
  const prow = page.getByTestId("clusters").locator("tr", { hasText: prepName });
  await prow.getByRole("button", { name: "Prepare" }).click();
  await expect(page.getByTestId("prepare-result")).toContainText("gemscope-recording-rules (prometheus): written");
  await expect(prow.getByTestId("prepared")).toContainText("gemscope-recording-rules (prometheus): current");
  const rules = await (await page.request.get(`${stack.prometheus_url}/api/v1/rules`)).json();
  expect(rules.data.groups.map((g: any) => g.name)).toContain("gems-node");

  process.kill(stack.prometheus_pid, "SIGTERM");
  await expect
    .poll(async () => {
      await row.getByRole("button", { name: "Test connection" }).click();
      return row.getByTestId("cluster-status").innerText();
    }, { timeout: 15_000 })
    .toContain("unreachable");
  await expect(row.getByTestId("cluster-status")).toContainText("prometheus: error");
});
