import { expect, test } from "@playwright/test";
import { ADMIN, hydrated, login, logout } from "./helpers";

test("admin logs in and out", async ({ page }) => {
  await login(page, ADMIN.username, ADMIN.password);
  await expect(page.locator("header .user")).toHaveText(ADMIN.username);
  await expect(page.locator("nav.sidenav")).toContainText("Clusters");
  await logout(page);
  // The session is gone: a protected page sends us back to the login form.
  await page.goto("/tenants");
  await expect(page).toHaveURL(/\/login/);
});

test("a wrong password shows an error and no session", async ({ page }) => {
  await page.goto("/login");
  await hydrated(page);
  await page.fill("#f-username", ADMIN.username);
  await page.fill("#f-password", "definitely-wrong");
  await page.click("button[type=submit]");
  await expect(page.locator("[role=alert]")).toContainText("wrong username or password");
  await expect(page).toHaveURL(/\/login/);
});
