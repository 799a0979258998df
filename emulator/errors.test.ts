// Failure paths answer with Entra's error codes and shapes, through raw HTTP
// and through msal-node's error types.
import {
  ConfidentialClientApplication,
  InteractionRequiredAuthError,
  PublicClientApplication,
  ServerError,
} from "@azure/msal-node";
import { createPrivateKey, randomUUID, sign } from "node:crypto";
import { readFileSync } from "node:fs";
import type { RunningEmulator } from "./index";
import { Browser, control, decodePayload, has, msalAuth, pkcePair, redirectParams, setupTestEmulator, tokenRequest } from "./test-support/harness";

let emu: RunningEmulator;
setupTestEmulator((e) => (emu = e));

const user = (prefix: string) => emu.tenant.users.find((u) => u.username.startsWith(prefix))!;
const api = () => emu.tenant.apps.api;
const apiCca = () => new ConfidentialClientApplication({ auth: { ...msalAuth(emu, api().clientId), clientSecret: api().clientSecret } });
const mint = async (body: Record<string, unknown>) => (await control<{ access_token: string }>(emu, "POST", "/tokens", body)).access_token;

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected the promise to reject");
}

function spaAuthorizeUrl(opts: { challenge: string; scope?: string; redirectUri?: string; extra?: Record<string, string> }): string {
  const spa = emu.tenant.apps.spa;
  const u = new URL(`${emu.tenant.authority}/oauth2/v2.0/authorize`);
  u.search = new URLSearchParams({
    client_id: spa.clientId,
    response_type: "code",
    redirect_uri: opts.redirectUri ?? spa.redirectUris[0]!,
    scope: opts.scope ?? `${api().scope} openid profile offline_access`,
    state: "st",
    code_challenge: opts.challenge,
    code_challenge_method: "S256",
    ...opts.extra,
  }).toString();
  return u.toString();
}

async function spaCode(username: string, password: string, extra: Record<string, string> = {}) {
  const { verifier, challenge } = pkcePair();
  const browser = new Browser(emu);
  const done = await browser.submit(await browser.go(spaAuthorizeUrl({ challenge, extra })), { username, password });
  return { code: redirectParams(done.leftTo).get("code")!, verifier, browser };
}

describe("Entra error body shape", () => {
  test("wrong client secret: 401 invalid_client AADSTS7000215 with trace/correlation ids", async () => {
    const cid = randomUUID();
    const r = await tokenRequest(
      emu,
      { grant_type: "client_credentials", client_id: api().clientId, client_secret: "wrong", scope: "https://graph.microsoft.com/.default" },
      { "client-request-id": cid },
    );
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ error: "invalid_client", error_codes: [7000215], correlation_id: cid });
    expect(String(r.body.error_description)).toMatch(/^AADSTS7000215: .+\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: [0-9a-f-]{36}\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
    expect(r.body.trace_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.body.timestamp).toMatch(/Z$/);

    const cca = new ConfidentialClientApplication({ auth: { ...msalAuth(emu, api().clientId), clientSecret: "wrong" } });
    const err = await rejection(cca.acquireTokenByClientCredential({ scopes: ["https://graph.microsoft.com/.default"] }));
    expect(err).toBeInstanceOf(ServerError);
    expect((err as ServerError).errorCode).toBe("invalid_client");
    expect((err as ServerError).errorNo).toBe(7000215);
  });

  test("unknown client: AADSTS700016 at the token endpoint, an error page at authorize", async () => {
    const unknown = randomUUID();
    const r = await tokenRequest(emu, { grant_type: "password", client_id: unknown, username: "x@contoso.test", password: "x", scope: "User.Read" });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: "unauthorized_client", error_codes: [700016] });
    const page = await fetch(`${emu.tenant.authority}/oauth2/v2.0/authorize?client_id=${unknown}&response_type=code&redirect_uri=http://evil.test/&scope=openid`, { redirect: "manual" });
    expect(page.status).toBe(400);
    expect(await page.text()).toContain("AADSTS700016");
  });

  test("unregistered redirect URI: page with AADSTS50011, never a redirect", async () => {
    const { challenge } = pkcePair();
    const res = await fetch(spaAuthorizeUrl({ challenge, redirectUri: "https://attacker.test/steal" }), { redirect: "manual" });
    expect(res.status).toBe(400);
    expect(res.headers.get("location")).toBeNull();
    expect(await res.text()).toContain("AADSTS50011");
  });
});

