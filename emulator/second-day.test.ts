// The second day: SPA refresh tokens and sign-in sessions that end, silent renewal with
// prompt=none, and sessions revoked while tokens are still valid (continuous access evaluation).
import { ConfidentialClientApplication } from "@azure/msal-node";
import type { RunningEmulator } from "./index";
import { Browser, control, decodePayload, msalAuth, pkcePair, redirectParams, setupTestEmulator, tokenRequest } from "./test-support/harness";

let emu: RunningEmulator;
setupTestEmulator((e) => (emu = e));

const spa = () => emu.tenant.apps.spa;
const api = () => emu.tenant.apps.api;
const origin = () => new URL(spa().redirectUris[0]!).origin;
const megan = () => emu.tenant.users.find((u) => u.username.startsWith("megan."))!;
const mint = async (body: Record<string, unknown>) => (await control<{ access_token: string }>(emu, "POST", "/tokens", body)).access_token;
const counters = () => control<{ authorize: number; authorizePromptNone: number }>(emu, "GET", "/counters");
const apiCca = () => new ConfidentialClientApplication({ auth: { ...msalAuth(emu, api().clientId), clientSecret: api().clientSecret } });
/** The API declaring cp1, as the app does (AZURE_API_CLIENT_CAPABILITIES=cp1): its Graph and ARM tokens are CAE tokens. */
const capableApiCca = () => new ConfidentialClientApplication({ auth: { ...msalAuth(emu, api().clientId), clientSecret: api().clientSecret, clientCapabilities: ["cp1"] } });

function authorizeUrl(challenge: string, extra: Record<string, string> = {}): string {
  const u = new URL(`${emu.tenant.authority}/oauth2/v2.0/authorize`);
  u.search = new URLSearchParams({
    client_id: spa().clientId,
    response_type: "code",
    redirect_uri: spa().redirectUris[0]!,
    scope: `${api().scope} openid profile offline_access`,
    state: "st",
    response_mode: "fragment",
    code_challenge: challenge,
    code_challenge_method: "S256",
    ...extra,
  }).toString();
  return u.toString();
}

/** Signs Megan in as the SPA would (a browser with the emulator's session cookie) and redeems the code. */
async function spaSignIn(extraTokenForm: Record<string, string> = {}) {
  const { verifier, challenge } = pkcePair();
  const browser = new Browser(emu);
  const done = await browser.submit(await browser.go(authorizeUrl(challenge)), { username: megan().username, password: megan().password });
  const code = redirectParams(done.leftTo).get("code")!;
  const r = await tokenRequest(
    emu,
    { grant_type: "authorization_code", client_id: spa().clientId, code, code_verifier: verifier, redirect_uri: spa().redirectUris[0]!, scope: `${api().scope} offline_access`, ...extraTokenForm },
    { origin: origin() },
  );
  expect(r.status).toBe(200);
  return { browser, tokens: r.body as { access_token: string; refresh_token: string; refresh_token_expires_in: number; id_token?: string } };
}

const refresh = (refreshToken: string, extra: Record<string, string> = {}) =>
  tokenRequest(emu, { grant_type: "refresh_token", client_id: spa().clientId, refresh_token: refreshToken, scope: `${api().scope} offline_access`, ...extra }, { origin: origin() });

describe("SPA refresh-token lifetime", () => {
  test("an expired SPA refresh token answers invalid_grant AADSTS700084 in Entra's words", async () => {
    const { tokens } = await spaSignIn();
    expect(tokens.refresh_token_expires_in).toBeGreaterThan(86_000);
    const ok = await refresh(tokens.refresh_token);
    expect(ok.status).toBe(200);
    // Rotated tokens keep the first sign-in's deadline; they never extend it.
    expect(ok.body.refresh_token_expires_in).toBeLessThanOrEqual(tokens.refresh_token_expires_in);

    await control(emu, "POST", "/settings", { spaRefreshTokenLifetimeSeconds: 0 });
    const expired = await refresh(tokens.refresh_token);
    expect(expired.status).toBe(400);
    expect(expired.body).toMatchObject({ error: "invalid_grant", error_codes: [700084] });
    expect(String(expired.body.error_description)).toMatch(
      /^AADSTS700084: The refresh token was issued to a single page app \(SPA\), and therefore has a fixed, limited lifetime of 0\.00:00:00, which cannot be extended\. It is now expired and a new sign in request must be sent by the SPA to the sign in page\. The token was issued on \d{4}-\d\d-\d\dT/,
    );
    // The rotated one too: same chain, same deadline.
    expect((await refresh(String(ok.body.refresh_token))).body).toMatchObject({ error_codes: [700084] });
    expect((await control<{ spaRefreshTokenLifetimeSeconds: number }>(emu, "GET", "/settings")).spaRefreshTokenLifetimeSeconds).toBe(0);
  });

  test("the lifetime cannot be set beyond Entra's fixed 24 hours", async () => {
    await expect(control(emu, "POST", "/settings", { spaRefreshTokenLifetimeSeconds: 90_000 })).rejects.toThrow(/400/);
  });
});

