import { randomUUID } from "node:crypto";
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { control, counters, credentials, identityProviderOrigin, tenant } from "./emulator";
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

  const webSignOut = page.waitForRequest((r) => r.url().includes("/oauth2/v2.0/logout"));
  await page.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
  await expectWebSignedOut(page);
  // The web app named the account with logout_hint (its ID token's login_hint claim): no account picker.
  expect(new URL((await webSignOut).url()).searchParams.get("logout_hint")).toEqual(expect.any(String));
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
  const spaSignOut = page.waitForRequest((r) => r.url().includes("/oauth2/v2.0/logout"));
  await page.getByRole("button", { name: "Sign out" }).click();
  // msal-browser's logoutRedirect names the account with logout_hint (the SPA's login_hint claim).
  expect(new URL((await spaSignOut).url()).searchParams.get("logout_hint")).toEqual(expect.any(String));
  // The identity provider's sign-out page loads the web app's front-channel logout URL in a frame...
  expect((await frontChannel).frame().parentFrame()).not.toBeNull();
  // ...then returns to the registered post-logout redirect URI: the app's home page (with the
  // state msal-browser sent, echoed like Entra does).
  await expect(page).toHaveURL(new RegExp(`^${baseURL}/(\\?state=[^&#]+)?$`));
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();

  await page.goto("/web");
  await expectWebSignedOut(page);
  // Neither sign-out asked "Pick an account".
  expect((await counters()).logoutAccountPicker).toBe(0);
});

test("without logout_hint the identity provider asks which account to sign out of: an accessible picker that then signs out", async ({ page, baseURL }) => {
  await page.goto("/auth/login?returnTo=%2Fweb");
  await new EmulatorSignInPage(page).submitCredentials(credentials(MEGAN));
  await expect(page.getByLabel("Profile", { exact: true })).toContainText("Megan Bowen");
  // An app that sends no logout_hint (this one always does): Entra's "Pick an account".
  const t = tenant();
  await page.goto(`${identityProviderOrigin()}/${t.tenantId}/oauth2/v2.0/logout?client_id=${t.apps.web.clientId}&post_logout_redirect_uri=${encodeURIComponent(`${baseURL}/web`)}`);
  await expect(page.getByRole("heading", { name: "Pick an account" })).toBeVisible();
  await expect(page.getByText("Which account do you want to sign out of?")).toBeVisible();
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`)).toEqual([]);
  await page.getByRole("button", { name: new RegExp(MEGAN) }).click();
  await expect(page).toHaveURL(`${baseURL}/web`);
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