describe("on-behalf-of failures", () => {
  test("assertion for another audience: invalid_grant AADSTS50013", async () => {
    // A genuine v2.0 token of ours, for another audience than the API presenting it.
    const otherAudience = await mint({ scopes: [api().scope], claims: { aud: "https://graph.microsoft.com" } });
    const err = await rejection(apiCca().acquireTokenOnBehalfOf({ oboAssertion: otherAudience, scopes: ["https://graph.microsoft.com/User.Read"] }));
    expect((err as ServerError).errorCode).toBe("invalid_grant");
    expect((err as ServerError).errorNo).toBe(50013);
    expect((err as ServerError).errorMessage).toContain("Assertion audience does not match");
  });

  test("expired assertion: AADSTS500133", async () => {
    const expired = await mint({ scopes: [api().scope], expiresIn: -60 });
    const err = await rejection(apiCca().acquireTokenOnBehalfOf({ oboAssertion: expired, scopes: ["https://graph.microsoft.com/User.Read"] }));
    expect((err as ServerError).errorNo).toBe(500133);
  });

  test("tampered assertion: AADSTS50013 signature", async () => {
    const token = await mint({ scopes: [api().scope] });
    const [h, p] = token.split(".");
    const forged = `${h}.${p}.${Buffer.from("not-a-signature").toString("base64url")}`;
    const r = await tokenRequest(emu, {
      grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
      requested_token_use: "on_behalf_of",
      client_id: api().clientId,
      client_secret: api().clientSecret,
      assertion: forged,
      scope: "https://graph.microsoft.com/User.Read",
    });
    expect(r.body).toMatchObject({ error: "invalid_grant", error_codes: [50013] });
  });

  test("missing consent: invalid_grant AADSTS65001 consent_required, fixed by a grant", async () => {
    const megan = user("megan.");
    await control(emu, "POST", "/consent/revoke", { clientId: api().clientId, scopes: ["https://management.azure.com/user_impersonation"], username: megan.username });
    const incoming = await mint({ scopes: [api().scope], username: megan.username });
    const err = await rejection(apiCca().acquireTokenOnBehalfOf({ oboAssertion: incoming, scopes: ["https://management.azure.com/user_impersonation"] }));
    expect(err).toBeInstanceOf(InteractionRequiredAuthError);
    expect((err as InteractionRequiredAuthError).errorCode).toBe("invalid_grant");
    expect((err as InteractionRequiredAuthError).subError).toBe("consent_required");
    expect((err as InteractionRequiredAuthError).errorNo).toBe(65001);
    // Other users keep the tenant-wide grant.
    const adeleToken = await mint({ scopes: [api().scope], username: user("adele.").username });
    await expect(apiCca().acquireTokenOnBehalfOf({ oboAssertion: adeleToken, scopes: ["https://management.azure.com/user_impersonation"] })).resolves.toBeTruthy();
    await control(emu, "POST", "/consent/grant", { clientId: api().clientId, scopes: ["https://management.azure.com/user_impersonation"], username: megan.username });
    await expect(apiCca().acquireTokenOnBehalfOf({ oboAssertion: incoming, scopes: ["https://management.azure.com/user_impersonation"] })).resolves.toBeTruthy();
  });

  test("MFA user: interaction_required AADSTS50076 with a claims challenge until the assertion carries mfa", async () => {
    const diego = user("diego.");
    expect(diego.requiresMfa).toBe(true);
    const pwdOnly = await mint({ scopes: [api().scope], username: diego.username });
    const err = await rejection(apiCca().acquireTokenOnBehalfOf({ oboAssertion: pwdOnly, scopes: ["https://graph.microsoft.com/User.Read"] }));
    expect(err).toBeInstanceOf(InteractionRequiredAuthError);
    const ir = err as InteractionRequiredAuthError;
    expect(ir.errorCode).toBe("interaction_required");
    expect(ir.errorNo).toBe(50076);
    const claims = JSON.parse(ir.claims) as { access_token: { capolids: { essential: boolean; values: string[] } } };
    expect(claims.access_token.capolids.essential).toBe(true);
    expect(claims.access_token.capolids.values).toHaveLength(1);

    const raw = await tokenRequest(emu, {
      grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
      requested_token_use: "on_behalf_of",
      client_id: api().clientId,
      client_secret: api().clientSecret,
      assertion: pwdOnly,
      scope: "https://graph.microsoft.com/User.Read",
    });
    expect(raw.body).toMatchObject({ error: "interaction_required", error_codes: [50076], suberror: "basic_action" });
    expect(typeof raw.body.claims).toBe("string");

    const withMfa = await mint({ scopes: [api().scope], username: diego.username, claims: { amr: ["pwd", "mfa"] } });
    const ok = await apiCca().acquireTokenOnBehalfOf({ oboAssertion: withMfa, scopes: ["https://graph.microsoft.com/User.Read"] });
    expect(decodePayload(ok!.accessToken).amr).toEqual(["pwd", "mfa"]);
  });

  test("control /mfa flags a user until an MFA-backed OBO satisfies it", async () => {
    const megan = user("megan.");
    await control(emu, "POST", "/mfa", { username: megan.username });
    const plain = await mint({ scopes: [api().scope] });
    const err = await rejection(apiCca().acquireTokenOnBehalfOf({ oboAssertion: plain, scopes: ["https://graph.microsoft.com/User.Read"] }));
    expect((err as InteractionRequiredAuthError).errorNo).toBe(50076);
    const strong = await mint({ scopes: [api().scope], claims: { amr: ["pwd", "mfa"] } });
    await apiCca().acquireTokenOnBehalfOf({ oboAssertion: strong, scopes: ["https://graph.microsoft.com/User.Read"] });
    const plainAgain = await mint({ scopes: [api().scope] });
    await expect(apiCca().acquireTokenOnBehalfOf({ oboAssertion: plainAgain, scopes: ["https://graph.microsoft.com/User.Read"] })).resolves.toBeTruthy();
  });
});

