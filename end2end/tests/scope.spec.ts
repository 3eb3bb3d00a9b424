import { expect, test } from "@playwright/test";
import { ADMIN, hydrated, login, logout, poster, uniq } from "./helpers";

// One scope for the whole UI: the top bar and the pages read the same one, it is kept in the
// link, remembered for the user, and a switch keeps them on the same kind of page.

test("the scope follows the user between the bar, the pages and the link", async ({ page }) => {
  await login(page, ADMIN.username, ADMIN.password);
  const post = poster(page);
  const cluster = await post("/api/clusters/create", { cluster: { name: uniq("scope"), kind: "standalone", settings: { prometheus_url: "http://127.0.0.1:9" } } });
  const tenant = await post("/api/tenants/create", { name: uniq("scope"), description: "" });
  const other = await post("/api/tenants/create", { name: uniq("scope-b"), description: "" });
  const project = await post("/api/projects/create", { tenant_id: tenant.id, name: "shop", description: "" });
  const env = (name: string, namespace: string) =>
    post("/api/environments/create", { tenant_id: tenant.id, project_id: project.id, environment: { name, cluster_id: cluster.id, namespace, description: "" } });
  const prod = await env("prod", uniq("shop-prod"));
  const staging = await env("staging", uniq("shop-staging"));
  const bar = {
    tenant: page.getByTestId("tenant-switch"),
    project: page.getByTestId("project-switch"),
    env: page.getByTestId("environment-switch"),
  };

  // A link naming only the environment: the bar finds its tenant and project (it used to say
  // "Choose a tenant" while the page worked inside one).
  await page.goto(`/dashboards?env=${prod.id}`);
  await hydrated(page);
  await expect(bar.tenant).toHaveValue(String(tenant.id));
  await expect(bar.project).toHaveValue(String(project.id));
  await expect(bar.env).toHaveValue(String(prod.id));
  await expect(page.getByTestId("dashboard-env")).toHaveValue(String(prod.id));

  // Switching in the bar keeps the page and puts the whole scope in the link.
  await bar.env.selectOption(String(staging.id));
  await expect(page).toHaveURL(new RegExp(`/dashboards\\?tenant=${tenant.id}&project=${project.id}&env=${staging.id}$`));
  await expect(page.getByTestId("dashboard-env")).toHaveValue(String(staging.id));

  // Pages without a scope of their own show the remembered one; per-environment pages use it.
  await page.goto("/channels");
  await hydrated(page);
  await expect(bar.env).toHaveValue(String(staging.id));
  await page.goto("/collectors");
  await hydrated(page);
  await expect(bar.env).toHaveValue(String(staging.id));
  await expect(page.getByTestId("collectors-env")).toHaveValue(String(staging.id));

  // The switch on a tenant's own page (to the other tenant's page) is covered by the unit tests of
  // Scope::href_on; it is not driven here because a server-rendered /tenants/:id?project=… does
  // not always hydrate yet (issue 21's note).
  void other;
});

test("the remembered scope belongs to its user, not to the browser", async ({ page }) => {
  await login(page, ADMIN.username, ADMIN.password);
  const post = poster(page);
  const cluster = await post("/api/clusters/create", { cluster: { name: uniq("mine"), kind: "standalone", settings: { prometheus_url: "http://127.0.0.1:9" } } });
  const tenant = await post("/api/tenants/create", { name: uniq("mine"), description: "" });
  const project = await post("/api/projects/create", { tenant_id: tenant.id, name: "web", description: "" });
  const env = await post("/api/environments/create", { tenant_id: tenant.id, project_id: project.id, environment: { name: "prod", cluster_id: cluster.id, namespace: uniq("web"), description: "" } });
  const name = uniq("viewer");
  const password = "viewer-password-1";
  await post("/api/users/create", { user: { username: name, display_name: "", email: "", password, is_system_admin: false } });
  await post("/api/members/set", { tenant_id: tenant.id, username: name, role: "viewer" });

  await page.goto(`/collectors?env=${env.id}`);
  await hydrated(page);
  await expect(page.getByTestId("environment-switch")).toHaveValue(String(env.id));
  await page.goto("/channels");
  await hydrated(page);
  await expect(page.getByTestId("environment-switch")).toHaveValue(String(env.id));

  // Another user in the same browser starts without the admin's scope, then keeps their own.
  await logout(page);
  await login(page, name, password);
  await page.goto("/channels");
  await hydrated(page);
  await expect(page.getByTestId("tenant-switch")).toHaveValue("");
  await page.goto(`/collectors?env=${env.id}`);
  await hydrated(page);
  await expect(page.getByTestId("environment-switch")).toHaveValue(String(env.id));
  await page.goto("/channels");
  await hydrated(page);
  await expect(page.getByTestId("environment-switch")).toHaveValue(String(env.id));
  await page.goto("/collectors");
  await hydrated(page);
  await expect(page.getByTestId("collectors-env")).toHaveValue(String(env.id));
});
