/**
 * The web app's sign-in, end to end over HTTP: the real route handlers (called with Request
 * objects), real msal-node, and a private identity emulator whose sign-in form is driven with
 * fetch. No mocks. Run with NODE_EXTRA_CA_CERTS=.emulator/ca.pem (the emulator's CA).
 */
import { mkdtempSync } from "node:fs";
import { sealData, unsealData } from "iron-session";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator, type RunningEmulator } from "@/emulator";
import { Browser, type Page } from "@/emulator/test-support/harness";
import { getConfig, resetConfigForTests } from "@/lib/config";
import { setLogSink, type LogRecord } from "@/lib/http/log";
import { readSession, type WebSessionData } from "@/lib/session";
import { emulatorEnv, installEnv } from "@/test-support/emulator-config";
import { EmulatorControl } from "@/test-support/emulator-control";
import { SignInRequiredError, acquireWebToken, fetchGraphMe, partitionKey, requireWebConfig } from "@/lib/webauth";
import { getWebTokenStore } from "@/lib/webauth/token-cache";
import { webSessionRevocations } from "@/lib/webauth/web-session";
import { MemoryStore, RedisStore } from "@/lib/cache";
import { SessionRevocations, openRouteSession } from "@/lib/session";
import { startRedisServer, type RedisServer } from "@/test-support/redis-server";
import { startTcpProxy, type TcpProxy } from "@/test-support/tcp-proxy";
import Redis from "ioredis";
import { GET as callback } from "./callback/route";
import { GET as frontChannelLogout } from "./frontchannel-logout/route";
import { GET as login } from "./login/route";
import { POST as logout } from "./logout/route";

const APP = "http://localhost:3100";
const JWT = /eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+/;

let emu: RunningEmulator;
let restoreEnv: () => void;
let logs: LogRecord[] = [];
let restoreLogs: () => void;

beforeAll(async () => {
  restoreLogs = setLogSink((r) => logs.push(r));
  const dir = mkdtempSync(join(tmpdir(), "web-emulator-"));
  emu = await startEmulator({ port: 0, tenantFile: join(dir, "tenant.json"), appOrigins: [APP] });
  restoreEnv = installEnv(emulatorEnv(emu.tenant));
  resetConfigForTests();
});

afterAll(async () => {
  restoreEnv?.();
  resetConfigForTests();
  restoreLogs?.();
  await emu?.close();
});

beforeEach(() => {
  logs = [];
});

afterEach(() => jest.restoreAllMocks());

/** The browser's cookie for the app (only the session cookie exists). */
class AppJar {
  cookie: string | undefined;
  take(res: Response): Response {
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(";").map((s) => s.trim());
      if (!pair) continue;
      const cleared = attrs.some((a) => /^max-age=0$/i.test(a)) || pair.endsWith("=");
      this.cookie = cleared ? undefined : pair;
    }
    return res;
  }
  headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.cookie ? { cookie: this.cookie, ...extra } : extra;
  }
}

async function startLogin(jar: AppJar, query = "returnTo=%2Fweb"): Promise<URL> {
  const res = jar.take(await login(new Request(`${APP}/auth/login?${query}`, { headers: jar.headers() })));
  expect(res.status).toBe(302);
  return new URL(res.headers.get("location") ?? "");
}

/** Signs in on the emulator's pages; returns the app callback URL the emulator redirected to. */
async function signInAtEmulator(browser: Browser, authorizeUrl: URL, username = "megan.bowen@contoso.test"): Promise<string> {
  let page: Page = await browser.go(authorizeUrl.toString());
  if (!page.leftTo) {
    expect(page.html).toContain("Email or username");
    const password = emu.tenant.users.find((u) => u.username === username)?.password ?? "";
    page = await browser.submit(page, { username, password }, { name: "action", value: "signin" });
  }
  if (!page.leftTo) throw new Error(`emulator did not redirect back:\n${page.html.slice(0, 1500)}`);
  return page.leftTo;
}

async function sessionOf(jar: AppJar): Promise<WebSessionData> {
  const value = jar.cookie?.slice(jar.cookie.indexOf("=") + 1);
  return readSession({ get: (name) => (value && jar.cookie?.startsWith(`${name}=`) ? { name, value } : undefined) }, getConfig(), { secure: false }, webSessionRevocations(getConfig()));
}

async function signIn(jar: AppJar, browser = new Browser(emu), query?: string): Promise<Response> {
  const authorize = await startLogin(jar, query);
  const back = await signInAtEmulator(browser, authorize);
  return jar.take(await callback(new Request(back, { headers: jar.headers() })));
}

