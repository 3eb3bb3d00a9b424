import { expect, test } from "@playwright/test";
import { ADMIN, hydrated, login, uniq } from "./helpers";

/** The security review's visible parts: pages run under a strict Content-Security-Policy (and
 * still hydrate), a system administrator binding a reserved namespace is warned, history tokens
 * are rotated from the cluster page, and the password form says what a change ends. */
test("reserved namespaces warn, history tokens rotate, and pages hydrate under the CSP", async ({ page }) => {
  const violations: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy|Content-Security-Policy/i.test(m.text())) violations.push(m.text());
  });
  const cluster = uniq("edge");
  const tenant = uniq("team");
  await login(page, ADMIN.username, ADMIN.password);

  await page.click("nav >> text=Clusters");
  const cf = page.getByTestId("cluster-form");
  await cf.locator("#f-name").fill(cluster);
  await cf.locator("select[name=kind]").selectOption("standalone");
  await cf.locator("#f-settings-prometheus_url").fill("http://127.0.0.1:9");
  await cf.locator("button[type=submit]").click();
  const row = page.getByTestId("clusters").locator("tr", { hasText: cluster });
  await row.locator(`a:text-is("${cluster}")`).click();
  await expect(page.locator("h1")).toContainText(cluster);
  await hydrated(page);
  await page.getByTestId("rotate-history-tokens").click();
  await expect(page.getByTestId("rotation-result")).toContainText("the old ones no longer work");

  // A system administrator may bind the monitoring namespace, and is told what it means.
  await page.click("nav >> text=Tenants");
  const tf = page.getByTestId("create-tenant");
  await tf.locator("#f-name").fill(tenant);
  await tf.locator("button[type=submit]").click();
  await page.getByTestId("tenants").locator(`a:text-is("${tenant}")`).click();
  const pf = page.getByTestId("create-project");
  await pf.locator("#f-name").fill("platform");
  await pf.locator("button[type=submit]").click();
  await page.getByTestId("projects").locator(`a:text-is("platform")`).click();
  await expect(page).toHaveURL(/project=\d+/);
  const ef = page.getByTestId("create-environment");
  await ef.locator("#f-name").fill("monitoring");
  await ef.locator("select[name=cluster_id]").selectOption({ label: cluster });
  await ef.locator("#f-namespace").fill("kubegems-monitoring");
  await ef.locator("button[type=submit]").click();
  await expect(page.getByTestId("environment-warning")).toContainText("monitoring namespace");
  await expect(page.getByTestId("environments")).toContainText("kubegems-monitoring");

  await page.goto("/account");
  await hydrated(page);
  await expect(page.getByTestId("password-change-note")).toContainText("revokes your API tokens");
  expect(violations).toEqual([]);
});
