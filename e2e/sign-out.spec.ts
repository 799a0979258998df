import { randomUUID } from "node:crypto";
import { expect, test, type Page } from "@playwright/test";
import { control, credentials, identityProviderOrigin } from "./emulator";
import { EmulatorSignInPage } from "./support/sign-in";

/**
 * Sign-out that ends sessions: the web session cannot be replayed after sign-out, and signing out
 * of one app signs the browser out of the other through the identity provider's front-channel
 * logout (Entra's single sign-out), landing back on the app.
 */
const MEGAN = "megan.bowen@contoso.test";

async function expectWebSignedOut(page: Page) {
  await expect(page.getByRole("heading", { name: "Sign in to see your profile" })).toBeVisible();
  await expect(page.getByRole("banner").getByRole("link", { name: "Sign in" })).toBeVisible();
}

test.beforeEach(async () => {
  await control("/reset", { sessions: true });
});

test("a session cookie copied before sign-out is refused afterwards, even once the same user signs back in", async ({ page, context, browser, baseURL }) => {
  await page.goto("/auth/login?returnTo=%2Fweb");
  await new EmulatorSignInPage(page).submitCredentials(credentials(MEGAN));
  await expect(page.getByLabel("Profile", { exact: true })).toContainText("Megan Bowen");
  const copied = (await context.cookies(baseURL)).find((c) => c.name === "web-session");
  expect(copied).toBeDefined();

  await page.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
  await expectWebSignedOut(page);
  // The same user signs back in: their tokens are in the token cache again.
  await page.goto("/auth/login?returnTo=%2Fweb");
  await new EmulatorSignInPage(page).submitCredentials(credentials(MEGAN));
  await expect(page.getByLabel("Profile", { exact: true })).toContainText("Megan Bowen");

  // Someone replays the copied cookie from another browser.
  const other = await browser.newContext();
  try {
    await other.addCookies([copied!]);
    const replay = await other.newPage();
    await replay.goto(`${baseURL}/web`);
    await expectWebSignedOut(replay);
    await expect(replay.getByText("Megan Bowen")).toHaveCount(0);
  } finally {
    await other.close();
  }
  // The user's own session is untouched.
  await page.reload();
  await expect(page.getByLabel("Profile", { exact: true })).toContainText("Megan Bowen");
});

test("signing out of the SPA signs /web out too (front-channel logout) and lands on the home page", async ({ page, baseURL }) => {
  await page.goto("/");
  await page.getByRole("button", { name: "Sign in" }).click();
  await new EmulatorSignInPage(page).submitCredentials(credentials(MEGAN));
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();

  // Single sign-on: /web signs in through the identity provider's session, no form.
  await page.goto("/web");
  await page.getByRole("main").getByRole("link", { name: "Sign in" }).click();
  await expect(page).toHaveURL(`${baseURL}/web`);
  await expect(page.getByLabel("Profile", { exact: true })).toContainText("Megan Bowen");

  await page.goto("/");
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
  const frontChannel = page.waitForRequest((r) => r.url().startsWith(`${baseURL}/auth/frontchannel-logout?sid=`));
  await page.getByRole("button", { name: "Sign out" }).click();
  // The identity provider's sign-out page loads the web app's front-channel logout URL in a frame...
  expect((await frontChannel).frame().parentFrame()).not.toBeNull();
  // ...then returns to the registered post-logout redirect URI: the app's home page (with the
  // state msal-browser sent, echoed like Entra does).
  await expect(page).toHaveURL(new RegExp(`^${baseURL}/(\\?state=[^&#]+)?$`));
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();

  await page.goto("/web");
  await expectWebSignedOut(page);
});

test("the front-channel logout URL answers 200 with no content, frameable by the identity provider only", async ({ request }) => {
  const res = await request.get(`/auth/frontchannel-logout?sid=${randomUUID()}`);
  expect(res.status()).toBe(200);
  expect(await res.text()).toBe("");
  const headers = res.headers();
  expect(headers["x-frame-options"]).toBeUndefined();
  expect(headers["content-security-policy"]).toContain(`frame-ancestors ${identityProviderOrigin()}`);
  expect(headers["content-security-policy"]).not.toContain("frame-ancestors 'none'");
  expect(headers["cache-control"]).toContain("no-store");
  // Without a session id there is nothing to sign out.
  expect((await request.get("/auth/frontchannel-logout")).status()).toBe(400);
  // Every other page stays unframeable.
  for (const path of ["/", "/web", "/auth/login"]) {
    const other = await request.get(path, { maxRedirects: 0 });
    expect(other.headers()["x-frame-options"], path).toBe("DENY");
  }
});
