// Sign-out the way Entra does it: post_logout_redirect_uri must be one of the app's registered
// redirect URIs, and the sign-out page loads the front-channel logout URL of every app the browser
// session signed in to (with the session's `sid`) before it returns to the app.
import type { RunningEmulator } from "./index";
import { Browser, control, decodePayload, has, pkcePair, redirectParams, setupTestEmulator, startTestEmulator, tokenRequest, unescapeHtml, type Page } from "./test-support/harness";

const A = "http://localhost:3000";
const B = "http://localhost:4000";
const MEGAN = "megan.bowen@contoso.test";

let emu: RunningEmulator;
setupTestEmulator((e) => (emu = e), { appOrigins: [A, B], reset: { sessions: true } });

const password = () => emu.tenant.users.find((u) => u.username === MEGAN)!.password;

/** Signs `browser` in to an app through /authorize (the form only when there is no session yet). */
async function signInTo(browser: Browser, app: "spa" | "web", origin = A): Promise<{ code: string; verifier: string; redirectUri: string }> {
  const { verifier, challenge } = pkcePair();
  const redirectUri = `${origin}${app === "spa" ? "/redirect" : "/auth/callback"}`;
  const url = new URL(`${emu.tenant.authority}/oauth2/v2.0/authorize`);
  url.search = new URLSearchParams({
    client_id: emu.tenant.apps[app].clientId,
    response_type: "code",
    redirect_uri: redirectUri,
    scope: app === "spa" ? `${emu.tenant.apps.api.scope} openid profile offline_access` : "https://graph.microsoft.com/User.Read openid profile offline_access",
    state: "st",
    code_challenge: challenge,
    code_challenge_method: "S256",
  }).toString();
  let page = await browser.go(url.toString());
  if (!page.leftTo) page = await browser.submit(page, { username: MEGAN, password: password() });
  return { code: redirectParams(page.leftTo).get("code")!, verifier, redirectUri };
}

/** The web app's ID token for a code (what msal-node gets at /auth/callback), raw. */
async function webIdTokenRaw(grant: { code: string; verifier: string; redirectUri: string }): Promise<string> {
  const web = emu.tenant.apps.web;
  const r = await tokenRequest(emu, {
    grant_type: "authorization_code",
    client_id: web.clientId,
    client_secret: web.clientSecret,
    code: grant.code,
    code_verifier: grant.verifier,
    redirect_uri: grant.redirectUri,
    scope: "https://graph.microsoft.com/User.Read openid profile offline_access",
  });
  expect(r.status).toBe(200);
  return String(r.body.id_token);
}

const webIdToken = async (grant: { code: string; verifier: string; redirectUri: string }) => decodePayload(await webIdTokenRaw(grant));

const logout = (browser: Browser, params: Record<string, string>) => browser.go(`${emu.tenant.authority}/oauth2/v2.0/logout?${new URLSearchParams(params).toString()}`);
const frames = (page: Page) => [...page.html.matchAll(/<iframe\b[^>]*\bsrc="([^"]*)"/g)].map((m) => unescapeHtml(m[1] ?? ""));