describe("ROPC failures", () => {
  const pca = () => new PublicClientApplication({ auth: msalAuth(emu, emu.tenant.apps.cli.clientId) });

  test("MFA user: AADSTS50076 interaction_required", async () => {
    const diego = user("diego.");
    const err = await rejection(pca().acquireTokenByUsernamePassword({ scopes: ["User.Read"], username: diego.username, password: diego.password }));
    expect(err).toBeInstanceOf(InteractionRequiredAuthError);
    expect((err as InteractionRequiredAuthError).errorNo).toBe(50076);
    expect((err as InteractionRequiredAuthError).errorCode).toBe("interaction_required");
  });

  test("wrong password: AADSTS50126; unknown user: AADSTS50034; other tenant at a tenant authority: AADSTS50034", async () => {
    const cli = emu.tenant.apps.cli.clientId;
    const megan = user("megan.");
    const wrong = await tokenRequest(emu, { grant_type: "password", client_id: cli, username: megan.username, password: "nope", scope: "User.Read" });
    expect(wrong.body).toMatchObject({ error: "invalid_grant", error_codes: [50126] });
    const unknown = await tokenRequest(emu, { grant_type: "password", client_id: cli, username: "nobody@contoso.test", password: "x", scope: "User.Read" });
    expect(unknown.body).toMatchObject({ error: "invalid_grant", error_codes: [50034] });
    const ben = emu.tenant.users.find((u) => u.tenantId === emu.tenant.secondTenantId)!;
    const guest = await tokenRequest(emu, { grant_type: "password", client_id: cli, username: ben.username, password: ben.password, scope: "User.Read" });
    expect(guest.body).toMatchObject({ error_codes: [50034] });
    const home = await tokenRequest(emu, { grant_type: "password", client_id: cli, username: ben.username, password: ben.password, scope: "User.Read openid" }, {}, "organizations");
    expect(home.status).toBe(200);
    expect(decodePayload(String(home.body.access_token))).toMatchObject({ tid: emu.tenant.secondTenantId, iss: `https://sts.windows.net/${emu.tenant.secondTenantId}/` });
  });

  test("SPA cannot use ROPC; a public client must not send a secret", async () => {
    const megan = user("megan.");
    const spa = await tokenRequest(emu, { grant_type: "password", client_id: emu.tenant.apps.spa.clientId, username: megan.username, password: megan.password, scope: "User.Read" });
    expect(spa.body).toMatchObject({ error: "invalid_client", error_codes: [7000218] });
    const secret = await tokenRequest(emu, { grant_type: "password", client_id: emu.tenant.apps.cli.clientId, client_secret: "x", username: megan.username, password: megan.password, scope: "User.Read" });
    expect(secret.body).toMatchObject({ error: "invalid_client", error_codes: [700025] });
  });
});

