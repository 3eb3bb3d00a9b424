import { expect, test } from "@playwright/test";
import { readFileSync, existsSync } from "node:fs";
import { ADMIN, login, uniq } from "./helpers";

const port = Number(process.env.GEMSCOPE_E2E_PORT ?? 3210);
const stackFile = `/tmp/gemscope-e2e-${port}/stack.json`;

// Runs before the standalone test below, which stops the shared Prometheus.
test("a Kubernetes cluster against the fake API server shows healthy, CRDs and prepared objects, then unreachable", async ({ page }) => {
  test.skip(!existsSync(stackFile) && process.env.GEMSCOPE_TEST_REQUIRE_REAL !== "1", "no Prometheus here");
  const stack = JSON.parse(readFileSync(stackFile, "utf8"));
  expect(stack.kube_url, "serve.sh starts the fake API server (testkit)").toBeTruthy();
  const auth = { Authorization: `Bearer ${stack.kube_token}` };
  const post = async (path: string, body: object) => {
    const r = await page.request.post(`${stack.kube_url}${path}`, { headers: auth, data: body });
    expect([201, 409]).toContain(r.status());
  };
  // What the KubeGems monitoring plugin leaves in a cluster: the namespace and the Prometheus and
  // Alertmanager services, whose endpoints are the real servers of this run.
  await post("/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "kubegems-monitoring" } });
  for (const [name, port, url] of [["prometheus", 9090, stack.prometheus_url], ["alertmanager", 9093, stack.alertmanager_url]]) {
    const target = Number(String(url).split(":").pop());
    await post("/api/v1/namespaces/kubegems-monitoring/services", {
      apiVersion: "v1", kind: "Service", metadata: { name },
      spec: { ports: [{ name: "web", port, targetPort: target }] },
    });
    await post("/api/v1/namespaces/kubegems-monitoring/endpoints", {
      apiVersion: "v1", kind: "Endpoints", metadata: { name },
      subsets: [{ addresses: [{ ip: "127.0.0.1" }], ports: [{ name: "web", port: target }] }],
    });
  }
  const kubeconfig = [
    "apiVersion: v1", "kind: Config",
    "clusters:", "- name: fake", "  cluster:", `    server: ${stack.kube_url}`,
    "users:", "- name: gemscope", "  user:", `    token: ${stack.kube_token}`,
    "contexts:", "- name: fake", "  context:", "    cluster: fake", "    user: gemscope",
    "current-context: fake", "",
  ].join("\n");

  const name = uniq("k8s");
  await login(page, ADMIN.username, ADMIN.password);
  await page.click("nav >> text=Clusters");
  const form = page.getByTestId("cluster-form");
  // A bad service reference is refused, naming the field.
  await form.locator("#f-name").fill(name);
  await form.locator("select[name=kind]").selectOption("kubernetes");
  // The kubeconfig is uploaded as a file; its text lands in the box like a paste.
  await form.getByTestId("kubeconfig-file").setInputFiles({
    name: "config", mimeType: "application/yaml", buffer: Buffer.from(kubeconfig),
  });
  await expect(form.locator("textarea[name=kubeconfig]")).toHaveValue(kubeconfig);
  await form.locator("#f-settings-loki_service").fill("loki-gateway");
  await form.locator("button[type=submit]").click();
  await expect(form.locator("#f-settings-loki_service")).toHaveAttribute("aria-invalid", "true");
  await expect(form).toContainText("namespace/service:port");
  await form.locator("#f-settings-loki_service").fill("none");
  await form.locator("button[type=submit]").click();
  const row = page.getByTestId("clusters").locator("tr", { hasText: name });
  await expect(row).toContainText("not tested yet");
  await expect(row).toContainText("stored");

  await row.getByRole("button", { name: "Test connection" }).click();
  const status = row.getByTestId("cluster-status");
  await expect(status).toContainText("reachable");
  await expect(status).not.toContainText("unreachable");
  await expect(status).toContainText("kubernetes: v0.0.0-master");
  await expect(status).toContainText("prometheus: 2.");
  await expect(status).toContainText("kubegems-monitoring/prometheus:9090 · service proxy");
  await expect(status).toContainText("alertmanager: 0.");
  await expect(row.getByTestId("crds")).toContainText("PrometheusRule.monitoring.coreos.com: v1");
  await expect(row.getByTestId("crds")).toContainText("Flow.logging.banzaicloud.io: v1beta1");
  await expect(row.getByTestId("prepared")).toContainText("gemscope-recording-rules (prometheus): missing");

  await row.getByRole("button", { name: "Prepare" }).click();
  await expect(page.getByTestId("prepare-result")).toContainText("kubegems-monitoring/gemscope-recording-rules (prometheus): written");
  await expect(page.getByTestId("prepare-result")).toContainText("kubegems-monitoring/gemscope-global (alertmanager): written");
  await expect(row.getByTestId("prepared")).toContainText("gemscope-recording-rules (prometheus): current");
  const applied = await page.request.get(
    `${stack.kube_url}/apis/monitoring.coreos.com/v1/namespaces/kubegems-monitoring/prometheusrules/gemscope-recording-rules`,
    { headers: auth },
  );
  expect(applied.status()).toBe(200);
  expect((await applied.json()).metadata.managedFields[0].manager).toBe("gemscope");

  // The detail page shows the defaults in effect.
  await row.locator(`a:text-is("${name}")`).click();
  await expect(page.getByTestId("cluster-settings")).toContainText("kubegems-monitoring/alertmanager:9093");
  await expect(page.getByTestId("cluster-status")).toContainText("reachable");
  await page.click("nav >> text=Clusters");

  process.kill(stack.kube_pid, "SIGTERM");
  await expect
    .poll(async () => {
      await row.getByRole("button", { name: "Test connection" }).click();
      return row.getByTestId("cluster-status").innerText();
    }, { timeout: 15_000 })
    .toContain("unreachable");
  await expect(row.getByTestId("cluster-status")).toContainText("kubernetes: ");
});

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
  if (stack.loki_url) await form.locator("#f-settings-loki_url").fill(stack.loki_url);
  await form.locator("button[type=submit]").click();
  const row = page.getByTestId("clusters").locator("tr", { hasText: name });
  await expect(row).toContainText("not tested yet");

  await row.getByRole("button", { name: "Test connection" }).click();
  await expect(row.getByTestId("cluster-status")).toContainText("reachable");
  await expect(row.getByTestId("cluster-status")).not.toContainText("unreachable");
  await expect(row.getByTestId("cluster-status")).toContainText("prometheus: 2.");
  await expect(row.getByTestId("cluster-status")).toContainText("alertmanager: 0.");
  if (stack.loki_url) await expect(row.getByTestId("cluster-status")).toContainText("loki: 3.4.6");

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
  if (stack.loki_url) {
    await form.locator("#f-settings-loki_url").fill(stack.loki_url);
    await form.locator("#f-settings-loki_rules_dir").fill(stack.loki_rules_dir);
  }
  await form.locator("button[type=submit]").click();
  const prow = page.getByTestId("clusters").locator("tr", { hasText: prepName });
  await prow.getByRole("button", { name: "Prepare" }).click();
  await expect(page.getByTestId("prepare-result")).toContainText("gemscope-recording-rules (prometheus): written");
  await expect(prow.getByTestId("prepared")).toContainText("gemscope-recording-rules (prometheus): current");
  const rules = await (await page.request.get(`${stack.prometheus_url}/api/v1/rules`)).json();
  expect(rules.data.groups.map((g: any) => g.name)).toContain("gems-node");
  if (stack.loki_url) {
    // The Loki ruler reads the log recording rules from its local rule store.
    await expect(prow.getByTestId("prepared")).toContainText("gemscope-loki-recording-rules (loki): current");
    const lokiRules = await (await page.request.get(`${stack.loki_url}/loki/api/v1/rules`)).text();
    expect(lokiRules).toContain("gems_loki_error_logs_count_last_1m");
  }

  process.kill(stack.prometheus_pid, "SIGTERM");
  await expect
    .poll(async () => {
      await row.getByRole("button", { name: "Test connection" }).click();
      return row.getByTestId("cluster-status").innerText();
    }, { timeout: 15_000 })
    .toContain("unreachable");
  await expect(row.getByTestId("cluster-status")).toContainText("prometheus: error");
});