describe("post_logout_redirect_uri", () => {
  test.each([
    ["web", `${A}/web`, "allowed"],
    ["web", `${A}/auth/callback`, "allowed"],
    ["web", `${B}/web`, "allowed"],
    ["web", `${A}/`, "refused"], // the SPA's, not the web app's
    ["web", `${A}/web/`, "refused"], // exact match only
    ["web", `${A}/WEB`, "refused"],
    ["web", "https://evil.example/web", "refused"],
    ["spa", `${A}/`, "allowed"],
    ["spa", `${A}/redirect`, "allowed"],
    ["spa", `${A}/web`, "refused"],
  ] as const)("client %s, %s: %s (registered redirect URIs only)", async (app, target, expected) => {
    const out = await logout(new Browser(emu), { client_id: emu.tenant.apps[app].clientId, post_logout_redirect_uri: target, state: "bye" });
    if (expected === "allowed") {
      expect(out.leftTo).toBe(`${target}?state=bye`);
    } else {
      expect(out.leftTo).toBeUndefined();
      expect(has(out, "You signed out of your account")).toBe(true);
      expect(out.html).not.toContain(target);
    }
  });

  test("the client may be named by the id_token_hint's audience instead of client_id", async () => {
    const hint = await webIdTokenRaw(await signInTo(new Browser(emu), "web"));
    expect((await logout(new Browser(emu), { id_token_hint: hint, post_logout_redirect_uri: `${A}/` })).leftTo).toBeUndefined();
    expect((await logout(new Browser(emu), { id_token_hint: hint, post_logout_redirect_uri: `${A}/web` })).leftTo).toBe(`${A}/web`);
  });

  test("without client_id or id_token_hint (msal-browser sends neither), only the apps this browser session signed in to count", async () => {
    const browser = new Browser(emu);
    await signInTo(browser, "spa");
    expect((await logout(browser, { post_logout_redirect_uri: `${A}/web` })).leftTo).toBeUndefined();

    const other = new Browser(emu);
    await signInTo(other, "spa");
    expect((await logout(other, { post_logout_redirect_uri: `${A}/`, logout_hint: await meganLoginHint() })).leftTo).toBe(`${A}/`);

    // no session and no client: nothing to check the address against, so no redirect
    expect((await logout(new Browser(emu), { post_logout_redirect_uri: `${A}/` })).leftTo).toBeUndefined();
  });
});

describe("optional ID-token claims: sid and login_hint only when the registration asks (issue #20 items 8, 9)", () => {
  // Microsoft Learn, "Optional claims reference": `sid` ("Session ID, used for per-session user sign
  // out") and `login_hint` are optional claims; a registration that does not ask gets neither.
  test("the web app asks for both: its ID token has them; without them in the registration, it has neither", async () => {
    const withClaims = await webIdToken(await signInTo(new Browser(emu), "web"));
    expect(withClaims.sid).toMatch(/^[0-9a-f-]{36}$/);
    expect(withClaims.login_hint).toEqual(expect.any(String));
    expect(String(withClaims.login_hint)).not.toContain(MEGAN); // opaque, never the UPN

    await control(emu, "POST", "/apps/registration", { clientId: emu.tenant.apps.web.clientId, idTokenOptionalClaims: [] });
    const without = await webIdToken(await signInTo(new Browser(emu), "web"));
    expect(without).not.toHaveProperty("sid");
    expect(without).not.toHaveProperty("login_hint");
  });

  test("the login_hint claim works as login_hint (what msal sends when the ID token has it): silent sign-in succeeds", async () => {
    const browser = new Browser(emu);
    const { login_hint: hint } = await webIdToken(await signInTo(browser, "web"));
    const { challenge } = pkcePair();
    const silent = await browser.go(
      `${emu.tenant.authority}/oauth2/v2.0/authorize?${new URLSearchParams({ client_id: emu.tenant.apps.spa.clientId, response_type: "code", redirect_uri: `${A}/redirect`, scope: "openid", code_challenge: challenge, code_challenge_method: "S256", prompt: "none", login_hint: String(hint) })}`,
    );
    expect(redirectParams(silent.leftTo).get("code")).toBeTruthy();
  });
});

/** The opaque login_hint claim of MEGAN (what msal-browser / the web app send as logout_hint). */
async function meganLoginHint(): Promise<string> {
  return String((await webIdToken(await signInTo(new Browser(emu), "web"))).login_hint);
}

const silentCode = async (browser: Browser) => {
  const { challenge } = pkcePair();
  const silent = await browser.go(
    `${emu.tenant.authority}/oauth2/v2.0/authorize?${new URLSearchParams({ client_id: emu.tenant.apps.spa.clientId, response_type: "code", redirect_uri: `${A}/redirect`, scope: "openid", code_challenge: challenge, code_challenge_method: "S256", prompt: "none" })}`,
  );
  return redirectParams(silent.leftTo).get("code");
};