describe("authorization code failures", () => {
  const spa = () => emu.tenant.apps.spa;
  const origin = () => new URL(spa().redirectUris[0]!).origin;
  const redeem = (code: string, verifier: string, headers: Record<string, string> = { origin: origin() }) =>
    tokenRequest(
      emu,
      { grant_type: "authorization_code", client_id: spa().clientId, code, code_verifier: verifier, redirect_uri: spa().redirectUris[0]!, scope: `${api().scope} offline_access` },
      headers,
    );

  test("bad PKCE verifier: AADSTS501481", async () => {
    const megan = user("megan.");
    const { code } = await spaCode(megan.username, megan.password);
    const r = await redeem(code, pkcePair().verifier);
    expect(r.body).toMatchObject({ error: "invalid_grant", error_codes: [501481] });
  });

  test("reused code: AADSTS54005", async () => {
    const megan = user("megan.");
    const { code, verifier } = await spaCode(megan.username, megan.password);
    expect((await redeem(code, verifier)).status).toBe(200);
    const again = await redeem(code, verifier);
    expect(again.body).toMatchObject({ error: "invalid_grant", error_codes: [54005] });
  });

  test("SPA code without Origin: AADSTS9002327; web code with Origin: AADSTS9002326", async () => {
    const megan = user("megan.");
    const { code, verifier } = await spaCode(megan.username, megan.password);
    const noOrigin = await redeem(code, verifier, {});
    expect(noOrigin.body).toMatchObject({ error: "invalid_request", error_codes: [9002327] });

    const web = emu.tenant.apps.web;
    const u = new URL(`${emu.tenant.authority}/oauth2/v2.0/authorize`);
    u.search = new URLSearchParams({ client_id: web.clientId, response_type: "code", redirect_uri: web.redirectUris[0]!, scope: "openid User.Read" }).toString();
    const b = new Browser(emu);
    const done = await b.submit(await b.go(u.toString()), { username: megan.username, password: megan.password });
    const webCode = redirectParams(done.leftTo).get("code")!;
    const r = await tokenRequest(
      emu,
      { grant_type: "authorization_code", client_id: web.clientId, client_secret: web.clientSecret, code: webCode, redirect_uri: web.redirectUris[0]!, scope: "User.Read" },
      { origin: "http://localhost:3000" },
    );
    expect(r.body).toMatchObject({ error_codes: [9002326] });
  });

  test("PKCE is mandatory for the SPA; errors go back to the redirect URI with state", async () => {
    const u = new URL(spaAuthorizeUrl({ challenge: "x" }));
    u.searchParams.delete("code_challenge");
    const res = await fetch(u, { redirect: "manual" });
    expect(res.status).toBe(302);
    const params = redirectParams(res.headers.get("location")!);
    expect(params.get("error")).toBe("invalid_request");
    expect(params.get("error_description")).toMatch(/^AADSTS9002325:/);
    expect(params.get("state")).toBe("st");
  });

  test("prompt=none without a session: login_required AADSTS50058", async () => {
    const { challenge } = pkcePair();
    const res = await fetch(spaAuthorizeUrl({ challenge, extra: { prompt: "none", response_mode: "fragment" } }), { redirect: "manual" });
    const loc = res.headers.get("location")!;
    expect(loc.startsWith(`${spa().redirectUris[0]}#`)).toBe(true);
    const params = redirectParams(loc);
    expect(params.get("error")).toBe("login_required");
    expect(params.get("error_description")).toMatch(/^AADSTS50058:/);
  });

  test("scope problems: several resources (28000), unknown scope (70011), unknown resource (500011)", async () => {
    const cli = emu.tenant.apps.cli.clientId;
    const megan = user("megan.");
    const ask = (scope: string) => tokenRequest(emu, { grant_type: "password", client_id: cli, username: megan.username, password: megan.password, scope });
    expect((await ask("User.Read https://management.azure.com/user_impersonation")).body).toMatchObject({ error: "invalid_scope", error_codes: [28000] });
    expect((await ask("User.Fly")).body).toMatchObject({ error: "invalid_scope", error_codes: [70011] });
    expect((await ask("api://nothing-here/x")).body).toMatchObject({ error_codes: [500011] });
    const cc = await tokenRequest(emu, { grant_type: "client_credentials", client_id: api().clientId, client_secret: api().clientSecret, scope: "https://graph.microsoft.com/User.Read" });
    expect(cc.body).toMatchObject({ error: "invalid_scope", error_codes: [1002012] });
    expect((await tokenRequest(emu, { grant_type: "magic", client_id: cli })).body).toMatchObject({ error: "unsupported_grant_type", error_codes: [70003] });
  });
});