describe("GET /auth/login", () => {
  it("starts the auth code flow with PKCE (S256), state, nonce and the registered redirect URI", async () => {
    const jar = new AppJar();
    const url = await startLogin(jar);
    expect(url.origin).toBe(emu.url);
    expect(url.pathname).toBe(`/${emu.tenant.tenantId}/oauth2/v2.0/authorize`);
    const q = url.searchParams;
    expect(q.get("client_id")).toBe(emu.tenant.apps.web.clientId);
    expect(q.get("redirect_uri")).toBe(`${APP}/auth/callback`);
    expect(q.get("response_type")).toBe("code");
    expect(q.get("response_mode")).toBe("query");
    expect(q.get("code_challenge_method")).toBe("S256");
    expect(q.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get("state")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get("nonce")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get("scope")?.split(" ")).toEqual(expect.arrayContaining(["https://graph.microsoft.com/User.Read", "openid", "profile", "offline_access"]));
    // the transaction is in the encrypted cookie, not in the URL
    const session = await sessionOf(jar);
    expect(session.logins).toHaveLength(1);
    expect(session.logins?.[0]?.state).toBe(q.get("state"));
    expect(url.toString()).not.toContain(session.logins?.[0]?.codeVerifier ?? "missing");
  });

  it("sanitizes returnTo, and passes through only allowed prompts and configured scopes", async () => {
    const jar = new AppJar();
    const url = await startLogin(
      jar,
      `returnTo=${encodeURIComponent("https://evil.example/steal")}&prompt=none&scopes=${encodeURIComponent("https://graph.microsoft.com/Mail.Read https://graph.microsoft.com/User.Read")}`,
    );
    expect(url.searchParams.get("prompt")).toBeNull();
    expect(url.searchParams.get("scope")).not.toContain("Mail.Read");
    expect((await sessionOf(jar)).logins?.[0]?.returnTo).toBe("/web");

    const url2 = await startLogin(jar, "returnTo=%2Fweb%3Ftab%3Draw&prompt=select_account");
    expect(url2.searchParams.get("prompt")).toBe("select_account");
    // several tabs may sign in at once: both transactions are pending
    expect((await sessionOf(jar)).logins?.map((t) => t.returnTo)).toEqual(["/web", "/web?tab=raw"]);
  });

  it("explains, without a stack trace, when the host header is not a host", async () => {
    const res = await login(new Request(`${APP}/auth/login`, { headers: { "x-forwarded-host": "ok.example", host: "evil.example/<x>" } }));
    // forwarded headers are not believed by default (TRUST_FORWARDED_HEADERS=false): the Host header decides
    expect(res.status).toBe(400);
    const bad = await login(new Request(`${APP}/auth/login`, { headers: { host: "evil.example/<x>" } }));
    expect(bad.status).toBe(400);
    const html = await bad.text();
    expect(html).toContain("bad_host");
    expect(html).not.toContain("<x>");
  });
});