describe("'Pick an account' at sign-out unless logout_hint names the account (issue #20 item 9)", () => {
  // Microsoft Learn, "Send a sign-out request": logout_hint "Enables sign-out to occur without
  // prompting the user to select an account" and must be the login_hint optional claim, not a UPN.
  // The emulator asks whenever a signed-in browser sends no such hint, even with one account.
  test("without logout_hint a signed-in browser is asked which account to sign out; picking it signs out and carries on", async () => {
    const browser = new Browser(emu);
    await signInTo(browser, "web");
    const page = await logout(browser, { client_id: emu.tenant.apps.web.clientId, post_logout_redirect_uri: `${A}/web`, state: "bye" });
    expect(page.leftTo).toBeUndefined();
    expect(has(page, "Pick an account")).toBe(true);
    expect(has(page, "Which account do you want to sign out of?")).toBe(true);
    // accessible: a real button per account, named by the account
    expect(page.html).toMatch(new RegExp(`<button[^>]*name="account"[^>]*>${MEGAN.replace(/\./g, "\\.")}`));
    expect(await silentCode(browser)).toBeTruthy(); // nobody is signed out before the choice

    const megan = emu.tenant.users.find((u) => u.username === MEGAN)!;
    const done = await browser.submit(page, {}, { name: "account", value: megan.oid });
    expect(has(done, "You signed out of your account")).toBe(true);
    expect(frames(done)).toHaveLength(1); // the web app's front-channel logout
    expect(done.html).toContain(`${A}/web?state=bye`);
    expect(await silentCode(browser)).toBeNull();
    expect((await control<{ logoutAccountPicker: number }>(emu, "GET", "/counters")).logoutAccountPicker).toBe(1);
  });

  test("with the login_hint claim as logout_hint: no question, signed out at once", async () => {
    const browser = new Browser(emu);
    const { login_hint: hint } = await webIdToken(await signInTo(browser, "web"));
    const page = await logout(browser, { client_id: emu.tenant.apps.web.clientId, post_logout_redirect_uri: `${A}/web`, logout_hint: String(hint) });
    expect(has(page, "Pick an account")).toBe(false);
    expect(has(page, "You signed out of your account")).toBe(true);
    expect(await silentCode(browser)).toBeNull();
  });

  test("a UPN, or another user's login_hint, is no hint: still the question", async () => {
    const browser = new Browser(emu);
    await signInTo(browser, "web");
    expect(has(await logout(browser, { client_id: emu.tenant.apps.web.clientId, logout_hint: MEGAN }), "Pick an account")).toBe(true);
    const alex = emu.tenant.users.find((u) => u.username.startsWith("alex."))!;
    const other = new Browser(emu);
    const grant = await (async () => {
      const { verifier, challenge } = pkcePair();
      const url = new URL(`${emu.tenant.authority}/oauth2/v2.0/authorize`);
      url.search = new URLSearchParams({ client_id: emu.tenant.apps.web.clientId, response_type: "code", redirect_uri: `${A}/auth/callback`, scope: "https://graph.microsoft.com/User.Read openid", state: "s", code_challenge: challenge, code_challenge_method: "S256" }).toString();
      const page = await other.submit(await other.go(url.toString()), { username: alex.username, password: alex.password });
      return { code: redirectParams(page.leftTo).get("code")!, verifier, redirectUri: `${A}/auth/callback` };
    })();
    const alexHint = String((await webIdToken(grant)).login_hint);
    expect(has(await logout(browser, { client_id: emu.tenant.apps.web.clientId, logout_hint: alexHint }), "Pick an account")).toBe(true);
  });

  test("a browser with no session has nothing to pick", async () => {
    const out = await logout(new Browser(emu), { client_id: emu.tenant.apps.web.clientId, post_logout_redirect_uri: `${A}/web` });
    expect(has(out, "Pick an account")).toBe(false);
    expect(out.leftTo).toBe(`${A}/web`);
  });
});

