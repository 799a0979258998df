import { chromium, expect, test, type Page } from "@playwright/test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { control, credentials, identityProviderOrigin } from "./emulator";
import { EmulatorSignInPage } from "./support/sign-in";
import { subscriptionsList, subscriptionsShown } from "./support/step-up";

// The second day of an open tab: the SPA's refresh token reaches its fixed lifetime (24 h at
// Entra; the emulator's control API brings that day forward) while the tab stays open.

const MEGAN = "megan.bowen@contoso.test";
const DAY = 24 * 3600;

interface Counters {
  authorize: number;
  authorizePromptNone: number;
}
const counters = async () => (await control("/counters")) as Counters;

/** Every URL the tab itself (not an iframe) showed from now on. */
function topLevelUrls(page: Page): string[] {
  const urls: string[] = [];
  page.on("framenavigated", (frame) => {
    if (frame === page.mainFrame()) urls.push(frame.url());
  });
  return urls;
}

/** The Subscriptions list, shown with no step-up: the sign-in session already did it (c1, MFA). */
const subscriptionsShownSilently = async (page: Page) => {
  await expect(subscriptionsList(page)).toHaveText(/^\d+ subscriptions?$/);
  await expect(page.getByLabel("Verification code")).toHaveCount(0);
};

/**
 * Signs in on /subscriptions (with the view's step-up: authentication context c1, MFA), moves to
 * /profile, then lets a day pass: the access token is due for renewal (it was issued for less than
 * msal-browser's 5-minute margin) and the SPA's refresh tokens are past their lifetime
 * (AADSTS700084 at the next use). `sessionGone` ends the sign-in session too. A renewal through
 * the session (hidden iframe or redirect) then brings c1 back by itself: the session did MFA and
 * the API opted in to the `acrs` claim, so no second step-up, no loop.
 */
async function signInThenADayPasses(page: Page, { sessionGone = false } = {}) {
  await control("/settings", { tokenLifetimeSeconds: 120 });
  await page.goto("/subscriptions");
  await new EmulatorSignInPage(page).submitCredentials(credentials(MEGAN));
  expect(await subscriptionsShown(page, MEGAN)).toBe(true);
  await page.goto("/profile");
  await expect(page.getByLabel("Profile", { exact: true })).toContainText("Megan Bowen");
  await control("/settings", { tokenLifetimeSeconds: 3600, spaRefreshTokenLifetimeSeconds: 0, ...(sessionGone ? { sessionLifetimeSeconds: 0 } : {}) });
}

test.beforeEach(async () => {
  await control("/reset", { sessions: true });
});
test.afterAll(async () => {
  await control("/reset", {});
});

test("refresh token expired, session alive: the next API call renews silently (hidden iframe, prompt=none)", async ({}, testInfo) => {
  // A browser profile that allows third-party cookies ("Allow third-party cookies" in Chrome's
  // settings), so the identity provider's SameSite=None session cookie goes along inside the
  // app's hidden iframe. This Chromium blocks them by default, as Safari and Firefox do: that is
  // the next test.
  const { launchOptions, ignoreHTTPSErrors, baseURL } = testInfo.project.use;
  const profile = mkdtempSync(path.join(tmpdir(), "chromium-profile-"));
  mkdirSync(path.join(profile, "Default"));
  writeFileSync(path.join(profile, "Default", "Preferences"), JSON.stringify({ profile: { cookie_controls_mode: 0, block_third_party_cookies: false } }));
  const context = await chromium.launchPersistentContext(profile, { ...launchOptions, ignoreHTTPSErrors, baseURL });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await signInThenADayPasses(page);
    const before = await counters();
    const shown = topLevelUrls(page);

    await page.getByRole("link", { name: "Subscriptions" }).click();
    await subscriptionsShownSilently(page);
    await expect(page.getByRole("main").getByRole("alert")).toHaveCount(0);

    const after = await counters();
    expect(after.authorizePromptNone - before.authorizePromptNone).toBe(1); // the hidden iframe's request
    expect(after.authorize - before.authorize).toBe(1); // and no interactive one
    const appOrigin = new URL(page.url()).origin;
    expect(shown.filter((u) => !u.startsWith(appOrigin))).toEqual([]); // the tab never left the app…
    expect(shown.some((u) => new URL(u).pathname === "/redirect")).toBe(false); // …nor showed the bridge
    await expect(page).toHaveURL(/\/subscriptions$/);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
});

test("third-party cookies blocked (the iframe gets no session cookie): one redirect, then back to the same view", async ({ page }) => {
  await signInThenADayPasses(page);
  const before = await counters();

  await page.getByRole("link", { name: "Subscriptions" }).click();
  // No sign-in form to fill: the top-level request carries the session cookie.
  await expect(page).toHaveURL(/\/subscriptions$/);
  await subscriptionsShownSilently(page);
  await expect(page.getByRole("main").getByRole("alert")).toHaveCount(0);

  const after = await counters();
  expect(after.authorizePromptNone - before.authorizePromptNone).toBe(1); // tried silently first
  expect(after.authorize - after.authorizePromptNone - (before.authorize - before.authorizePromptNone)).toBe(1); // then one top-level redirect
});

test("refresh token expired and session gone: one sign-in, then back to the same view", async ({ page }) => {
  await signInThenADayPasses(page, { sessionGone: true });
  const before = await counters();

  await page.getByRole("link", { name: "Subscriptions" }).click();
  // The hidden iframe found no session (login_required): the SPA sends the tab to sign in.
  await expect(page.getByLabel("Email or username")).toBeVisible();
  expect(new URL(page.url()).origin).toBe(identityProviderOrigin());
  // A new day's sign-in: fresh refresh-token and session lifetimes for what comes next.
  await control("/settings", { spaRefreshTokenLifetimeSeconds: DAY, sessionLifetimeSeconds: DAY / 2 });
  await new EmulatorSignInPage(page).submitCredentials(credentials(MEGAN));

  // The new session has not done MFA: the SPA remembered the view's claims (c1), so this one
  // sign-in asks for the verification code too, instead of a second round trip for the step-up.
  expect(await subscriptionsShown(page, MEGAN)).toBe(true);
  await expect(page).toHaveURL(/\/subscriptions$/);
  await expect(page.getByRole("main").getByRole("alert")).toHaveCount(0);
  const after = await counters();
  expect(after.authorizePromptNone - before.authorizePromptNone).toBe(1); // silent first…
  expect(after.authorize - after.authorizePromptNone - (before.authorize - before.authorizePromptNone)).toBe(1); // …then one sign-in
});

test("only the redirect bridge may be framed, and only by this app", async ({ request }) => {
  for (const path of ["/", "/profile", "/subscriptions", "/web"]) {
    const res = await request.get(path);
    expect([path, res.headers()["x-frame-options"]]).toEqual([path, "DENY"]);
    expect(res.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
  }
  const bridge = await request.get("/redirect");
  expect(bridge.headers()["x-frame-options"]).toBe("SAMEORIGIN");
  const csp = bridge.headers()["content-security-policy"] ?? "";
  expect(csp).toContain("frame-ancestors 'self'");
  // The pages that start a silent renewal may frame the authority and this origin (the bridge).
  const idp = identityProviderOrigin();
  expect((await request.get("/profile")).headers()["content-security-policy"]).toContain(`frame-src 'self' ${idp}`);
});