describe("the full sign-in", () => {
  it("the session cookie carries no groups or roles, whatever the ID token carries: a user in 250 groups gets the same small cookie (issue #21)", async () => {
    const sizes: number[] = [];
    for (const username of ["megan.bowen@contoso.test", "irvin.sayers@contoso.test"]) {
      const jar = new AppJar();
      const authorize = await startLogin(jar);
      const back = await signInAtEmulator(new Browser(emu), authorize, username);
      const res = jar.take(await callback(new Request(back, { headers: jar.headers() })));
      expect(res.status).toBe(303);
      const session = JSON.stringify(await sessionOf(jar));
      expect(session).not.toMatch(/"(groups|roles|hasgroups|_claim_names)"/);
      sizes.push(jar.cookie?.length ?? 0);
    }
    // the web app's registration asks for groups in ID tokens (groupMembershipClaims): none reach the cookie
    expect(Math.max(...sizes)).toBeLessThan(1000);
    expect(Math.abs((sizes[0] ?? 0) - (sizes[1] ?? 0))).toBeLessThan(60);
  });

  it("signs in through the emulator's page, lands on returnTo, and keeps tokens on the server", async () => {
    const jar = new AppJar();
    const res = await signIn(jar, new Browser(emu), "returnTo=%2Fweb%3Ftab%3Draw");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`${APP}/web?tab=raw`);
    const setCookie = res.headers.getSetCookie().join("\n");
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    expect(setCookie).not.toMatch(JWT);

    const session = await sessionOf(jar);
    const megan = emu.tenant.users.find((u) => u.username === "megan.bowen@contoso.test");
    expect(session.user).toMatchObject({ name: "Megan Bowen", username: "megan.bowen@contoso.test", tenantId: emu.tenant.tenantId });
    expect(session.user?.homeAccountId).toBe(`${megan?.oid}.${emu.tenant.tenantId}`);
    expect(session.logins).toBeUndefined();
    expect(Object.keys(session.user ?? {}).sort()).toEqual(["homeAccountId", "idpSessionId", "loginHint", "name", "sessionId", "signedInAt", "tenantId", "username"]);
    expect(session.user?.sessionId).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // the tokens are in the user's partition, served from it without another IdP round trip
    const config = requireWebConfig(getConfig());
    const stored = await getWebTokenStore(config).get(partitionKey(config.web.clientId, session.user?.homeAccountId ?? "", session.user?.sessionId ?? ""));
    expect(stored).toContain("RefreshToken");
    const token = await acquireWebToken(config, session.user!, "00000000-0000-4000-8000-000000000001");
    expect(token.fromCache).toBe(true);
    const graph = await fetchGraphMe(config, token.accessToken, "00000000-0000-4000-8000-000000000001");
    expect(graph.ok && graph.profile.displayName).toBe("Megan Bowen");

    // nothing logged carries a token
    expect(JSON.stringify(logs)).not.toMatch(JWT);
  });

  it("refreshes an expiring access token silently with the partition's refresh token", async () => {
    // 60 s tokens are inside MSAL's 5-minute refresh window: every silent call must refresh.
    const control = new EmulatorControl(emu.tenant);
    await control.tokenLifetime(60);
    try {
      const jar = new AppJar();
      await signIn(jar);
      const user = (await sessionOf(jar)).user!;
      const config = requireWebConfig(getConfig());
      const before = (await control.counters()).tokenRequests.refresh_token?.[config.web.clientId] ?? 0;
      const refreshed = await acquireWebToken(config, user, "00000000-0000-4000-8000-000000000004");
      expect(refreshed.fromCache).toBe(false);
      const after = (await control.counters()).tokenRequests.refresh_token?.[config.web.clientId] ?? 0;
      expect(after).toBe(before + 1);
      // the partition now holds the new token
      const stored = await getWebTokenStore(config).get(partitionKey(config.web.clientId, user.homeAccountId, user.sessionId));
      expect(stored).toContain(refreshed.accessToken.split(".")[2]);
    } finally {
      await control.tokenLifetime(3600);
    }
  });

  it("asks for interaction (not an error) when the identity provider refuses the refresh: consent revoked", async () => {
    const control = new EmulatorControl(emu.tenant);
    await control.tokenLifetime(60); // every silent call goes to the identity provider
    try {
      const jar = new AppJar();
      await signIn(jar);
      const user = (await sessionOf(jar)).user!;
      const config = requireWebConfig(getConfig());
      await control.revokeConsent({ clientId: config.web.clientId, username: "megan.bowen@contoso.test" });
      const error = await acquireWebToken(config, user, "00000000-0000-4000-8000-000000000006").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SignInRequiredError);
      expect(error).toMatchObject({ reason: "interaction_required", scopes: ["https://graph.microsoft.com/User.Read"] });
    } finally {
      await control.tokenLifetime(3600);
      await control.reset();
    }
  });

  it("answers a replayed callback with an explained page, not a second sign-in", async () => {
    const jar = new AppJar();
    const authorize = await startLogin(jar);
    const back = await signInAtEmulator(new Browser(emu), authorize);
    expect(jar.take(await callback(new Request(back, { headers: jar.headers() }))).status).toBe(303);
    const replay = jar.take(await callback(new Request(back, { headers: jar.headers() })));
    expect(replay.status).toBe(400);
    const html = await replay.text();
    expect(html).toContain("no_login_in_progress");
    expect(html).toContain("already used");
    // still signed in as before
    expect((await sessionOf(jar)).user?.username).toBe("megan.bowen@contoso.test");
  });

  it("rejects a callback from another browser (login CSRF): the code is bound to the cookie", async () => {
    const victim = new AppJar();
    const attacker = new AppJar();
    const authorize = await startLogin(attacker);
    const back = await signInAtEmulator(new Browser(emu), authorize, "adele.vance@contoso.test");
    await startLogin(victim);
    const res = victim.take(await callback(new Request(back, { headers: victim.headers() })));
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("state_mismatch");
    expect((await sessionOf(victim)).user).toBeUndefined();
  });

  it("signs out: POST only from the app's origin, deletes the partition and the cookie, then signs out at the IdP", async () => {
    const jar = new AppJar();
    await signIn(jar);
    const user = (await sessionOf(jar)).user!;
    const config = requireWebConfig(getConfig());

    const forged = await logout(new Request(`${APP}/auth/logout`, { method: "POST", headers: jar.headers({ origin: "https://evil.example" }) }));
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain("cross_site_request");
    const noOrigin = await logout(new Request(`${APP}/auth/logout`, { method: "POST", headers: jar.headers() }));
    expect(noOrigin.status).toBe(403);
    expect((await sessionOf(jar)).user).toBeDefined();

    const res = jar.take(await logout(new Request(`${APP}/auth/logout`, { method: "POST", headers: jar.headers({ origin: APP }) })));
    expect(res.status).toBe(303);
    const to = new URL(res.headers.get("location") ?? "");
    expect(`${to.origin}${to.pathname}`).toBe(`${emu.url}/${emu.tenant.tenantId}/oauth2/v2.0/logout`);
    expect(to.searchParams.get("post_logout_redirect_uri")).toBe(`${APP}/web`);
    expect(jar.cookie).toBeUndefined();
    expect(await getWebTokenStore(config).get(partitionKey(config.web.clientId, user.homeAccountId, user.sessionId))).toBeUndefined();
    await expect(acquireWebToken(config, user, "00000000-0000-4000-8000-000000000002")).rejects.toMatchObject({ reason: "no_account" });

    // the IdP accepts the post-logout URI and comes back to /web
    const idp = await fetch(to, { redirect: "manual" });
    expect(idp.status).toBeGreaterThanOrEqual(300);
    expect(idp.headers.get("location")).toBe(`${APP}/web`);
  });

  it("signs out with logout_hint (the ID token's login_hint claim), so the identity provider asks no 'Pick an account' (issue #20 item 9)", async () => {
    const jar = new AppJar();
    const browser = new Browser(emu);
    await signIn(jar, browser);
    const res = jar.take(await logout(new Request(`${APP}/auth/logout`, { method: "POST", headers: jar.headers({ origin: APP }) })));
    const to = new URL(res.headers.get("location") ?? "");
    const hint = to.searchParams.get("logout_hint");
    expect(hint).toEqual(expect.any(String));
    expect(hint).not.toContain("megan.bowen"); // the opaque claim, never the UPN
    // The same browser that is signed in at the identity provider: no account picker, straight back (via the sign-out page).
    const page = await browser.go(to.toString());
    expect(page.html).not.toContain("Pick an account");
    expect(page.leftTo ?? page.html).toContain(`${APP}/web`);
  });
});

