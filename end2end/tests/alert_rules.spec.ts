import { test, expect, Page } from "@playwright/test";
import { ADMIN, alertCluster, hydrated, login, poster, stack, uniq } from "./helpers";

/** The real alert flow: data over a threshold in a real Prometheus, a rule written in the
 * editor (with the live preview), the rule firing, the alert reaching the channel's sink through
 * Gemscope's notify endpoint, disabling silencing it, enabling resuming it, blacklisting one
 * alert from the detail page and removing the entry again. */
test("an alert rule created in the editor fires, notifies, and can be silenced", async ({ page }) => {
  test.setTimeout(240_000);
  const s = stack();
  test.skip(!s?.alert_prometheus_url && process.env.GEMSCOPE_TEST_REQUIRE_REAL !== "1", "no Prometheus here");
  const st = s as any;
  await login(page, ADMIN.username, ADMIN.password);
  const post = poster(page);
  const cluster = await alertCluster(post, st, "alerts");
  const tenant = await post("/api/tenants/create", { name: uniq("ops"), description: "" });
  const project = await post("/api/projects/create", { tenant_id: tenant.id, name: "shop", description: "" });
  const env = await post("/api/environments/create", {
    tenant_id: tenant.id,
    project_id: project.id,
    environment: { name: uniq("prod"), cluster_id: cluster.id, namespace: "shop", description: "" },
  });
  const hookPath = uniq("rules");
  const channelName = uniq("hook");
  await post("/api/channels/create", {
    tenant_id: tenant.id,
    channel: { name: channelName, config: { type: "webhook", url: { value: `${st.sink_url}/webhook/${hookPath}` } } },
  });
  // The data: a queue 50 deep in namespace shop, recorded every second.
  const fs = await import("node:fs");
  fs.writeFileSync(
    `${st.alert_rules_dir}/e2e-seed.yml`,
    "groups:\n  - name: e2e-seed\n    interval: 1s\n    rules:\n      - record: shop_queue_depth\n        expr: vector(50)\n        labels: {namespace: shop, queue: orders}\n",
  );
  expect((await page.request.post(`${st.alert_prometheus_url}/-/reload`)).ok()).toBeTruthy();
  // The rule group's first evaluation can lag the reload on a busy machine; "fires now" asks
  // Prometheus once, so the series must be there before it is clicked.
  const seeded = `${st.alert_prometheus_url}/api/v1/query?query=${encodeURIComponent('shop_queue_depth{namespace="shop"}')}`;
  await expect
    .poll(async () => (await (await page.request.get(seeded)).json()).data.result.length, { timeout: 30_000 })
    .toBe(1);

  await page.goto(`/alert-rules?env=${env.id}`);
  await hydrated(page);
  await page.getByTestId("rule-new").click();
  const editor = page.getByTestId("rule-editor");
  const name = uniq("queue");
  await editor.getByTestId("rule-name").fill(name);

  // Template mode: the preview is rendered in the browser as the user types.
  await editor.getByTestId("rule-template").selectOption("containers.container.cpuUsagePercent");
  await editor.getByTestId("add-matcher").click();
  await editor.getByTestId("matcher-name").fill("pod");
  await editor.getByTestId("matcher-op").selectOption("=~");
  await editor.getByTestId("matcher-value").fill("web-.*");
  await editor.getByTestId("level-value").fill("80");
  const preview = page.getByTestId("rule-preview");
  await expect(preview.getByTestId("preview-expr").first()).toHaveText(
    'gems_container_cpu_usage_percent{namespace="shop",pod=~"web-.*"} > 80',
  );
  await expect(preview.getByTestId("preview-rule-yaml")).toContainText("kind: PrometheusRule");
  await expect(preview.getByTestId("preview-am-yaml")).toContainText("gemscope-history");
  // A second level needs inhibit labels: the preview says so before saving.
  await editor.getByTestId("add-level").click();
  await editor.getByTestId("level-value").nth(1).fill("90");
  await expect(preview.getByTestId("preview-error")).toHaveAttribute("data-field", "inhibitLabels");
  await editor.getByTestId("rule-inhibit").fill("pod");
  await expect(preview.getByTestId("preview-expr")).toHaveCount(2);

  // Raw mode, one level over the seeded queue.
  await editor.getByTestId("rule-mode").selectOption("raw");
  await editor.locator("[data-testid=level] button").nth(1).click();
  await editor.getByTestId("rule-expr").fill('shop_queue_depth{namespace="shop"} > 10');
  await editor.getByTestId("rule-for").fill("0s");
  await editor.getByTestId("level-severity").selectOption("critical");
  await editor.getByTestId("receiver-channel").selectOption({ label: channelName });
  await editor.getByTestId("receiver-interval").fill("2s");
  await expect(preview.getByTestId("preview-expr")).toHaveText('shop_queue_depth{namespace="shop"} > 10');

  await editor.getByTestId("rule-fires-now").click();
  const level = page.getByTestId("fires-level");
  await expect(level).toHaveAttribute("data-count", "1");
  await expect(level.getByTestId("firing-series")).toContainText('queue="orders"');

  await editor.getByTestId("rule-save").click();
  await expect(page.getByTestId("rule-editor")).toHaveCount(0);
  const row = page.locator(`[data-testid=rule][data-name="${name}"]`);
  await expect(row).toBeVisible();
  await expect(row.getByTestId("rule-sync")).toHaveAttribute("data-ok", "true");

  // Firing, from Prometheus' rules API.
  await expect
    .poll(async () => {
      await page.reload();
      return row.getAttribute("data-state");
    }, { timeout: 60_000, intervals: [1000] })
    .toBe("firing");
  await expect(page.getByTestId("count-firing")).toContainText("1");

  const sent = async () => {
    const got = await (await page.request.get(`${st.sink_url}/_received`)).json();
    return got.received.filter(
      (r: any) => r.vendor === "webhook" && r.path === `/webhook/${hookPath}` && r.json.status === "firing",
    ).length;
  };
  await expect.poll(sent, { timeout: 60_000 }).toBeGreaterThan(0);

  // Disabled: one silence, and no further notification.
  await hydrated(page);
  await row.getByTestId("rule-toggle").click();
  await expect(row.getByTestId("rule-toggle")).toHaveAttribute("data-open", "false");
  await page.waitForTimeout(3_000);
  const quiet = await sent();
  await page.waitForTimeout(8_000);
  expect(await sent()).toBe(quiet);
  // Enabled again: notifications resume.
  await row.getByTestId("rule-toggle").click();
  await expect(row.getByTestId("rule-toggle")).toHaveAttribute("data-open", "true");
  await expect.poll(sent, { timeout: 60_000 }).toBeGreaterThan(quiet);

  // The detail page: objects and the live alert, blacklisted and un-blacklisted.
  await row.getByTestId("rule-link").click();
  const detail = page.getByTestId("rule-detail");
  await expect(detail).toHaveAttribute("data-state", "firing");
  await expect(detail.getByTestId("detail-rule-yaml")).toContainText(`gems_alertname: ${name}`);
  await expect(detail.getByTestId("detail-am-yaml")).toContainText("<gemscope>/api/notify/");
  await hydrated(page);
  await detail.getByTestId("live-alert").first().getByTestId("alert-blacklist").click();
  await expect(detail.getByTestId("blacklisted")).toBeVisible();
  await page.goto(`/blacklist?env=${env.id}`);
  await hydrated(page);
  const entry = page.getByTestId("blacklist-entry");
  await expect(entry).toHaveCount(1);
  await expect(entry).toContainText('queue="orders"');
  await entry.getByTestId("blacklist-remove").click();
  await expect(page.getByTestId("blacklist-empty")).toBeVisible();

  // Deleting asks first, then removes the rule from the cluster.
  await page.goto(`/alert-rules?env=${env.id}`);
  await hydrated(page);
  await page.locator(`[data-testid=rule][data-name="${name}"]`).getByTestId("rule-delete").locator("button").first().click();
  // The question is a modal dialog: focus starts on Cancel, so Enter alone never deletes.
  const ask = page.getByRole("dialog");
  await expect(ask).toBeVisible();
  await expect(ask.getByRole("button", { name: "Cancel" })).toBeFocused();
  await ask.getByTestId("confirm").click();
  await expect(page.locator(`[data-testid=rule][data-name="${name}"]`)).toHaveCount(0);
  expect(fs.readdirSync(st.alert_rules_dir).filter((f: string) => f.includes(name))).toEqual([]);
});

