import { expect, test } from "@playwright/test";
import { ADMIN, hydrated, login, stack, uniq } from "./helpers";

// A DingTalk channel against the vendor stand-in (testkit sinks, which checks the signature):
// a missing URL is refused beside the field, the fixed channel's Test is delivered through the
// notify path and shows in the delivery log, and after a reload the secrets show only as set.
test("channels: DingTalk with a field error, Test delivered, log, masked secrets", async ({ page }) => {
  const s = stack();
  test.skip(!s?.sink_url && process.env.GEMSCOPE_TEST_REQUIRE_REAL !== "1", "no stand-ins here");
  await login(page, ADMIN.username, ADMIN.password);
  const tenant = await (await page.request.post("/api/tenants/create", { data: { name: uniq("team"), description: "" } })).json();

  await page.click("nav >> text=Channels");
  await page.getByTestId("channel-owner").selectOption(String(tenant.id));
  await expect(page).toHaveURL(new RegExp(`/channels\\?tenant=${tenant.id}$`));
  const form = page.getByTestId("channel-form");
  await form.getByTestId("channel-kind").selectOption("dingtalk");
  await form.locator("input[name=name]").fill("oncall-ding");
  await form.locator("input[name='config.sign_secret']").fill(String(s!.dingtalk_secret));
  await form.locator("input[name='config.at_mobiles']").fill("13800000000");
  await form.getByTestId("channel-save").click();
  await expect(form.locator(".field:has(input[name='config.url']) .field-error")).toContainText("is required");
  await expect(page.getByTestId("channel")).toHaveCount(0);

  const url = `${s!.sink_url}/robot/send?access_token=e2e-ding-token`;
  await form.locator("input[name='config.url']").fill(url);
  await form.getByTestId("channel-save").click();
  const row = page.locator('[data-testid=channel][data-name="oncall-ding"]');
  await expect(row).toBeVisible();

  await row.getByTestId("channel-test").click();
  await expect(row.getByTestId("test-result")).toHaveAttribute("data-ok", "true");
  await expect(row.getByTestId("test-result")).toContainText("delivered");
  await expect(row.getByTestId("test-result")).toContainText("errcode 0");
  const got = await (await page.request.get(`${s!.sink_url}/_received`)).json();
  const ding = got.received.filter((r: any) => r.vendor === "dingtalk" && r.query.access_token === "e2e-ding-token");
  expect(ding.length).toBe(1);
  expect(ding[0].json.markdown.title).toBe("[Gemscope] FIRING GemscopeTestAlert");
  expect(ding[0].query.sign).toBeTruthy();

  await row.getByTestId("channel-log").click();
  const log = page.getByTestId("deliveries");
  await expect(log.getByTestId("delivery")).toHaveCount(1);
  await expect(log.getByTestId("delivery").first()).toHaveAttribute("data-ok", "true");
  await expect(log).toContainText("(test)");

  // After a reload the secrets are only "set": the robot URL's token and the sign secret are
  // nowhere on the page.
  await page.reload();
  await hydrated(page);
  await row.getByTestId("channel-edit").click();
  await expect(form.getByTestId("secret-url")).toContainText("http://127.0.0.1/••••");
  await expect(form.getByTestId("secret-sign")).toContainText("••••");
  await expect(form.locator("input[name='config.url']")).toHaveValue("");
  const html = await page.content();
  expect(html).not.toContain("e2e-ding-token");
  expect(html).not.toContain(String(s!.dingtalk_secret));
});
