import { expect, test } from "@playwright/test";
import { ADMIN, hydrated, login } from "./helpers";

// Preferences live in the admin's account: put them back for the other tests.
test.afterEach(async ({ page }) => {
  await page.request.post("/api/auth/preferences", { data: { language: "en", theme: "light" } });
});

test("switching to Chinese relabels the UI and is remembered", async ({ page }) => {
  await login(page, ADMIN.username, ADMIN.password);
  await expect(page.locator("nav.sidenav")).toContainText("Tenants");
  const saved = page.waitForResponse((r) => r.url().includes("/api/auth/preferences"));
  await page.getByTestId("language").selectOption("zh-CN");
  await saved;
  await expect(page.locator("nav.sidenav")).toContainText("租户");
  await expect(page.locator("nav.sidenav")).toContainText("审计日志");
  await expect(page.locator("html")).toHaveAttribute("lang", "zh-CN");
  // Saved to the account and the cookie: a fresh server render is Chinese too.
  await page.reload();
  await hydrated(page);
  await expect(page.locator("nav.sidenav")).toContainText("租户");
  // Errors from the server come back in Chinese too, under the field they are about (which the
  // label names, so the message does not repeat it).
  await page.click("nav >> text=租户");
  const form = page.getByTestId("create-tenant");
  await form.locator("#f-name").fill("Bad Name");
  await form.locator("button[type=submit]").click();
  await expect(form.locator(".field-error")).toContainText("只能使用小写字母");
  await expect(form.locator(".field-error")).not.toContainText("name");
  await expect(form.locator("#f-name")).toHaveAttribute("aria-describedby", "f-name-error");
  // The page renders errors from their code: switching back re-renders the same error in
  // English, without asking the server again.
  await page.getByTestId("language").selectOption("en");
  await expect(page.locator("nav.sidenav")).toContainText("Tenants");
  await expect(form.locator(".field-error")).toContainText("use lowercase letters");
});

test("dark theme toggles and persists", async ({ page }) => {
  await login(page, ADMIN.username, ADMIN.password);
  const html = page.locator("html");
  const before = await html.getAttribute("data-theme");
  const saved = page.waitForResponse((r) => r.url().includes("/api/auth/preferences"));
  await page.getByTestId("theme").click();
  await saved;
  await expect(html).not.toHaveAttribute("data-theme", before ?? "");
  const after = await html.getAttribute("data-theme");
  await page.reload();
  await expect(html).toHaveAttribute("data-theme", after ?? "");
});