test("bad input is refused in the editor with the field named", async ({ page }: { page: Page }) => {
  const s = stack();
  test.skip(!s?.alert_prometheus_url && process.env.GEMSCOPE_TEST_REQUIRE_REAL !== "1", "no Prometheus here");
  const st = s as any;
  await login(page, ADMIN.username, ADMIN.password);
  const post = async (path: string, data: object) => (await page.request.post(path, { data })).json();
  const cluster = await post("/api/clusters/create", {
    cluster: { name: uniq("alerts"), kind: "standalone", settings: {
      prometheus_url: st.alert_prometheus_url, alertmanager_url: st.alert_alertmanager_url,
      rules_dir: st.alert_rules_dir, alertmanager_config_path: st.alert_am_config, gemscope_url: st.gemscope_url } },
  });
  const tenant = await post("/api/tenants/create", { name: uniq("ops"), description: "" });
  const project = await post("/api/projects/create", { tenant_id: tenant.id, name: "p", description: "" });
  const env = await post("/api/environments/create", {
    tenant_id: tenant.id, project_id: project.id,
    environment: { name: uniq("prod"), cluster_id: cluster.id, namespace: "shop", description: "" },
  });
  await post("/api/channels/create", {
    tenant_id: tenant.id,
    channel: { name: uniq("hook"), config: { type: "webhook", url: { value: `${st.sink_url}/webhook/x` } } },
  });
  await page.goto(`/alert-rules?env=${env.id}`);
  await hydrated(page);
  await page.getByTestId("rule-new").click();
  const editor = page.getByTestId("rule-editor");
  await editor.getByTestId("rule-name").fill("other-namespace");
  await editor.getByTestId("rule-mode").selectOption("raw");
  await editor.getByTestId("rule-expr").fill('up{namespace="kube-system"} == 0');
  await expect(page.getByTestId("preview-error")).toHaveAttribute("data-field", "expr");
  await editor.getByTestId("rule-save").click();
  await expect(editor.locator("small.field-error[data-field=expr]")).toContainText('namespace="shop"');
  await expect(page.locator("[data-testid=rule][data-name=other-namespace]")).toHaveCount(0);

  // Import: each item is reported; the bad one does not stop the good one.
  await page.getByTestId("rule-editor").getByRole("button", { name: /close|关闭/i }).click();
  const channels = await (await page.request.post("/api/channels/list", { data: { tenant_id: tenant.id } })).json();
  const mine = channels.find((c: any) => c.tenant_id === tenant.id);
  await page.getByTestId("rules-import").locator("summary").click();
  await page.getByTestId("import-yaml").fill(
    `- name: imported-up\n  alertType: monitor\n  expr: 'up{namespace="__namespace__"} == 0'\n  for: 1m\n  alertLevels: [{severity: error}]\n  receivers: [{alertChannelID: ${mine.id}, interval: 1h}]\n` +
      `- name: imported-bad\n  alertType: monitor\n  expr: 'up == 0'\n  for: 1m\n  alertLevels: [{severity: error}]\n  receivers: [{alertChannelID: ${mine.id}, interval: 1h}]\n`,
  );
  await page.getByTestId("import-run").click();
  const items = page.getByTestId("import-item");
  await expect(items).toHaveCount(2);
  await expect(items.nth(0)).toHaveAttribute("data-ok", "true");
  await expect(items.nth(1)).toHaveAttribute("data-ok", "false");
  await expect(items.nth(1)).toContainText('namespace="shop"');
  await expect(page.locator("[data-testid=rule][data-name=imported-up]")).toBeVisible();
  await expect(page.locator("[data-testid=rule][data-name=imported-up] code")).toHaveText('up{namespace="shop"} == 0');

  // A cluster's system rules (its monitoring namespace) are one click from the cluster page.
  await page.goto(`/clusters/${cluster.id}`);
  await hydrated(page);
  await page.getByTestId("cluster-rules").click();
  await expect(page).toHaveURL(new RegExp(`/alert-rules\\?cluster=${cluster.id}`));
  await expect(page.getByText("kubegems-monitoring")).toBeVisible();
  await expect(page.getByTestId("rule-new")).toBeVisible();
});