describe("an ID token without the optional claims (the registration did not ask for sid and login_hint)", () => {
  const control = () => new EmulatorControl(emu.tenant);
  beforeEach(() => control().registration({ clientId: emu.tenant.apps.web.clientId, idTokenOptionalClaims: [] }));
  afterEach(() => control().reset());

  it("signs in, and logs once that front-channel logout cannot end this session (issue #20 item 8)", async () => {
    const jar = new AppJar();
    await signIn(jar);
    const user = (await sessionOf(jar)).user!;
    expect(user.idpSessionId).toBeUndefined();
    const config = requireWebConfig(getConfig());
    await acquireWebToken(config, user, "00000000-0000-4000-8000-000000000003");
    await sessionOf(jar);
    await frontChannelLogout(new Request(`${APP}/auth/frontchannel-logout?sid=00000000-0000-4000-8000-00000000beef`));
    const warnings = logs.filter((l) => l.event === "webauth.front_channel_logout_unavailable");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: "warn" });
    expect(String(warnings[0]?.reason)).toMatch(/sid/);
  });

  it("signs out without logout_hint when there is no login_hint claim (the identity provider will ask which account)", async () => {
    const jar = new AppJar();
    await signIn(jar);
    const res = jar.take(await logout(new Request(`${APP}/auth/logout`, { method: "POST", headers: jar.headers({ origin: APP }) })));
    expect(new URL(res.headers.get("location") ?? "").searchParams.has("logout_hint")).toBe(false);
  });
});