describe("consent and step-up pages", () => {
  test("consent page: Cancel returns access_denied AADSTS65004, Accept grants and continues", async () => {
    const megan = user("megan.");
    const web = emu.tenant.apps.web;
    await control(emu, "POST", "/consent/revoke", { clientId: web.clientId, scopes: ["User.Read"], username: megan.username });
    const u = new URL(`${emu.tenant.authority}/oauth2/v2.0/authorize`);
    u.search = new URLSearchParams({ client_id: web.clientId, response_type: "code", redirect_uri: web.redirectUris[0]!, scope: "openid offline_access User.Read", state: "c1" }).toString();
    const b = new Browser(emu);
    const consent = await b.submit(await b.go(u.toString()), { username: megan.username, password: megan.password });
    expect(has(consent, "Permissions requested")).toBe(true);
    expect(has(consent, "https://graph.microsoft.com/User.Read")).toBe(true);
    const cancelled = await b.submit(consent, {}, { name: "action", value: "cancel" });
    const denied = redirectParams(cancelled.leftTo);
    expect(denied.get("error")).toBe("access_denied");
    expect(denied.get("error_description")).toMatch(/^AADSTS65004:/);
    expect(denied.get("state")).toBe("c1");

    const again = await b.go(u.toString()); // live session: straight to consent
    expect(has(again, "Permissions requested")).toBe(true);
    const accepted = await b.submit(again, {}, { name: "action", value: "accept" });
    expect(redirectParams(accepted.leftTo).get("code")).toBeTruthy();
  });

  test("combined consent: the SPA's consent to our API's .default also grants the API's On-Behalf-Of permissions", async () => {
    const megan = user("megan.");
    const graphRead = "https://graph.microsoft.com/User.Read";
    await control(emu, "POST", "/consent/revoke", { clientId: api().clientId, username: megan.username });
    const { challenge } = pkcePair();
    const b = new Browser(emu);
    const scope = `api://${api().clientId}/.default openid profile offline_access`;
    const consent = await b.submit(await b.go(spaAuthorizeUrl({ challenge, scope, extra: { prompt: "consent" } })), {
      username: megan.username,
      password: megan.password,
    });
    expect(has(consent, "Permissions requested")).toBe(true);
    expect(has(consent, graphRead)).toBe(true); // the API's permission, listed for the user to see
    const accepted = await b.submit(consent, {}, { name: "action", value: "accept" });
    expect(redirectParams(accepted.leftTo).get("code")).toBeTruthy();

    const assertion = await mint({ username: megan.username, clientId: emu.tenant.apps.spa.clientId, scopes: [api().scope] });
    const obo = await apiCca().acquireTokenOnBehalfOf({ oboAssertion: assertion, scopes: [graphRead], skipCache: true });
    expect(obo?.accessToken).toBeTruthy();
    await control(emu, "POST", "/reset", {});
  });

  test("claims challenge forces the verification-code step; tokens then carry mfa and acrs, and OBO succeeds", async () => {
    const diego = user("diego.");
    const claims = JSON.stringify({ access_token: { capolids: { essential: true, values: ["x"] }, acrs: { essential: true, value: "c1" } } });
    const { verifier, challenge } = pkcePair();
    const b = new Browser(emu);
    const mfa = await b.submit(await b.go(spaAuthorizeUrl({ challenge, extra: { claims } })), { username: diego.username, password: diego.password });
    expect(has(mfa, "Verification code")).toBe(true);
    const wrong = await b.submit(mfa, { otc: "12ab" });
    expect(has(wrong, "That code didn't work")).toBe(true);
    const done = await b.submit(wrong, { otc: "123456" });
    const code = redirectParams(done.leftTo).get("code")!;
    const r = await tokenRequest(
      emu,
      { grant_type: "authorization_code", client_id: emu.tenant.apps.spa.clientId, code, code_verifier: verifier, redirect_uri: emu.tenant.apps.spa.redirectUris[0]!, scope: api().scope },
      { origin: "http://localhost:3000" },
    );
    const at = decodePayload(String(r.body.access_token));
    expect(at.amr).toEqual(["pwd", "mfa"]);
    expect(at.acrs).toEqual(["c1"]);
    const obo = await apiCca().acquireTokenOnBehalfOf({ oboAssertion: String(r.body.access_token), scopes: ["https://graph.microsoft.com/User.Read"] });
    expect(decodePayload(obo!.accessToken).oid).toBe(diego.oid);
  });

  test("signing in to Graph directly as the MFA user asks for the verification code", async () => {
    const diego = user("diego.");
    const web = emu.tenant.apps.web;
    const u = new URL(`${emu.tenant.authority}/oauth2/v2.0/authorize`);
    u.search = new URLSearchParams({ client_id: web.clientId, response_type: "code", redirect_uri: web.redirectUris[0]!, scope: "openid User.Read" }).toString();
    const b = new Browser(emu);
    const page = await b.submit(await b.go(u.toString()), { username: diego.username, password: diego.password });
    expect(has(page, `<label for="otc">Verification code</label>`)).toBe(true);
  });
});

