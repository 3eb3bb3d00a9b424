import { expect, test } from "@playwright/test";
import { ADMIN, login, logout, uniq } from "./helpers";

test("admin builds a tenant; its member sees only that tenant", async ({ page }) => {
  const tenant = uniq("team");
  const other = uniq("other");
  const project = uniq("shop");
  const cluster = uniq("edge");
  const member = uniq("mia");
  const memberPassword = "mia-password-1";

  await login(page, ADMIN.username, ADMIN.password);

  // A cluster to put the environment in.
  await page.click("nav >> text=Clusters");
  const cf = page.getByTestId("cluster-form");
  await cf.locator("#f-name").fill(cluster);
  await cf.locator("select[name=kind]").selectOption("standalone");
  await cf.locator("#f-settings-prometheus_url").fill("http://127.0.0.1:9090");
  await cf.locator("button[type=submit]").click();
  await expect(page.getByTestId("clusters")).toContainText(cluster);

  // Two tenants: the member will belong to the first only.
  await page.click("nav >> text=Tenants");
  for (const name of [tenant, other]) {
    const f = page.getByTestId("create-tenant");
    await f.locator("#f-name").fill(name);
    await f.locator("button[type=submit]").click();
    await expect(page.getByTestId("tenants")).toContainText(name);
  }
  // Bad input names the field.
  await page.getByTestId("create-tenant").locator("#f-name").fill("Not Valid");
  await page.getByTestId("create-tenant").locator("button[type=submit]").click();
  // The error sits under the field it is about, so it does not repeat the field's name.
  await expect(page.getByTestId("create-tenant").locator(".field-error")).toContainText("use lowercase letters");
  await expect(page.getByTestId("create-tenant").locator(".field-error")).not.toContainText("name:");

  // A user to be the member.
  await page.click("nav >> text=Users");
  const uf = page.getByTestId("create-user");
  await uf.locator("#f-username").fill(member);
  await uf.locator("#f-password").fill(memberPassword);
  await uf.locator("button[type=submit]").click();
  await expect(page.getByTestId("users")).toContainText(member);

  // Project, environment and member inside the tenant.
  await page.click("nav >> text=Tenants");
  await page.getByTestId("tenants").locator(`a:text-is("${tenant}")`).click();
  await expect(page.locator("h1")).toContainText(tenant);
  const pf = page.getByTestId("create-project");
  await pf.locator("#f-name").fill(project);
  await pf.locator("button[type=submit]").click();
  await page.getByTestId("projects").locator(`a:text-is("${project}")`).click();
  await expect(page).toHaveURL(/project=\d+/);
  const ef = page.getByTestId("create-environment");
  await ef.locator("#f-name").fill("prod");
  await ef.locator("select[name=cluster_id]").selectOption({ label: cluster });
  await ef.locator("#f-namespace").fill(`${project}-prod`);
  await ef.locator("button[type=submit]").click();
  await expect(page.getByTestId("environments")).toContainText(`${project}-prod`);
  const mf = page.getByTestId("add-member");
  await mf.locator("#f-username").fill(member);
  await mf.locator("select[name=role]").selectOption("member");
  await mf.locator("button[type=submit]").click();
  await expect(page.getByTestId("members")).toContainText(member);

  // The switchers follow the scope.
  await expect(page.getByTestId("tenant-switch")).toContainText(other);

  await logout(page);
  await login(page, member, memberPassword);
  const mine = page.getByTestId("my-tenants");
  await expect(mine).toContainText(tenant);
  await expect(mine).not.toContainText(other);
  await expect(page.getByTestId("tenant-switch")).not.toContainText(other);
  await expect(page.locator("nav.sidenav")).not.toContainText("Clusters");
  await mine.locator(`a:text-is("${tenant}")`).click();
  await expect(page.getByTestId("projects")).toContainText(project);
  // A member reads but does not manage.
  await expect(page.getByTestId("create-project")).toHaveCount(0);
  // Another tenant's page is not found for them.
  await page.goto("/tenants");
  await expect(page.getByTestId("tenants")).not.toContainText(other);
});