describe("callbacks that end on an explained page", () => {
  it("state that matches nothing pending", async () => {
    const jar = new AppJar();
    await startLogin(jar);
    const res = jar.take(await callback(new Request(`${APP}/auth/callback?code=abc&state=forged`, { headers: jar.headers() })));
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain("state_mismatch");
    expect(html).toContain('href="/auth/login?returnTo=%2Fweb"');
  });

  it("a callback with no sign-in in progress, or without code or state", async () => {
    const none = await callback(new Request(`${APP}/auth/callback?code=abc&state=xyz`));
    expect(none.status).toBe(400);
    expect(await none.text()).toContain("no_login_in_progress");
    const jar = new AppJar();
    await startLogin(jar);
    const missing = await callback(new Request(`${APP}/auth/callback?state=xyz`, { headers: jar.headers() }));
    expect(missing.status).toBe(400);
    expect(await missing.text()).toContain("invalid_callback");
  });

  it("an expired login transaction (over 10 minutes)", async () => {
    const jar = new AppJar();
    const authorize = await startLogin(jar);
    const back = await signInAtEmulator(new Browser(emu), authorize);
    const now = Date.now();
    const clock = jest.spyOn(Date, "now").mockReturnValue(now + 11 * 60_000);
    let res: Response;
    try {
      res = jar.take(await callback(new Request(back, { headers: jar.headers() })));
    } finally {
      clock.mockRestore();
    }
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("login_expired");
    // and the transaction is used up
    const again = await callback(new Request(back, { headers: jar.headers() }));
    expect(await again.text()).toContain("no_login_in_progress");
  });

  it("an error from the identity provider, escaped, and the transaction consumed", async () => {
    const jar = new AppJar();
    const authorize = await startLogin(jar);
    const state = authorize.searchParams.get("state") ?? "";
    const evil = `<script>alert("x")</script><img src=x onerror=alert(1)>`;
    const res = jar.take(
      await callback(
        new Request(`${APP}/auth/callback?error=consent_required&error_description=${encodeURIComponent(evil)}&state=${state}`, {
          headers: jar.headers(),
        }),
      ),
    );
    expect(res.status).toBe(400);
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).not.toContain("<script>alert");
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;script&gt;");
    expect(html).toContain("consent_required");
    expect((await sessionOf(jar)).logins).toBeUndefined();
  });

  it("an error code that is not a plain token is neither echoed nor explained", async () => {
    const jar = new AppJar();
    const authorize = await startLogin(jar);
    const state = authorize.searchParams.get("state") ?? "";
    const res = jar.take(await callback(new Request(`${APP}/auth/callback?error=${encodeURIComponent('server_error"><b>')}&error_description=x&state=${state}`, { headers: jar.headers() })));
    expect(res.status).toBe(502);
    const html = await res.text();
    expect(html).not.toContain("<b>");
    expect(html).not.toContain("server_error");
    expect((await sessionOf(jar)).logins).toBeUndefined();
  });

  it("the user cancelling at the identity provider (access_denied from the emulator's consent page)", async () => {
    const jar = new AppJar();
    const authorize = await startLogin(jar, "returnTo=%2Fweb&prompt=consent");
    const browser = new Browser(emu);
    let page = await browser.go(authorize.toString());
    page = await browser.submit(page, { username: "megan.bowen@contoso.test", password: "Passw0rd!emu" }, { name: "action", value: "signin" });
    expect(page.html).toContain("Permissions requested");
    page = await browser.submit(page, {}, { name: "action", value: "cancel" });
    const res = jar.take(await callback(new Request(page.leftTo ?? "", { headers: jar.headers() })));
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain("Sign-in was cancelled");
    expect(html).toContain("access_denied");
    expect((await sessionOf(jar)).user).toBeUndefined();
  });

  it("a tampered session cookie: treated as no session, deleted, never a 500", async () => {
    const jar = new AppJar();
    const authorize = await startLogin(jar);
    const back = await signInAtEmulator(new Browser(emu), authorize);
    const tampered = `${jar.cookie?.slice(0, -6)}AAAAAA`;
    const res = await callback(new Request(back, { headers: { cookie: tampered } }));
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("no_login_in_progress");
    expect(res.headers.getSetCookie().join()).toMatch(/web-session=;.*Max-Age=0/i);
    const garbage = await logout(new Request(`${APP}/auth/logout`, { method: "POST", headers: { cookie: "web-session=Fe26.2**garbage", origin: APP } }));
    expect(garbage.status).toBe(303);
    expect(garbage.headers.get("location")).toBe(`${APP}/web`);
  });

  it.each([
    // MSAL's own check of the response: refused, its code logged only
    ["nonce", "nonce_mismatch", false],
    // the identity provider's invalid_grant: the user can act on it (start again), so it is shown
    ["codeVerifier", "invalid_grant", true],
  ] as const)("a transaction whose %s does not match the code is refused (%s)", async (field, expected, shown) => {
    const jar = new AppJar();
    const authorize = await startLogin(jar);
    const back = await signInAtEmulator(new Browser(emu), authorize);
    // Rewrite the sealed transaction as only the server could (it knows SESSION_PASSWORD).
    const password = getConfig().session.password;
    const seal = jar.cookie?.slice(jar.cookie.indexOf("=") + 1) ?? "";
    const data = await unsealData<WebSessionData>(seal, { password });
    const tx = data.logins?.[0];
    if (!tx) throw new Error("no transaction");
    tx[field] = "x".repeat(43);
    jar.cookie = `web-session=${await sealData(data, { password, ttl: 900 })}`;
    const res = jar.take(await callback(new Request(back, { headers: jar.headers() })));
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain("redeem_failed");
    if (shown) expect(html).toContain(expected);
    else expect(html).not.toContain(expected);
    expect((await sessionOf(jar)).user).toBeUndefined();
  });

  it("a code the identity provider refuses (already redeemed) is explained, not thrown", async () => {
    const jar = new AppJar();
    const authorize = await startLogin(jar);
    const back = await signInAtEmulator(new Browser(emu), authorize);
    // redeem it behind the app's back first
    const code = new URL(back).searchParams.get("code") ?? "";
    await fetch(`${emu.url}/${emu.tenant.tenantId}/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        client_id: emu.tenant.apps.web.clientId,
        client_secret: emu.tenant.apps.web.clientSecret,
        code,
        redirect_uri: `${APP}/auth/callback`,
        code_verifier: (await sessionOf(jar)).logins?.[0]?.codeVerifier ?? "",
      }).toString(),
    });
    const res = jar.take(await callback(new Request(back, { headers: jar.headers() })));
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain("redeem_failed");
    expect(html).toContain("invalid_grant");
    expect((await sessionOf(jar)).user).toBeUndefined();
  });
});

describe("the identity provider's text on the error page (only for a sign-in this browser started, only when the user can act on it)", () => {
  const planted = "Your account is locked: call +1 555 0100 now";

  it.each([
    ["no sign-in in progress", false, "forged-state"],
    ["a state that matches no pending sign-in", true, "forged-state"],
    ["no state at all", true, undefined],
  ])("an error response with %s shows a generic message, never the planted description", async (_label, pending, state) => {
    const jar = new AppJar();
    if (pending) await startLogin(jar);
    const query = new URLSearchParams({ error: "access_denied", error_description: planted, ...(state ? { state } : {}) });
    const res = jar.take(await callback(new Request(`${APP}/auth/callback?${query}`, { headers: jar.headers() })));
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).not.toContain("Your account is locked");
    expect(html).not.toContain("access_denied");
    expect(html).toContain(pending ? "state_mismatch" : "no_login_in_progress");
    // a pending sign-in is not used up by someone else's planted response
    if (pending) expect((await sessionOf(jar)).logins).toHaveLength(1);
  });

  it("the same error for the sign-in this browser started shows the provider's text (the user declined: they can act on it)", async () => {
    const jar = new AppJar();
    const authorize = await startLogin(jar);
    const query = new URLSearchParams({ error: "access_denied", error_description: "AADSTS65004: User declined to consent to access the app.", state: authorize.searchParams.get("state") ?? "" });
    const html = await jar.take(await callback(new Request(`${APP}/auth/callback?${query}`, { headers: jar.headers() }))).text();
    expect(html).toContain("Sign-in was cancelled");
    expect(html).toContain("AADSTS65004: User declined to consent");
  });

  it("a configuration error returned for a matching state (unauthorized_client) shows only the correlation id, and is logged with it", async () => {
    const jar = new AppJar();
    const authorize = await startLogin(jar);
    const description = "AADSTS700016: Application with identifier 'x' was not found in the directory 'Contoso'.";
    const query = new URLSearchParams({ error: "unauthorized_client", error_description: description, state: authorize.searchParams.get("state") ?? "" });
    const res = await callback(new Request(`${APP}/auth/callback?${query}`, { headers: jar.headers({ "x-correlation-id": "11111111-2222-4333-8444-555555555555" }) }));
    const html = await res.text();
    expect(html).not.toContain("AADSTS700016");
    expect(html).not.toContain("unauthorized_client");
    expect(html).toContain("11111111-2222-4333-8444-555555555555");
    const logged = logs.find((l) => l.correlationId === "11111111-2222-4333-8444-555555555555" && JSON.stringify(l).includes("AADSTS700016"));
    expect(logged).toBeDefined();
  });

  it("a server-side failure the user cannot fix (AADSTS7000215, invalid client secret) shows only the correlation id; the log has the details", async () => {
    restoreEnv();
    restoreEnv = installEnv(emulatorEnv(emu.tenant, { overrides: { AZURE_WEB_CLIENT_SECRET: "not-the-registered-secret" } }));
    resetConfigForTests();
    try {
      const jar = new AppJar();
      const authorize = await startLogin(jar);
      const back = await signInAtEmulator(new Browser(emu), authorize);
      const res = jar.take(await callback(new Request(back, { headers: jar.headers({ "x-correlation-id": "22222222-2222-4333-8444-555555555555" }) })));
      expect(res.status).toBeGreaterThanOrEqual(500);
      const html = await res.text();
      expect(html).not.toMatch(/AADSTS|invalid_client|secret|Trace ID/i);
      expect(html).not.toContain(emu.tenant.apps.web.clientId);
      expect(html).toContain("22222222-2222-4333-8444-555555555555");
      const logged = logs.filter((l) => l.correlationId === "22222222-2222-4333-8444-555555555555");
      expect(JSON.stringify(logged)).toContain("AADSTS7000215");
      expect((await sessionOf(jar)).user).toBeUndefined();
    } finally {
      restoreEnv();
      restoreEnv = installEnv(emulatorEnv(emu.tenant));
      resetConfigForTests();
    }
  });
});

describe("ending sessions", () => {
  it("a cookie copied before sign-out is refused afterwards, even once the same user signs back in", async () => {
    const jar = new AppJar();
    await signIn(jar);
    const copied = new AppJar();
    copied.cookie = jar.cookie;
    const before = (await sessionOf(copied)).user!;
    await logout(new Request(`${APP}/auth/logout`, { method: "POST", headers: jar.headers({ origin: APP }) })).then((r) => jar.take(r));
    await signIn(jar);
    const now = (await sessionOf(jar)).user!;
    expect(now.homeAccountId).toBe(before.homeAccountId);
    expect(now.sessionId).not.toBe(before.sessionId);

    expect((await sessionOf(copied)).user).toBeUndefined();
    // a route handler drops the user from the copied cookie (and the copy cannot reach the new tokens)
    const res = copied.take(await login(new Request(`${APP}/auth/login?returnTo=%2Fweb`, { headers: copied.headers() })));
    expect(res.status).toBe(302);
    expect((await sessionOf(copied)).user).toBeUndefined();
    await expect(acquireWebToken(requireWebConfig(getConfig()), before, "00000000-0000-4000-8000-000000000007")).rejects.toMatchObject({ reason: "no_account" });
    expect((await acquireWebToken(requireWebConfig(getConfig()), now, "00000000-0000-4000-8000-000000000008")).accessToken).toMatch(JWT);
  });

  it("signing in again in the same browser starts a new session and ends the previous one", async () => {
    const jar = new AppJar();
    const browser = new Browser(emu);
    await signIn(jar, browser);
    const first = (await sessionOf(jar)).user!;
    const copied = jar.cookie;
    await signIn(jar, browser, "returnTo=%2Fweb&prompt=login");
    const second = (await sessionOf(jar)).user!;
    expect(second.sessionId).not.toBe(first.sessionId);
    const config = requireWebConfig(getConfig());
    expect(await getWebTokenStore(config).get(partitionKey(config.web.clientId, first.homeAccountId, first.sessionId))).toBeUndefined();
    const old = new AppJar();
    old.cookie = copied;
    expect((await sessionOf(old)).user).toBeUndefined();
  });

  it("GET /auth/frontchannel-logout?sid=… (the ID token's sid) ends every web session of that identity-provider session, and answers 200 with no content", async () => {
    const jar = new AppJar();
    await signIn(jar);
    const user = (await sessionOf(jar)).user!;
    expect(user.idpSessionId).toMatch(/^[0-9a-f-]{36}$/);

    // The identity provider's iframe: cross-site, so no session cookie comes with it.
    const res = await frontChannelLogout(new Request(`${APP}/auth/frontchannel-logout?sid=${encodeURIComponent(user.idpSessionId!)}`));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("content-security-policy")).toContain(`frame-ancestors ${new URL(emu.url).origin}`);
    expect(res.headers.getSetCookie()).toEqual([]);

    expect((await sessionOf(jar)).user).toBeUndefined();
    const next = jar.take(await login(new Request(`${APP}/auth/login?returnTo=%2Fweb`, { headers: jar.headers() })));
    expect(next.status).toBe(302);
    const config = requireWebConfig(getConfig());
    expect(await getWebTokenStore(config).get(partitionKey(config.web.clientId, user.homeAccountId, user.sessionId))).toBeUndefined();
  });

  it.each([
    ["no sid", ""],
    ["an empty sid", "?sid="],
    ["a sid with control characters", "?sid=a%0Ab"],
    ["an issuer on another host", `?sid=abc&iss=${encodeURIComponent("https://evil.example/tid/v2.0")}`],
  ])("the front-channel logout URL refuses %s (400, no content)", async (_label, query) => {
    const jar = new AppJar();
    await signIn(jar);
    const res = await frontChannelLogout(new Request(`${APP}/auth/frontchannel-logout${query}`));
    expect(res.status).toBe(400);
    expect(await res.text()).toBe("");
    expect((await sessionOf(jar)).user).toBeDefined();
  });

  it("answers 200 for an identity-provider session it never saw, and records nothing", async () => {
    const res = await frontChannelLogout(new Request(`${APP}/auth/frontchannel-logout?sid=${encodeURIComponent("00000000-0000-4000-8000-00000000dead")}`, { headers: { "x-correlation-id": "33333333-2222-4333-8444-555555555555" } }));
    expect(res.status).toBe(200);
    expect(logs.find((l) => l.correlationId === "33333333-2222-4333-8444-555555555555")).toMatchObject({ event: "webauth.front_channel_logout", outcome: "unknown" });
  });

  it("accepts an issuer on the identity provider's host", async () => {
    const jar = new AppJar();
    await signIn(jar);
    const { idpSessionId } = (await sessionOf(jar)).user!;
    const res = await frontChannelLogout(new Request(`${APP}/auth/frontchannel-logout?sid=${idpSessionId}&iss=${encodeURIComponent(emu.tenant.issuer)}`));
    expect(res.status).toBe(200);
    expect((await sessionOf(jar)).user).toBeUndefined();
  });
});

describe("several app instances sharing one Redis", () => {
  const KEY = "r".repeat(40);
  let redis: RedisServer;
  /** Instance B: its own Redis connection and memory, like a second App Service instance. */
  let b: RedisStore;
  let bRevocations: SessionRevocations;
  const readOnB = (cookie: string) => openRouteSession(new Request(`${APP}/web`, { headers: { cookie } }), getConfig(), { secure: false }, { revocations: bRevocations });
  const storeA = () => getWebTokenStore(getConfig()) as RedisStore;
  const until = async (cond: () => boolean | Promise<boolean>, ms = 10_000) => {
    const end = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error("condition not met in time");
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  beforeAll(async () => {
    redis = await startRedisServer();
    restoreEnv();
    restoreEnv = installEnv(emulatorEnv(emu.tenant, { overrides: { REDIS_URL: redis.url, TOKEN_CACHE_ENCRYPTION_KEY: KEY } }));
    resetConfigForTests();
    b = new RedisStore({ url: redis.url, encryptionKey: KEY, fallback: new MemoryStore({ maxEntries: 100 }) });
    bRevocations = new SessionRevocations(b, getConfig().session.maxAgeSeconds);
  });

  afterAll(async () => {
    await storeA().close();
    await b.close();
    await redis.kill();
    restoreEnv();
    restoreEnv = installEnv(emulatorEnv(emu.tenant));
    resetConfigForTests();
  });

  it("a sign-out on one instance is honoured by the other at once, also after the same user signs back in", async () => {
    expect(storeA()).toBeInstanceOf(RedisStore);
    const jar = new AppJar();
    await signIn(jar);
    const copied = jar.cookie!;
    expect((await readOnB(copied)).session.user?.username).toBe("megan.bowen@contoso.test");

    jar.take(await logout(new Request(`${APP}/auth/logout`, { method: "POST", headers: jar.headers({ origin: APP }) })));
    expect((await readOnB(copied)).session.user).toBeUndefined();
    await signIn(jar);
    expect((await readOnB(copied)).session.user).toBeUndefined();
    expect((await readOnB(jar.cookie!)).session.user?.username).toBe("megan.bowen@contoso.test");
  });

  it("while Redis is down sessions are not trusted (503), sign-out still works, and its revocation reaches Redis when it returns", async () => {
    const jar = new AppJar();
    await signIn(jar);
    const copied = jar.cookie!;
    await until(() => storeA().available && b.available);
    await redis.kill();
    await until(() => !storeA().available && !b.available);

    const page = await login(new Request(`${APP}/auth/login?returnTo=%2Fweb`, { headers: { cookie: copied } }));
    expect(page.status).toBe(503);
    expect(await page.text()).toContain("session_store_unavailable");
    await expect(readOnB(copied)).rejects.toThrow();

    const out = jar.take(await logout(new Request(`${APP}/auth/logout`, { method: "POST", headers: jar.headers({ origin: APP }) })));
    expect(out.status).toBe(303);
    expect(jar.cookie).toBeUndefined();

    redis = await redis.restart();
    await until(() => storeA().available && b.available);
    await until(async () => (await readOnB(copied)).session.user === undefined);
  });
});

describe("a Redis outage: the network to Redis cut, its data kept (issue #22 §4 finding 1)", () => {
  const KEY = "o".repeat(40);
  let redis: RedisServer;
  let proxy: TcpProxy;
  let raw: Redis;
  const store = () => getWebTokenStore(getConfig()) as RedisStore;
  const until = async (cond: () => boolean | Promise<boolean>, ms = 10_000) => {
    const end = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error("condition not met in time");
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const cut = async () => {
    await until(() => store().available);
    await proxy.cut();
    await until(() => !store().available);
  };
  const restore = async () => {
    await proxy.restore();
    await until(() => store().available);
  };

  beforeAll(async () => {
    redis = await startRedisServer();
    proxy = await startTcpProxy(redis.port);
    raw = new Redis(redis.url);
    restoreEnv();
    restoreEnv = installEnv(emulatorEnv(emu.tenant, { overrides: { REDIS_URL: `redis://127.0.0.1:${proxy.port}`, TOKEN_CACHE_ENCRYPTION_KEY: KEY } }));
    resetConfigForTests();
  });

  afterEach(() => proxy.restore().catch(() => undefined));

  afterAll(async () => {
    await store().close();
    raw.disconnect();
    await proxy.close();
    await redis.kill();
    restoreEnv();
    restoreEnv = installEnv(emulatorEnv(emu.tenant));
    resetConfigForTests();
  });

  it("front-channel logout: a session signed in on this instance ends once Redis is back; an identity-provider session it cannot vouch for is answered 503", async () => {
    const jar = new AppJar();
    await signIn(jar);
    const user = (await sessionOf(jar)).user!;
    await cut();

    const known = await frontChannelLogout(new Request(`${APP}/auth/frontchannel-logout?sid=${encodeURIComponent(user.idpSessionId!)}`));
    expect(known.status).toBe(200);
    const unknown = await frontChannelLogout(new Request(`${APP}/auth/frontchannel-logout?sid=${encodeURIComponent("00000000-0000-4000-8000-0000000000aa")}`, { headers: { "x-correlation-id": "44444444-2222-4333-8444-555555555555" } }));
    expect(unknown.status).toBe(503);
    expect(await unknown.text()).toBe("");
    expect(logs.find((l) => l.correlationId === "44444444-2222-4333-8444-555555555555")).toMatchObject({ event: "webauth.front_channel_logout", outcome: "unavailable" });

    await restore();
    await until(async () => (await sessionOf(jar)).user === undefined);
  });

  it("sign-out deletes the sign-in's tokens from Redis once it is back (the delete is replayed)", async () => {
    const jar = new AppJar();
    await signIn(jar);
    const user = (await sessionOf(jar)).user!;
    const config = requireWebConfig(getConfig());
    const stored = `ms-identity-nextjs:${partitionKey(config.web.clientId, user.homeAccountId, user.sessionId)}`;
    expect(await raw.exists(stored)).toBe(1);
    await cut();

    const out = jar.take(await logout(new Request(`${APP}/auth/logout`, { method: "POST", headers: jar.headers({ origin: APP }) })));
    expect(out.status).toBe(303);
    expect(await raw.exists(stored)).toBe(1); // Redis could not be told yet

    await restore();
    await until(async () => (await raw.exists(stored)) === 0);
  });
});