describe("silent renewal (prompt=none)", () => {
  test("with a live session: a code without UI, counted as a prompt=none authorize", async () => {
    const { browser, tokens } = await spaSignIn();
    const sid = String(decodePayload(tokens.access_token).sid);
    const before = await counters();
    const page = await browser.go(authorizeUrl(pkcePair().challenge, { prompt: "none", sid }));
    expect(redirectParams(page.leftTo).get("code")).toBeTruthy();
    const after = await counters();
    expect(after.authorizePromptNone - before.authorizePromptNone).toBe(1);
    expect(after.authorize - before.authorize).toBe(1);
  });

  test("with the session over (lifetime) or another session named: login_required AADSTS50058, never UI", async () => {
    const { browser, tokens } = await spaSignIn();
    const sid = String(decodePayload(tokens.access_token).sid);
    const other = await browser.go(authorizeUrl(pkcePair().challenge, { prompt: "none", sid: "00000000-0000-4000-8000-000000000000" }));
    expect(redirectParams(other.leftTo).get("error")).toBe("login_required");

    await control(emu, "POST", "/settings", { sessionLifetimeSeconds: 0 });
    const gone = await browser.go(authorizeUrl(pkcePair().challenge, { prompt: "none", sid }));
    const params = redirectParams(gone.leftTo);
    expect(params.get("error")).toBe("login_required");
    expect(params.get("error_description")).toMatch(/^AADSTS50058:/);
    expect(params.get("state")).toBe("st");
  });
});

