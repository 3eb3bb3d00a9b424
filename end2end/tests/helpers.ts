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
