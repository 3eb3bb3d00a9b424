import { expect, test } from "@playwright/test";
import { readFileSync } from "node:fs";
import { ADMIN, hydrated, login, uniq } from "./helpers";

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
  // The system alert set is listed for administrators, on its own tab.
  await page.getByTestId("template-tabs").getByRole("link", { name: "System alert rules" }).click();
  await expect(page).toHaveURL(/\/templates\/system-rules$/);
  await expect(page.getByTestId("system-alerts")).toContainText("node-not-ready");
  await expect(page.getByTestId("system-alerts")).toContainText("system.node.statusCondition");
  await page.getByTestId("template-tabs").getByRole("link", { name: "PromQL templates" }).click();

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

test("template files: preview, apply with warnings, then find the imported rule", async ({ page }) => {
  await login(page, ADMIN.username, ADMIN.password);
  await page.click("nav >> text=Templates");
  await page.getByTestId("template-tabs").getByRole("link", { name: "Import" }).click();
  await expect(page).toHaveURL(/\/templates\/import-export$/);
  // The catalogue is looked at in a second tab, so the chosen files stay chosen here.
  const other = await page.context().newPage();
  await other.goto("/templates");
  await hydrated(other);
  const scope = `e2e_${Date.now().toString(36)}`;
  const promql = [
    `- name: ${scope}`, "  showName: E2E", "  namespaced: true", "  resources:",
    "  - name: queue", "    showName: Queue", "    rules:",
    "    - name: depth", "      showName: Queue depth", "      expr: sum(jobs_queued) by (namespace)",
    "      unit: short", "      labels: [namespace]", "",
  ].join("\n");
  const consul = readFileSync(`${__dirname}/../testkit/fixtures/kubegems/config/dashboards/consul.yaml`);
  const alerts = "- name: e2e-stray\n  promqlGenerator: {scope: x, resource: y, rule: z, labelMatchers: [{type: '=', name: a, value: b\"}]}\n";
  const panel = page.getByTestId("template-import");
  await panel.getByTestId("import-files").setInputFiles([
    { name: "promql_tpl.yaml", mimeType: "application/yaml", buffer: Buffer.from(promql) },
    { name: "consul.yaml", mimeType: "application/yaml", buffer: consul },
    { name: "system_alert.yaml", mimeType: "application/yaml", buffer: Buffer.from(alerts) },
  ]);
  await expect(panel).toContainText("3 files chosen");
  await panel.getByTestId("import-preview").click();
  const summary = panel.getByTestId("import-summary");
  await expect(summary).toContainText("Would import");
  await expect(summary).toContainText(`${scope}.queue.depth`);
  await expect(panel.getByTestId("import-warnings")).toContainText("stray");
  // The preview wrote nothing.
  await other.locator("input[name=template-search]").fill(`${scope}.queue`);
  await expect(other.getByTestId("template-tree")).toContainText("Nothing found.");

  await panel.getByTestId("import-apply").click();
  await expect(summary).toContainText("Imported");
  await other.reload();
  await hydrated(other);
  await other.locator("input[name=template-search]").fill(`${scope}.queue.dep`);
  await expect(other.getByTestId("template-tree").locator(`tr[data-key='${scope}.queue.depth']`)).toBeVisible();
  await other.getByTestId("template-tabs").getByRole("link", { name: "Dashboard templates" }).click();
  await expect(other.getByTestId("dashboard-templates")).toContainText("Consul");
  await other.close();

  await panel.getByTestId("export").click();
  await expect(panel.getByTestId("export-files")).toContainText("promql_tpl.yaml");
  await expect(panel.getByTestId("export-files")).toContainText("dashboards/consul.yaml");
});

test("dashboard template editor: add graphs from templates, reorder, refuse a missing template, save", async ({ page }) => {
  await login(page, ADMIN.username, ADMIN.password);
  await page.click("nav >> text=Templates");
  await page.getByTestId("template-tabs").getByRole("link", { name: "Dashboard templates" }).click();
  await hydrated(page);
  const section = page.getByTestId("dashboard-templates");
  await section.getByTestId("new-dashboard-template").click();
  const form = section.getByTestId("dashboard-template-form");
  const name = uniq("Board");
  await form.locator("input[name=name]").fill(name);
  await form.locator("input[name=name]").press("Tab");
  await form.locator("input[name=variables]").fill("node");
  await form.locator("input[name=variables]").press("Tab");
  for (const [title, target] of [["CPU", "system.node.cpuUsagePercent"], ["Memory", "system.node.nope"]]) {
    await form.getByTestId("add-graph").click();
    const graph = form.locator("li.graph").last();
    await graph.locator("input[name=graph-name]").fill(title);
    await graph.locator("input[name=graph-name]").press("Tab");
    await graph.locator("textarea[name=graph-targets]").fill(target);
    await graph.locator("textarea[name=graph-targets]").press("Tab");
  }
  // Memory first.
  await form.locator("li.graph").nth(1).getByTitle("up").click();
  await expect(form.locator("li.graph").first().locator("input[name=graph-name]")).toHaveValue("Memory");
  await form.locator("button[type=submit]").click();
  await expect(form).toContainText("there is no template system.node.nope");

  const memory = form.locator("li.graph").first();
  await memory.locator("textarea[name=graph-targets]").fill("system.node.memoryUsagePercent");
  await memory.locator("textarea[name=graph-targets]").press("Tab");
  await form.locator("button[type=submit]").click();
  const row = section.locator(`tr[data-name='${name}']`);
  await expect(row).toBeVisible();
  await expect(row).toContainText("2");
});
