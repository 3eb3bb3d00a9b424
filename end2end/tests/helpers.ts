import { expect, Page } from "@playwright/test";

export const ADMIN = { username: "admin", password: process.env.GEMSCOPE_ADMIN_PASSWORD ?? "e2e-admin-password" };

/** Waits until the WebAssembly bundle has hydrated the page, so clicks reach Leptos handlers. */
export async function hydrated(page: Page) {
  await page.waitForFunction(() => (window as any).__gemscope_hydrated === true, null, { timeout: 20_000 });
}

export async function login(page: Page, username: string, password: string) {
  await page.goto("/login");
  await hydrated(page);
  await page.fill("#f-username", username);
  await page.fill("#f-password", password);
  await page.click("button[type=submit]");
  await expect(page.locator("header.topbar")).toBeVisible();
  await hydrated(page);
}

export async function logout(page: Page) {
  await page.locator("form[action='/logout'] button").click();
  await expect(page).toHaveURL(/\/login/);
}

/** A name unique to this run, valid as a DNS label. */
export function uniq(prefix: string) {
  return `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1000)}`;
}

export type Stack = {
  prometheus_url: string;
  alertmanager_url: string;
  data_prometheus_url: string;
  data_rules_dir: string;
  [key: string]: unknown;
};

/** Where serve.sh started the real servers, or null when Prometheus is not installed here. */
export function stack(): Stack | null {
  const port = Number(process.env.GEMSCOPE_E2E_PORT ?? 3210);
  const file = `/tmp/gemscope-e2e-${port}/stack.json`;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fs = require("node:fs");
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : null;
}

/** Constant container CPU series in namespaces `shop` (web-1 0.25, web-2 0.5) and `other`
 * (db-1 2), recorded every second by the data Prometheus; resolves once they are queryable. */
export async function recordContainerSeries(page: Page, s: Stack) {
  const fs = await import("node:fs");
  const rule = (value: number, labels: string) =>
    `      - record: gems_container_cpu_usage_cores\n        expr: vector(${value})\n        labels: {${labels}}\n`;
  fs.writeFileSync(
    `${s.data_rules_dir}/containers.yml`,
    "groups:\n  - name: e2e-containers\n    interval: 1s\n    rules:\n" +
      rule(0.25, "namespace: shop, pod: web-1, container: app, workload: web, owner_kind: Deployment") +
      rule(0.5, "namespace: shop, pod: web-2, container: app, workload: web, owner_kind: Deployment") +
      rule(2, "namespace: other, pod: db-1, container: db, workload: db, owner_kind: StatefulSet"),
  );
  const reload = await page.request.post(`${s.data_prometheus_url}/-/reload`);
  expect(reload.ok()).toBeTruthy();
  await expect
    .poll(async () => {
      const r = await page.request.get(`${s.data_prometheus_url}/api/v1/query?query=count(gems_container_cpu_usage_cores)`);
      return (await r.json()).data?.result?.[0]?.value?.[1];
    }, { timeout: 20_000 })
    .toBe("3");
}

/** As the admin (API): a standalone cluster on the data Prometheus, a tenant with a project and an
 * environment on namespace `ns`. Returns their ids. */
export async function environmentOnDataPrometheus(page: Page, s: Stack, ns: string) {
  const post = async (path: string, data: object) => {
    const r = await page.request.post(path, { data });
    expect(r.ok(), `${path}: ${await r.text()}`).toBeTruthy();
    return r.json();
  };
  const cluster = await post("/api/clusters/create", {
    cluster: { name: uniq("data"), kind: "standalone", settings: { prometheus_url: s.data_prometheus_url } },
  });
  const tenant = await post("/api/tenants/create", { name: uniq("team"), description: "" });
  const project = await post("/api/projects/create", { tenant_id: tenant.id, name: "web", description: "" });
  const env = await post("/api/environments/create", {
    tenant_id: tenant.id,
    project_id: project.id,
    environment: { name: uniq("prod"), cluster_id: cluster.id, namespace: ns, description: "" },
  });
  return { cluster: cluster.id as number, tenant: tenant.id as number, tenantName: tenant.name as string, env: env.id as number, envName: env.name as string };
}

/** POSTs JSON as the signed-in page and returns the answer; fails the test on an error status. */
export function poster(page: Page) {
  return async (path: string, data: object) => {
    const r = await page.request.post(path, { data });
    expect(r.ok(), `${path}: ${await r.text()}`).toBeTruthy();
    return r.json();
  };
}

/** A standalone cluster on the stack's alert Prometheus and Alertmanager, grouping in 1 s. */
export async function alertCluster(post: (path: string, data: object) => Promise<any>, st: any, prefix: string) {
  return post("/api/clusters/create", {
    cluster: {
      name: uniq(prefix),
      kind: "standalone",
      settings: {
        prometheus_url: st.alert_prometheus_url,
        alertmanager_url: st.alert_alertmanager_url,
        rules_dir: st.alert_rules_dir,
        alertmanager_config_path: st.alert_am_config,
        gemscope_url: st.gemscope_url,
        alert_group_wait: "1s",
        alert_group_interval: "1s",
      },
    },
  });
}
