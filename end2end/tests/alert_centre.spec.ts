import { test, expect } from "@playwright/test";
import { ADMIN, alertCluster, hydrated, login, poster, stack, uniq } from "./helpers";

/** The alert centre fed by the REAL Alertmanager: a rule fires in the real Prometheus, the
 * Alertmanager posts to Gemscope's history receiver, and then the overview counts it, the search
 * finds it by label, blacklisting from a history row creates the silence in the Alertmanager,
 * the rule's detail lists the episode, and the bell counts the message and clears. */
test("alerts from the real Alertmanager reach history, overview, blacklist and the bell", async ({ page }) => {
  test.setTimeout(240_000);
  const s = stack();
  test.skip(!s?.alert_prometheus_url && process.env.GEMSCOPE_TEST_REQUIRE_REAL !== "1", "no Prometheus here");
  const st = s as any;
  await login(page, ADMIN.username, ADMIN.password);
  const post = poster(page);
  const cluster = await alertCluster(post, st, "centre");
  const tenantName = uniq("centre");
  const tenant = await post("/api/tenants/create", { name: tenantName, description: "" });
  // The admin joins, so the tenant's alerts reach their message centre.
  await post("/api/members/set", { tenant_id: tenant.id, username: ADMIN.username, role: "admin" });
  const project = await post("/api/projects/create", { tenant_id: tenant.id, name: "web", description: "" });
  const env = await post("/api/environments/create", {
    tenant_id: tenant.id,
    project_id: project.id,
    environment: { name: uniq("prod"), cluster_id: cluster.id, namespace: "billing", description: "" },
  });
  const fs = await import("node:fs");
  fs.writeFileSync(
    `${st.alert_rules_dir}/e2e-centre-seed.yml`,
    "groups:\n  - name: e2e-centre-seed\n    interval: 1s\n    rules:\n      - record: shop_backlog\n        expr: vector(70)\n        labels: {namespace: billing, queue: invoices}\n",
  );
  expect((await page.request.post(`${st.alert_prometheus_url}/-/reload`)).ok()).toBeTruthy();
  const channel = await post("/api/channels/create", {
    tenant_id: tenant.id,
    channel: { name: uniq("hook"), config: { type: "webhook", url: { value: `${st.sink_url}/webhook/${uniq("centre")}` } } },
  });
  const rule = uniq("backlog");
  const scope = { kind: "environment", id: env.id };
  await post("/api/alert-rules/create", {
    scope,
    rule: {
      name: rule,
      alertType: "monitor",
      expr: 'shop_backlog{namespace="billing"} > 10',
      for: "0s",
      alertLevels: [{ severity: "error" }],
      receivers: [{ alertChannelID: channel.id, interval: "1h" }],
    },
  });

  // The Alertmanager's webhook lands in the history.
  const search = async (text: string) =>
    (await post("/api/alerts/search", { search: { tenant_id: tenant.id, text } })).rows.length;
  await expect.poll(() => search(`gems_alertname=${rule}`), { timeout: 90_000 }).toBeGreaterThan(0);

  // Overview: today's count for the tenant.
  await page.goto("/alerts/overview");
  await hydrated(page);
  await page.getByTestId("overview-tenant").selectOption(String(tenant.id));
  await expect(page.getByTestId("overview-total")).not.toHaveAttribute("data-today", "0");
  await expect(page.getByTestId("overview-firing")).not.toHaveAttribute("data-today", "0");
  await expect(page.getByTestId("top-alerts").getByTestId("top-row").filter({ hasText: rule })).toHaveCount(1);
  await expect(page.getByTestId("top-projects").getByTestId("top-row").first()).toHaveAttribute("data-name", "web");

  // Search by label in the UI; a label that matches nothing finds nothing.
  await page.goto("/alerts");
  await hydrated(page);
  await page.getByTestId("history-tenant").selectOption(String(tenant.id));
  await page.getByTestId("history-text").fill("queue=nothing-like-this");
  await page.getByTestId("history-search").click();
  await expect(page.getByTestId("history-empty")).toBeVisible();
  await page.getByTestId("history-text").fill(`gems_alertname=${rule} queue=invoices`);
  await page.getByTestId("history-search").click();
  const row = page.getByTestId("history-row").first();
  await expect(row).toHaveAttribute("data-name", rule);
  await expect(row.getByTestId("history-open-rule")).toHaveAttribute("href", `/alert-rules?env=${env.id}&rule=${rule}`);

  // Blacklist from the row: a silence on exactly that label set in the real Alertmanager.
  await row.getByTestId("history-blacklist").click();
  await expect(page.getByTestId("history-blacklisted")).toBeVisible();
  const silences = await (await page.request.get(`${st.alert_alertmanager_url}/api/v2/silences`)).json();
  const mine = silences.filter(
    (x: any) =>
      x.status.state === "active" &&
      x.comment.startsWith("fingerprint-") &&
      x.matchers.some((m: any) => m.name === "gems_alertname" && m.value === rule),
  );
  expect(mine.length).toBe(1);
  expect(mine[0].matchers.some((m: any) => m.name === "queue" && m.value === "invoices")).toBeTruthy();

  // The rule's detail lists the episode and opens its notifications.
  await page.goto(`/alert-rules?env=${env.id}&rule=${rule}`);
  await hydrated(page);
  const episode = page.getByTestId("episode").first();
  await expect(episode).toBeVisible();
  await episode.getByTestId("episode-open").click();
  await expect(page.getByTestId("episode-notifications").getByTestId("history-row").first()).toHaveAttribute("data-name", rule);

  // "All history" opens the search, filtered to this rule of this environment.
  await page.getByTestId("rule-all-history").click();
  await expect(page).toHaveURL(new RegExp(`/alerts\\?env=${env.id}&text=gems_alertname%3D${rule}`));
  await expect(page.getByTestId("history-linked")).toBeVisible();
  await expect(page.getByTestId("history-text")).toHaveValue(`gems_alertname=${rule}`);
  await expect(page.getByTestId("history-row").first()).toHaveAttribute("data-name", rule);

  // The bell counts unread messages and clears when they are read.
  await page.goto("/messages");
  await hydrated(page);
  await expect(page.getByTestId("bell-count")).toBeVisible();
  await expect(page.getByTestId("message").filter({ hasText: rule }).first()).toHaveAttribute("data-read", "false");
  await page.getByTestId("messages-read-all").click();
  await expect(page.getByTestId("bell-count")).toHaveCount(0, { timeout: 20_000 });
  await expect(page.getByTestId("message").filter({ hasText: rule }).first()).toHaveAttribute("data-read", "true");

  // Tidy up: the rule goes, and its blacklist entry with it.
  await post("/api/alert-rules/delete", { scope, name: rule });
  await post("/api/blacklist/remove", { scope, id: mine[0].id });
});