describe("device code failures", () => {
  test("pending, then approved once; a replayed device code is refused", async () => {
    const cli = emu.tenant.apps.cli.clientId;
    const dc = await fetch(`${emu.tenant.authority}/oauth2/v2.0/devicecode`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ client_id: cli, scope: "User.Read offline_access" }),
    });
    const info = (await dc.json()) as { device_code: string; user_code: string; verification_uri: string; interval: number };
    const poll = () => tokenRequest(emu, { grant_type: "urn:ietf:params:oauth:grant-type:device_code", client_id: cli, device_code: info.device_code });
    const pending = await poll();
    expect(pending.status).toBe(400);
    expect(pending.body).toMatchObject({ error: "authorization_pending", error_codes: [70016] });

    const megan = user("megan.");
    const b = new Browser(emu);
    const signIn = await b.submit(await b.go(info.verification_uri), { otc: info.user_code });
    await b.submit(signIn, { username: megan.username, password: megan.password });
    const ok = await tokenRequest(emu, { grant_type: "device_code", client_id: cli, device_code: info.device_code });
    expect(ok.status).toBe(200);
    expect(ok.body.refresh_token).toBeTruthy();
    const replay = await poll();
    expect(replay.body).toMatchObject({ error: "invalid_grant" });
    const bogus = await tokenRequest(emu, { grant_type: "device_code", client_id: cli, device_code: "nope" });
    expect(bogus.body).toMatchObject({ error: "bad_verification_code" });
  });

  test("device login asks for consent when it is missing", async () => {
    const megan = user("megan.");
    const cli = emu.tenant.apps.cli.clientId;
    await control(emu, "POST", "/consent/revoke", { clientId: cli, username: megan.username });
    const dc = await fetch(`${emu.tenant.authority}/oauth2/v2.0/devicecode`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ client_id: cli, scope: "User.Read openid profile offline_access" }),
    });
    const info = (await dc.json()) as { device_code: string; user_code: string; verification_uri: string };
    const b = new Browser(emu);
    const signIn = await b.submit(await b.go(info.verification_uri), { otc: info.user_code });
    const consent = await b.submit(signIn, { username: megan.username, password: megan.password });
    expect(has(consent, "Permissions requested")).toBe(true);
    expect(has(consent, "Sign you in")).toBe(true);
    const done = await b.submit(consent, {}, { name: "action", value: "accept" });
    expect(has(done, "You have signed in")).toBe(true);
    const ok = await tokenRequest(emu, { grant_type: "device_code", client_id: cli, device_code: info.device_code });
    expect(ok.status).toBe(200);
  });

  test("a wrong user code is rejected on the page", async () => {
    const b = new Browser(emu);
    const page = await b.submit(await b.go(`${emu.url}/devicelogin`), { otc: "WRONGCODE" });
    expect(has(page, "That code didn't work")).toBe(true);
  });
});

