import { test, expect, Page } from "@playwright/test";
import { ADMIN, alertCluster, hydrated, login, poster, stack, uniq } from "./helpers";

/** The latest run of a job, through the API the jobs page reads. */
async function latestRun(page: Page, job: string) {
  const r = await page.request.post("/api/jobs/list", { data: {} });
  expect(r.ok()).toBeTruthy();
  const jobs = await r.json();
  return jobs.find((j: any) => j.job === job)?.runs?.[0];
}

/** The config check from the drift page: a rule file edited behind Gemscope's back is flagged
 * with a diff, the rule list shows it drifted, "Repair" writes the rule again and clears it, and
 * the jobs page lists the runs. Against the real Prometheus, which reloads the rule files. */
test("run now on the config check flags a rule edited behind Gemscope's back, and repair clears it", async ({ page }) => {
  test.setTimeout(180_000);
  const s = stack();
  test.skip(!s?.alert_prometheus_url && process.env.GEMSCOPE_TEST_REQUIRE_REAL !== "1", "no Prometheus here");
  const st = s as any;
  await login(page, ADMIN.username, ADMIN.password);
  const post = poster(page);
  const cluster = await alertCluster(post, st, "drift");
  const tenant = await post("/api/tenants/create", { name: uniq("drift"), description: "" });
  const project = await post("/api/projects/create", { tenant_id: tenant.id, name: "web", description: "" });
  const env = await post("/api/environments/create", {
    tenant_id: tenant.id,
    project_id: project.id,
    environment: { name: uniq("prod"), cluster_id: cluster.id, namespace: "drifting", description: "" },
  });
  const channel = await post("/api/channels/create", {
    tenant_id: tenant.id,
    channel: { name: uniq("hook"), config: { type: "webhook", url: { value: `${st.sink_url}/webhook/${uniq("drift")}` } } },
  });
  const rule = uniq("lag");
  await post("/api/alert-rules/create", {
    scope: { kind: "environment", id: env.id },
    rule: {
      name: rule,
      alertType: "monitor",
      expr: 'consumer_lag{namespace="drifting"} > 100',
      for: "0s",
      alertLevels: [{ severity: "error" }],
      receivers: [{ alertChannelID: channel.id, interval: "1h" }],
    },
  });

  // Someone edits the rule file on the Prometheus host.
  const fs = await import("node:fs");
  const file = `${st.alert_rules_dir}/alert_drifting_${rule}.yml`;
  const original = fs.readFileSync(file, "utf8");
  expect(original).toContain("> 100");
  fs.writeFileSync(file, original.replace("> 100", "> 5"));

  // Run now, from the drift page.
  const before = (await latestRun(page, "alert-config-check"))?.id ?? 0;
  await page.goto("/drift");
  await hydrated(page);
  await page.getByTestId("drift-check-now").click();
  await expect(page.getByTestId("drift-check-queued")).toBeVisible();
  await expect
    .poll(async () => {
      const r = await latestRun(page, "alert-config-check");
      return r && r.id > before ? r.status : "none";
    }, { timeout: 90_000 })
    .toBe("ok");
  const card = page.locator(`[data-testid="drift-cluster"][data-cluster="${cluster.name}"]`);
  const row = card.locator(`[data-testid="drift-rule"][data-rule="${rule}"]`);
  await expect(row).toHaveAttribute("data-status", "error", { timeout: 15_000 });
  await expect(row).toContainText("differs from the database");
  await expect(row.getByTestId("drift-diff")).toContainText("> 5");
  await expect(row.getByTestId("drift-diff")).toContainText("> 100");

  // The rule list shows it drifted too.
  await page.goto(`/alert-rules?env=${env.id}`);
  await hydrated(page);
  const listRow = page.getByTestId("rules").locator("tr", { hasText: rule });
  await expect(listRow.getByTestId("rule-drift")).toHaveAttribute("data-status", "error");

  // Repair: the file is Gemscope's again and the row is no longer drifted.
  await page.goto("/drift");
  await hydrated(page);
  await row.getByTestId("drift-repair").click();
  await expect(page.getByTestId("drift-repaired")).toContainText(`drifting/${rule}`);
  expect(fs.readFileSync(file, "utf8")).toBe(original);
  await expect(card.locator(`[data-testid="drift-rule"][data-rule="${rule}"][data-status="error"]`)).toHaveCount(0);

  // The jobs page lists the manual run with its counts; run now works from there too.
  await page.goto("/jobs");
  await hydrated(page);
  const job = page.getByTestId("job-alert-config-check");
  await expect(job.getByTestId("job-schedule")).toHaveText("0 0 */12 * * *");
  const runRow = job.getByTestId("job-run").first();
  await expect(runRow).toHaveAttribute("data-status", "ok");
  await expect(runRow.getByTestId("run-counts")).toContainText("checked");
  const archive = page.getByTestId("job-alert-history-archive");
  const runsBefore = await archive.getByTestId("job-run").count();
  await archive.getByTestId("job-run-now").click();
  await expect(archive.getByTestId("job-run")).toHaveCount(runsBefore + 1, { timeout: 15_000 });
  await expect(archive.getByTestId("job-run").first()).toHaveAttribute("data-status", "ok", { timeout: 30_000 });
});
