import { expect, test } from "@playwright/test";
import { ADMIN } from "./helpers";

test.use({ javaScriptEnabled: false });

test("pages render and sign-in works with JavaScript disabled", async ({ page }) => {
  await page.goto("/login");
  await expect(page.locator("form.login h2")).toHaveText("Log in to Gemscope");
  await page.fill("#f-username", ADMIN.username);
  await page.fill("#f-password", "wrong-password");
  await page.click("button[type=submit]");
  await expect(page.locator("[role=alert]")).toContainText("wrong username or password");

  await page.fill("#f-username", ADMIN.username);
  await page.fill("#f-password", ADMIN.password);
  await page.click("button[type=submit]");
  await expect(page).toHaveURL(/\/$/);
  await expect(page.locator("header.topbar")).toBeVisible();
  await expect(page.locator("h1")).toHaveText("Overview");
  await page.goto("/audit");
  await expect(page.getByTestId("audit")).toContainText("auth.login");
});