describe("single sign-out (front-channel logout)", () => {
  test("ID tokens carry the browser session's sid; a sign-in after sign-out gets a new one", async () => {
    const browser = new Browser(emu);
    const first = await webIdToken(await signInTo(browser, "web"));
    const again = await webIdToken(await signInTo(browser, "web")); // single sign-on: same session
    expect(first.sid).toMatch(/^[0-9a-f-]{36}$/);
    expect(again.sid).toBe(first.sid);
    await logout(browser, { client_id: emu.tenant.apps.web.clientId, logout_hint: String(first.login_hint) });
    const later = await webIdToken(await signInTo(browser, "web"));
    expect(later.sid).not.toBe(first.sid);
  });

  test("the sign-out page loads the front-channel logout URL of every app the session signed in to, then returns to the app", async () => {
    const browser = new Browser(emu);
    await signInTo(browser, "spa");
    const { sid } = await webIdToken(await signInTo(browser, "web"));

    // msal-browser's logoutRedirect from the SPA: no client_id, no id_token_hint; the login_hint claim as logout_hint
    const page = await logout(browser, { post_logout_redirect_uri: `${A}/`, state: "bye", logout_hint: await meganLoginHint() });
    expect(page.leftTo).toBeUndefined();
    expect(page.status).toBe(200);
    expect(has(page, "You signed out of your account")).toBe(true);
    // only the web app registered a front-channel logout URL; it gets the session's sid (no iss, like Entra)
    expect(frames(page)).toEqual([`${A}/auth/frontchannel-logout?sid=${String(sid)}`]);
    // then back to the validated post-logout redirect URI (a script follows this link once the frames loaded)
    expect(page.html).toMatch(new RegExp(`<a id="continue" href="${`${A}/?state=bye`.replace(/[.?/]/g, "\\$&")}"`));
    expect(page.html).toMatch(/<script nonce="[^"]+">/);

    // the session is over: a silent sign-in now needs the user
    const { challenge } = pkcePair();
    const silent = await browser.go(
      `${emu.tenant.authority}/oauth2/v2.0/authorize?${new URLSearchParams({ client_id: emu.tenant.apps.spa.clientId, response_type: "code", redirect_uri: `${A}/redirect`, scope: "openid", code_challenge: challenge, code_challenge_method: "S256", prompt: "none" })}`,
    );
    expect(redirectParams(silent.leftTo).get("error")).toBe("login_required");
  });

  test("a registration has one front-channel logout URL, loaded whichever origin the app signed in from; unvalidated targets get the frames but no way back (issue #20 item 12)", async () => {
    // Entra: one "Front-channel logout URL" per registration (the application's logoutUrl). The
    // emulator registers it on the first app origin unless told otherwise (frontChannelLogoutOrigin).
    expect(emu.tenant.apps.web.frontChannelLogoutUrls).toEqual([`${A}/auth/frontchannel-logout`]);
    expect(emu.tenant.apps.web.frontChannelLogoutUrl).toBe(`${A}/auth/frontchannel-logout`);
    const browser = new Browser(emu);
    await signInTo(browser, "web", B);
    const page = await logout(browser, { post_logout_redirect_uri: "https://evil.example/", logout_hint: await meganLoginHint() });
    expect(frames(page)).toEqual([expect.stringMatching(new RegExp(`^${A}/auth/frontchannel-logout\\?sid=[0-9a-f-]{36}$`))]);
    expect(page.html).not.toContain("evil.example");
    expect(page.html).not.toContain('id="continue"');
  });

  test("a session that signed in to no app with a front-channel logout URL redirects straight back", async () => {
    const browser = new Browser(emu);
    await signInTo(browser, "spa");
    const out = await logout(browser, { post_logout_redirect_uri: `${A}/redirect`, logout_hint: await meganLoginHint() });
    expect(out.leftTo).toBe(`${A}/redirect`);
  });
});

test("the launcher chooses which origin's front-channel logout URL is registered (frontChannelLogoutOrigin), one of the app origins", async () => {
  const other = await startTestEmulator({ appOrigins: [A, B], frontChannelLogoutOrigin: B });
  try {
    expect(other.tenant.apps.web.frontChannelLogoutUrls).toEqual([`${B}/auth/frontchannel-logout`]);
  } finally {
    await other.close();
  }
  await expect(startTestEmulator({ appOrigins: [A], frontChannelLogoutOrigin: "https://elsewhere.example" })).rejects.toThrow(/frontChannelLogoutOrigin/);
});