describe("users of other tenants", () => {
  const fabrikam = () => emu.tenant.secondTenantId;
  beforeAll(() => {
    restoreEnv();
    restoreEnv = installEnv(emulatorEnv(emu.tenant, { overrides: { AZURE_ALLOWED_TENANTS: fabrikam() } }));
    resetConfigForTests();
  });
  afterAll(() => {
    restoreEnv();
    restoreEnv = installEnv(emulatorEnv(emu.tenant));
    resetConfigForTests();
  });

  it("signs in at organizations when other tenants are allowed, and a Fabrikam user gets their own Graph profile", async () => {
    const jar = new AppJar();
    const authorize = await startLogin(jar);
    expect(authorize.pathname).toBe("/organizations/oauth2/v2.0/authorize");
    const back = await signInAtEmulator(new Browser(emu), authorize, "christie.cline@fabrikam.test");
    const res = jar.take(await callback(new Request(back, { headers: jar.headers() })));
    expect(res.status).toBe(303);
    const user = (await sessionOf(jar)).user;
    expect(user).toMatchObject({ username: "christie.cline@fabrikam.test", tenantId: fabrikam() });
    const config = requireWebConfig(getConfig());
    const token = await acquireWebToken(config, user!, "0f8fad5b-d9cb-469f-a165-70867728950e");
    const me = await fetchGraphMe(config, token.accessToken, "0f8fad5b-d9cb-469f-a165-70867728950e");
    expect(me.ok && me.profile.userPrincipalName).toBe("christie.cline@fabrikam.test");
  });

  it("a user of a tenant that is not allowed is not signed in: an explained page names the tenant, no tokens are kept", async () => {
    const third = emu.tenant.tenants.find((t) => t.id !== emu.tenant.tenantId && t.id !== fabrikam())!;
    const nancy = emu.tenant.users.find((u) => u.tenantId === third.id)!;
    const tokenStoreSize = () => (getWebTokenStore(requireWebConfig(getConfig())) as MemoryStore).size;
    const partitionsBefore = tokenStoreSize();
    const jar = new AppJar();
    // Northwind has no grant for the web app: Nancy consents for herself first (users may consent there).
    const browser = new Browser(emu);
    const consent = await browser.submit(await browser.go((await startLogin(jar)).toString()), { username: nancy.username, password: nancy.password });
    expect(consent.html).toContain("Permissions requested");
    const back = (await browser.submit(consent, {}, { name: "action", value: "accept" })).leftTo ?? "";
    const res = jar.take(await callback(new Request(back, { headers: jar.headers() })));
    expect(res.status).toBe(403);
    const html = await res.text();
    expect(html).toContain("tenant_not_allowed");
    expect(html).toContain(third.id);
    expect(html).toContain("prompt=select_account"); // "Sign in with another account", not the same one again
    expect((await sessionOf(jar)).user).toBeUndefined();
    // The partition is keyed by a session id nobody saw: prove that nothing at all was kept.
    expect(tokenStoreSize()).toBe(partitionsBefore);
  });
});

describe("configuration", () => {
  it("explains which variables to set when the web app is not configured", async () => {
    restoreEnv();
    restoreEnv = installEnv(emulatorEnv(emu.tenant, { overrides: { AZURE_WEB_CLIENT_ID: undefined, AZURE_WEB_CLIENT_SECRET: undefined } }));
    resetConfigForTests();
    try {
      const res = await login(new Request(`${APP}/auth/login`));
      expect(res.status).toBe(503);
      const html = await res.text();
      expect(html).toContain("AZURE_WEB_CLIENT_ID");
      expect(html).toContain("AZURE_WEB_CLIENT_SECRET");
    } finally {
      restoreEnv();
      restoreEnv = installEnv(emulatorEnv(emu.tenant));
      resetConfigForTests();
    }
  });
});