describe("continuous access evaluation: session revoked", () => {
  const graphScope = "https://graph.microsoft.com/User.Read";
  const armScope = "https://management.azure.com/user_impersonation";
  const challengeOf = (res: Response) => {
    const header = res.headers.get("www-authenticate") ?? "";
    const claims = /claims="([^"]+)"/.exec(header)?.[1] ?? "";
    return { header, claims: JSON.parse(Buffer.from(claims, "base64").toString("utf8")) as { access_token: { nbf: { essential: boolean; value: string } } } };
  };

  test("only clients that declared cp1 get claims challenges; another client's token keeps working until it expires (issue #20 item 12)", async () => {
    // Microsoft Learn, "How to use CAE enabled APIs": "If a resource API implements CAE and your
    // application declares it can handle CAE, your app receives CAE tokens for that resource";
    // "If you aren't using CAE-capable clients, your default access token lifetime remains 1 hour."
    const assertion = await mint({ username: megan().username, clientId: spa().clientId, scopes: [api().scope] });
    const plain = await apiCca().acquireTokenOnBehalfOf({ oboAssertion: assertion, scopes: [graphScope] });
    const capable = await new ConfidentialClientApplication({ auth: { ...msalAuth(emu, api().clientId), clientSecret: api().clientSecret, clientCapabilities: ["cp1"] } }).acquireTokenOnBehalfOf({
      oboAssertion: assertion,
      scopes: [graphScope],
    });
    expect(decodePayload(plain!.accessToken)).not.toHaveProperty("xms_cc");
    expect(decodePayload(capable!.accessToken).xms_cc).toEqual(["cp1"]);
    expect(Number(decodePayload(plain!.accessToken).exp) - Number(decodePayload(plain!.accessToken).iat)).toBeLessThanOrEqual(3600);

    await control(emu, "POST", "/faults", { target: "graph", mode: "session_revoked", username: megan().username, signOut: false });
    const me = (token: string) => fetch(`${emu.tenant.graphBaseUrl}/me`, { headers: { authorization: `Bearer ${token}` } });
    expect((await me(plain!.accessToken)).status).toBe(200);
    const challenged = await me(capable!.accessToken);
    expect(challenged.status).toBe(401);
    expect(challengeOf(challenged).header).toContain('error="insufficient_claims"');
  });

  test("Graph answers with insufficient_claims until a token carrying the requested nbf arrives", async () => {
    const assertion = await mint({ username: megan().username, clientId: spa().clientId, scopes: [api().scope] });
    const cca = capableApiCca();
    const old = await cca.acquireTokenOnBehalfOf({ oboAssertion: assertion, scopes: [graphScope] });
    await control(emu, "POST", "/faults", { target: "graph", mode: "session_revoked", username: megan().username, signOut: false });

    const refused = await fetch(`${emu.tenant.graphBaseUrl}/me`, { headers: { authorization: `Bearer ${old!.accessToken}` } });
    expect(refused.status).toBe(401);
    const { header, claims } = challengeOf(refused);
    expect(header).toMatch(/^Bearer realm="", authorization_uri="[^"]+\/common\/oauth2\/authorize", client_id="00000003-0000-0000-c000-000000000000", error="insufficient_claims", claims="/);
    expect(claims.access_token.nbf.essential).toBe(true);
    expect(((await refused.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: "InvalidAuthenticationToken", message: expect.stringMatching(/TokenIssuedBeforeRevocationTimestamp/) });

    // A fresh token without the claims is still refused (stricter than Graph: the claims must be asked for)…
    const fresh = await mint({ username: megan().username, scopes: [graphScope], claims: { xms_cc: ["cp1"] } });
    expect((await fetch(`${emu.tenant.graphBaseUrl}/me`, { headers: { authorization: `Bearer ${fresh}` } })).status).toBe(401);
    // …one requested with them (msal-node sends `claims` in the OBO body) carries the nbf and passes.
    const renewed = await cca.acquireTokenOnBehalfOf({ oboAssertion: assertion, scopes: [graphScope], claims: JSON.stringify(claims) });
    expect(decodePayload(renewed!.accessToken).nbf).toBe(Number(claims.access_token.nbf.value));
    expect((await fetch(`${emu.tenant.graphBaseUrl}/me`, { headers: { authorization: `Bearer ${renewed!.accessToken}` } })).status).toBe(200);
    // Graph only: ARM was not told.
    const arm = await cca.acquireTokenOnBehalfOf({ oboAssertion: assertion, scopes: [armScope] });
    expect((await fetch(`${emu.tenant.armBaseUrl}/subscriptions?api-version=2022-12-01`, { headers: { authorization: `Bearer ${arm!.accessToken}` } })).status).toBe(200);
  });

  test("ARM answers with invalid_token, error_description and claims", async () => {
    const token = await mint({ username: megan().username, scopes: [armScope], claims: { xms_cc: ["cp1"] } });
    const fault = await control<{ fault: { mode: string; revokedAt: number } }>(emu, "POST", "/faults", { target: "arm", mode: "session_revoked", username: megan().username, signOut: false });
    expect(fault.fault.mode).toBe("session_revoked");
    const refused = await fetch(`${emu.tenant.armBaseUrl}/subscriptions?api-version=2022-12-01`, { headers: { authorization: `Bearer ${token}` } });
    expect(refused.status).toBe(401);
    const { header, claims } = challengeOf(refused);
    expect(header).toMatch(/^Bearer authorization_uri="[^"]+\/", error="invalid_token", error_description="User session has been revoked", claims="/);
    expect(claims).toEqual({ access_token: { nbf: { essential: true, value: String(fault.fault.revokedAt) } } });
    expect((await control<{ faults: unknown[] }>(emu, "GET", "/faults")).faults).toHaveLength(1);
    await control(emu, "DELETE", "/faults?target=arm");
    expect((await fetch(`${emu.tenant.armBaseUrl}/subscriptions?api-version=2022-12-01`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });

  test("with signOut, older assertions and refresh tokens are revoked (AADSTS50173) and the session is gone", async () => {
    const { browser, tokens } = await spaSignIn();
    await control(emu, "POST", "/faults", { target: "arm", mode: "session_revoked", username: megan().username });

    const obo = await tokenRequest(emu, {
      grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
      client_id: api().clientId,
      client_secret: api().clientSecret,
      assertion: tokens.access_token,
      requested_token_use: "on_behalf_of",
      scope: armScope,
      claims: JSON.stringify({ access_token: { nbf: { essential: true, value: "1" } } }),
    });
    expect(obo.body).toMatchObject({ error: "invalid_grant", error_codes: [50173] });
    expect((await refresh(tokens.refresh_token)).body).toMatchObject({ error: "invalid_grant", error_codes: [50173] });
    const silent = await browser.go(authorizeUrl(pkcePair().challenge, { prompt: "none" }));
    expect(redirectParams(silent.leftTo).get("error")).toBe("login_required");

    // Signing in again gives tokens the revocation does not cover.
    const again = await spaSignIn();
    const fresh = await tokenRequest(emu, {
      grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
      client_id: api().clientId,
      client_secret: api().clientSecret,
      assertion: again.tokens.access_token,
      requested_token_use: "on_behalf_of",
      scope: armScope,
    });
    expect(fresh.status).toBe(200);
  });

  test("xms_cc goes into our API's tokens when the SPA declares it (the API registration opted in), and into Graph's when the API declares it (Graph, a CAE resource, opted in)", async () => {
    const claims = JSON.stringify({ access_token: { xms_cc: { values: ["CP1"] } } });
    const { tokens } = await spaSignIn({ claims });
    expect(decodePayload(tokens.access_token).xms_cc).toEqual(["CP1"]);
    const graph = await apiCca().acquireTokenOnBehalfOf({ oboAssertion: tokens.access_token, scopes: [graphScope], claims });
    expect(decodePayload(graph!.accessToken).xms_cc).toEqual(["CP1"]);
    // The SPA's capability does not travel: an API that declares none gets an ordinary Graph token.
    const plain = await apiCca().acquireTokenOnBehalfOf({ oboAssertion: tokens.access_token, scopes: [graphScope], skipCache: true });
    expect(decodePayload(plain!.accessToken).xms_cc).toBeUndefined();
  });
});

test("the emulator's sign-in pages refuse to be framed, like Entra's", async () => {
  const res = await fetch(authorizeUrl(pkcePair().challenge));
  expect(res.status).toBe(200);
  expect(res.headers.get("x-frame-options")).toBe("DENY");
  expect(res.headers.get("content-security-policy")).toMatch(/frame-ancestors 'none'/);
});
