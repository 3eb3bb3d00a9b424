import { test, expect } from "@playwright/test";
import { ADMIN, login, stack, uniq } from "./helpers";

// Collecting a Service's metrics on a Kubernetes cluster (the testkit fake API server, which
// checks ServiceMonitors against the real CRD schema): a field error, then the ServiceMonitor and
// the Service label in the cluster, the state shown as unknown until Prometheus has the target,
// and stopping again.
test("collectors: enable a Service's metrics, see the ServiceMonitor, stop collecting", async ({ page }) => {
  const s = stack();
  test.skip(!s && process.env.GEMSCOPE_TEST_REQUIRE_REAL !== "1", "no Prometheus here");
  // The fake API server no other test stops.
  const kube = s!.live_kube_url as string;
  expect(kube, "serve.sh starts the fake API server (testkit)").toBeTruthy();
  const auth = { Authorization: `Bearer ${s!.kube_token}` };
  const ns = uniq("shop");
  const inCluster = async (path: string, data: object) => {
    const r = await page.request.post(`${kube}${path}`, { headers: auth, data });
    expect(r.status(), `${path}: ${await r.text()}`).toBe(201);
  };
  await inCluster("/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  await inCluster(`/api/v1/namespaces/${ns}/services`, {
    apiVersion: "v1", kind: "Service", metadata: { name: "web", labels: { app: "web" } },
    spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80 }, { name: "metrics", port: 9100 }] },
  });

  await login(page, ADMIN.username, ADMIN.password);
  const post = async (path: string, data: object) => {
    const r = await page.request.post(path, { data });
    expect(r.ok(), `${path}: ${await r.text()}`).toBeTruthy();
    return r.json();
  };
  const cluster = await post("/api/clusters/create", {
    cluster: { name: uniq("k8s"), kind: "kubernetes", bearer_token: s!.kube_token,
      settings: { api_server: kube, prometheus_url: s!.data_prometheus_url } },
  });
  const tenant = await post("/api/tenants/create", { name: uniq("team"), description: "" });
  const project = await post("/api/projects/create", { tenant_id: tenant.id, name: "web", description: "" });
  const env = await post("/api/environments/create", {
    tenant_id: tenant.id, project_id: project.id,
    environment: { name: uniq("prod"), cluster_id: cluster.id, namespace: ns, description: "" },
  });

  await page.click("nav >> text=Collectors");
  await page.getByTestId("collectors-env").selectOption(String(env.id));
  await expect(page).toHaveURL(new RegExp(`/collectors\\?env=${env.id}$`));
  const web = page.locator('[data-testid=collector][data-service="web"]');
  await expect(web).toContainText("metrics 9100/TCP");
  await expect(web.getByTestId("collector-health")).toContainText("Not collected");

  // A bad interval is refused next to the field; nothing is written.
  await web.getByTestId("collector-port").selectOption("metrics");
  await web.getByTestId("collector-interval").fill("often");
  await web.getByTestId("collector-save").click();
  await expect(web.locator(".field-error[data-field=interval]")).toContainText("must be a duration");
  await expect(web.locator(".field-error")).toHaveCount(1);
  const monitor = `${kube}/apis/monitoring.coreos.com/v1/namespaces/${ns}/servicemonitors/web`;
  expect((await page.request.get(monitor, { headers: auth })).status()).toBe(404);

  await web.getByTestId("collector-interval").fill("15s");
  await web.getByTestId("collector-save").click();
  await expect(web.getByTestId("collector-health")).toHaveAttribute("data-health", "unknown");
  await expect(web.getByTestId("collector-disable")).toBeVisible();
  const sm = await (await page.request.get(monitor, { headers: auth })).json();
  expect(sm.spec.endpoints).toEqual([{ port: "metrics", path: "/metrics", interval: "15s" }]);
  expect(sm.spec.selector.matchLabels).toEqual({ app: "web", "gemscope.io/collect": "web" });
  const svc = await (await page.request.get(`${kube}/api/v1/namespaces/${ns}/services/web`, { headers: auth })).json();
  expect(svc.metadata.labels["gemscope.io/collect"]).toBe("web");

  // A reload shows the saved settings.
  await page.reload();
  await expect(web.getByTestId("collector-interval")).toHaveValue("15s");
  await expect(web.getByTestId("collector-port")).toHaveValue("metrics");

  await web.getByTestId("collector-disable").click();
  await expect(web.getByTestId("collector-health")).toContainText("Not collected");
  expect((await page.request.get(monitor, { headers: auth })).status()).toBe(404);
});