describe("client assertion failures", () => {
  const assertion = (claims: Record<string, unknown>, x5t?: string) => {
    const cert = api().certificate;
    const header = { alg: "RS256", typ: "JWT", x5t: x5t ?? Buffer.from(cert.thumbprint, "hex").toString("base64url") };
    const now = Math.floor(Date.now() / 1000);
    const payload = { aud: `${emu.tenant.authority}/oauth2/v2.0/token`, iss: api().clientId, sub: api().clientId, jti: randomUUID(), nbf: now, exp: now + 600, ...claims };
    const input = `${Buffer.from(JSON.stringify(header)).toString("base64url")}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;
    const sig = sign("sha256", Buffer.from(input), createPrivateKey(readFileSync(cert.privateKeyPath, "utf8")));
    return `${input}.${sig.toString("base64url")}`;
  };
  const cc = (clientAssertion: string) =>
    tokenRequest(emu, {
      grant_type: "client_credentials",
      client_id: api().clientId,
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: clientAssertion,
      scope: "https://graph.microsoft.com/.default",
    });

  test("valid, expired (700024), wrong audience (50012), unregistered certificate (700027)", async () => {
    expect((await cc(assertion({}))).status).toBe(200);
    const now = Math.floor(Date.now() / 1000);
    expect((await cc(assertion({ exp: now - 3600, nbf: now - 4000 }))).body).toMatchObject({ error: "invalid_client", error_codes: [700024] });
    expect((await cc(assertion({ aud: "https://login.microsoftonline.com/x/oauth2/v2.0/token" }))).body).toMatchObject({ error_codes: [50012] });
    expect((await cc(assertion({}, Buffer.alloc(20, 7).toString("base64url")))).body).toMatchObject({ error_codes: [700027] });
  });
});

describe("logout", () => {
  test("registered post-logout URI redirects (with state) and ends the session; unknown URI shows a page", async () => {
    const megan = user("megan.");
    const { browser, code, verifier } = await spaCode(megan.username, megan.password);
    // The SPA's ID token carries the login_hint optional claim; msal-browser sends it as logout_hint.
    const spa = emu.tenant.apps.spa;
    const tokens = await tokenRequest(
      emu,
      { grant_type: "authorization_code", client_id: spa.clientId, code, code_verifier: verifier, redirect_uri: spa.redirectUris[0]!, scope: `${api().scope} openid profile offline_access` },
      { origin: new URL(spa.redirectUris[0]!).origin },
    );
    const hint = String(decodePayload(String(tokens.body.id_token)).login_hint);
    const out = await browser.go(`${emu.tenant.authority}/oauth2/v2.0/logout?post_logout_redirect_uri=${encodeURIComponent("http://localhost:3000/")}&state=bye&logout_hint=${encodeURIComponent(hint)}`);
    expect(out.leftTo).toBe("http://localhost:3000/?state=bye");
    const { challenge } = pkcePair();
    const silent = await browser.go(spaAuthorizeUrl({ challenge, extra: { prompt: "none" } }));
    expect(redirectParams(silent.leftTo).get("error")).toBe("login_required");
    const unknown = await browser.go(`${emu.tenant.authority}/oauth2/v2.0/logout?post_logout_redirect_uri=${encodeURIComponent("https://evil.test/")}`);
    expect(unknown.leftTo).toBeUndefined();
    expect(has(unknown, "You signed out of your account")).toBe(true);
  });
});
