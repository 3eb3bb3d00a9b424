import { expect, test } from "@playwright/test";
import { ADMIN, login, uniq } from "./helpers";

test("template catalogue: browse the tree, an invalid expression is refused, fixed, saved and found", async ({ page }) => {
  await login(page, ADMIN.username, ADMIN.password);
  const tenant = uniq("tpl");
  const created = await page.request.post("/api/tenants/create", { data: { name: tenant, description: "" } });
  expect(created.ok(), await created.text()).toBeTruthy();

  await page.click("nav >> text=Templates");
  const tree = page.getByTestId("template-tree");
  // Presets are seeded at start: scope → resource → rule.
  await tree.locator("summary", { hasText: "system · System" }).click();
  await tree.locator("summary", { hasText: "node · Node" }).click();
  await expect(tree.locator("tr[data-key='system.node.cpuUsagePercent']")).toBeVisible();
  await expect(tree.locator("tr[data-key='system.node.cpuUsagePercent']")).toContainText("gems_node_cpu_usage_percent");

  // A rule of the tenant, with a broken expression first.
  await page.locator("select[name=owner]").selectOption({ label: tenant });
  const form = page.getByTestId("rule-form");
  await form.locator("select[name=resource_id]").selectOption({ label: "containers / container" });
  const name = `queue_${Date.now().toString(36)}`;
  await form.locator("#f-name").fill(name);
  await form.locator("#f-expr").fill("sum(rate(jobs_total[5m])");
  await expect(form.getByTestId("expr-check")).toContainText("not valid PromQL");
  await form.locator("button[type=submit]").click();
  await expect(form.locator("#f-expr")).toHaveAttribute("aria-invalid", "true");
  await expect(form).toContainText("not valid PromQL");

  await form.locator("#f-expr").fill("sum(rate(jobs_total[5m])) by (namespace, pod)");
  await expect(form.getByTestId("expr-check")).toContainText("Valid PromQL");
  await form.locator("select[name=unit]").selectOption("short");
  await form.locator("#f-labels").fill("namespace, pod");
  await form.locator("button[type=submit]").click();
  await expect(form.locator("#f-name")).toHaveValue("");

  // Found by search, in the tenant's view only.
  await page.locator("input[name=template-search]").fill(name);
  const row = tree.locator(`tr[data-key='containers.container.${name}']`);
  await expect(row).toBeVisible();
  await expect(row).toContainText("jobs_total");
  await page.locator("select[name=owner]").selectOption({ label: "Presets" });
  await expect(tree).toContainText("Nothing found.");
});
