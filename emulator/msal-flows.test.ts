// The real @azure/msal-node completes every flow against the emulator.
import {
  ConfidentialClientApplication,
  ManagedIdentityApplication,
  PublicClientApplication,
  type DeviceCodeRequest,
} from "@azure/msal-node";
import { readFileSync } from "node:fs";
import type { RunningEmulator } from "./index";
import { Browser, control, decodeHeader, decodePayload, has, msalAuth, pkcePair, redirectParams, setupTestEmulator, tokenRequest } from "./test-support/harness";

type DeviceCodeResponse = Parameters<DeviceCodeRequest["deviceCodeCallback"]>[0];

let emu: RunningEmulator;
const GRAPH_USER_READ = "https://graph.microsoft.com/User.Read";

setupTestEmulator((e) => (emu = e), { reset: false });

const megan = () => emu.tenant.users[0]!;
const userNamed = (prefix: string) => emu.tenant.users.find((u) => u.username.startsWith(prefix))!;

interface Counters {
  tokenRequests: Record<string, Record<string, number> | undefined>;
  total: number;
}

async function waitFor<T>(get: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("device code (public client CLI)", () => {
  test("completes after the user signs in on the device-login page", async () => {
    const pca = new PublicClientApplication({ auth: msalAuth(emu, emu.tenant.apps.cli.clientId) });
    let info: DeviceCodeResponse | undefined;
    const pending = pca.acquireTokenByDeviceCode({ scopes: ["User.Read"], deviceCodeCallback: (r) => (info = r) });
    const code = await waitFor(() => info);
    expect(code.verificationUri).toBe(`${emu.url}/devicelogin`);
    expect(code.message).toBe(`To sign in, use a web browser to open the page ${emu.url}/devicelogin and enter the code ${code.userCode} to authenticate.`);
    expect(code.expiresIn).toBe(900);

    const browser = new Browser(emu);
    let page = await browser.go(code.verificationUri);
    expect(has(page, `<label for="otc">Code</label>`)).toBe(true);
    page = await browser.submit(page, { otc: code.userCode.toLowerCase() });
    expect(has(page, "Email or username")).toBe(true);
    page = await browser.submit(page, { username: megan().username, password: megan().password }, { name: "action", value: "signin" });
    expect(has(page, "You have signed in")).toBe(true);

    const result = await pending;
    expect(result?.account?.username).toBe(megan().username);
    expect(result?.account?.tenantId).toBe(emu.tenant.tenantId);
    expect(result?.account?.homeAccountId).toBe(`${megan().oid}.${emu.tenant.tenantId}`);
    const at = decodePayload(result!.accessToken);
    expect(at).toMatchObject({ aud: "https://graph.microsoft.com", oid: megan().oid, tid: emu.tenant.tenantId, ver: "1.0", appid: emu.tenant.apps.cli.clientId });
    expect(String(at.scp).split(" ")).toContain("User.Read");

    // The cached account refreshes silently (refresh_token grant).
    const silent = await pca.acquireTokenSilent({ account: result!.account!, scopes: ["User.Read"], forceRefresh: true });
    expect(silent.accessToken).not.toBe(result!.accessToken);
  });

  test("Cancel on the sign-in page declines the request", async () => {
    const pca = new PublicClientApplication({ auth: msalAuth(emu, emu.tenant.apps.cli.clientId) });
    let info: DeviceCodeResponse | undefined;
    const pending = pca.acquireTokenByDeviceCode({ scopes: ["User.Read"], deviceCodeCallback: (r) => (info = r) });
    const outcome = pending.then(
      () => "resolved",
      (e: unknown) => String((e as { errorCode?: string; errorMessage?: string }).errorMessage ?? e),
    );
    const code = await waitFor(() => info);
    const browser = new Browser(emu);
    let page = await browser.submit(await browser.go(code.verificationUri), { otc: code.userCode });
    page = await browser.submit(page, {}, { name: "action", value: "cancel" });
    expect(page.status).toBe(200);
    expect(await outcome).toContain("authorization_declined");
  });
});

describe("username/password (ROPC)", () => {
  test("returns Graph tokens for the CLI", async () => {
    const pca = new PublicClientApplication({ auth: msalAuth(emu, emu.tenant.apps.cli.clientId) });
    const r = await pca.acquireTokenByUsernamePassword({ scopes: ["User.ReadBasic.All"], username: megan().username, password: megan().password });
    expect(r?.account?.username).toBe(megan().username);
    expect(r?.scopes).toEqual(expect.arrayContaining(["User.ReadBasic.All"]));
    const at = decodePayload(r!.accessToken);
    expect(at.amr).toEqual(["pwd"]);
    expect(r?.idTokenClaims).toMatchObject({ aud: emu.tenant.apps.cli.clientId, preferred_username: megan().username });
  });
});

describe("client credentials", () => {
  test("with a client secret: app-only token with roles and no scp", async () => {
    const cca = new ConfidentialClientApplication({ auth: { ...msalAuth(emu, emu.tenant.apps.api.clientId), clientSecret: emu.tenant.apps.api.clientSecret } });
    const r = await cca.acquireTokenByClientCredential({ scopes: ["https://graph.microsoft.com/.default"] });
    const at = decodePayload(r!.accessToken);
    expect(at).toMatchObject({ aud: "https://graph.microsoft.com", idtyp: "app", roles: ["User.Read.All"], appidacr: "1", tid: emu.tenant.tenantId });
    expect(at.scp).toBeUndefined();
    // Second call comes from MSAL's cache.
    const again = await cca.acquireTokenByClientCredential({ scopes: ["https://graph.microsoft.com/.default"] });
    expect(again?.fromCache).toBe(true);
  });

  test("with client_secret_basic (Authorization: Basic)", async () => {
    const api = emu.tenant.apps.api;
    const basic = Buffer.from(`${encodeURIComponent(api.clientId)}:${encodeURIComponent(api.clientSecret)}`).toString("base64");
    const r = await tokenRequest(emu, { grant_type: "client_credentials", scope: "https://graph.microsoft.com/.default" }, { authorization: `Basic ${basic}` });
    expect(r.status).toBe(200);
    expect(decodePayload(String(r.body.access_token))).toMatchObject({ appid: api.clientId, appidacr: "1" });
  });

  test.each([
    ["SHA-1 thumbprint (RS256, x5t)", "thumbprint"],
    ["SHA-256 thumbprint (PS256, x5t#S256)", "thumbprintSha256"],
  ] as const)("with the API's certificate: %s", async (_label, kind) => {
    const cert = emu.tenant.apps.api.certificate;
    const cca = new ConfidentialClientApplication({
      auth: {
        ...msalAuth(emu, emu.tenant.apps.api.clientId),
        clientCertificate: {
          ...(kind === "thumbprint" ? { thumbprint: cert.thumbprint } : { thumbprintSha256: cert.thumbprintSha256 }),
          privateKey: readFileSync(cert.privateKeyPath, "utf8"),
        },
      },
    });
    const r = await cca.acquireTokenByClientCredential({ scopes: ["https://graph.microsoft.com/.default"] });
    expect(decodePayload(r!.accessToken)).toMatchObject({ appidacr: "2", appid: emu.tenant.apps.api.clientId });
    // MSAL reuses its signed assertion for a while; a second network call must still work.
    const again = await cca.acquireTokenByClientCredential({ scopes: ["https://management.azure.com/.default"] });
    expect(decodePayload(again!.accessToken).aud).toBe("https://management.azure.com");
  });

  test("with a managed-identity federated assertion (App Service MSI endpoint)", async () => {
    const saved = { endpoint: process.env.IDENTITY_ENDPOINT, header: process.env.IDENTITY_HEADER };
    process.env.IDENTITY_ENDPOINT = emu.tenant.managedIdentity.endpoint;
    process.env.IDENTITY_HEADER = emu.tenant.managedIdentity.header;
    try {
      const mia = new ManagedIdentityApplication({ managedIdentityIdParams: { userAssignedClientId: emu.tenant.managedIdentity.clientId } });
      const mi = await mia.acquireToken({ resource: "api://AzureADTokenExchange" });
      expect(decodePayload(mi.accessToken)).toMatchObject({ aud: "api://AzureADTokenExchange", sub: emu.tenant.managedIdentity.objectId, iss: emu.tenant.issuer });
      const cca = new ConfidentialClientApplication({
        auth: {
          ...msalAuth(emu, emu.tenant.apps.api.clientId),
          clientAssertion: async () => (await mia.acquireToken({ resource: "api://AzureADTokenExchange" })).accessToken,
        },
      });
      const r = await cca.acquireTokenByClientCredential({ scopes: ["https://graph.microsoft.com/.default"] });
      expect(decodePayload(r!.accessToken)).toMatchObject({ appidacr: "2", roles: ["User.Read.All"] });
    } finally {
      if (saved.endpoint === undefined) delete process.env.IDENTITY_ENDPOINT;
      else process.env.IDENTITY_ENDPOINT = saved.endpoint;
      if (saved.header === undefined) delete process.env.IDENTITY_HEADER;
      else process.env.IDENTITY_HEADER = saved.header;
    }
  });
});

describe("on-behalf-of", () => {
  test("exchanges the SPA's API token for Graph; the second identical call is served from MSAL's cache", async () => {
    const { access_token: incoming } = await control<{ access_token: string }>(emu, "POST", "/tokens", { scopes: [emu.tenant.apps.api.scope] });
    expect(decodePayload(incoming)).toMatchObject({ aud: emu.tenant.apps.api.clientId, azp: emu.tenant.apps.spa.clientId, scp: "access_as_user" });
    const cca = new ConfidentialClientApplication({ auth: { ...msalAuth(emu, emu.tenant.apps.api.clientId), clientSecret: emu.tenant.apps.api.clientSecret } });
    const apiId = emu.tenant.apps.api.clientId;
    const before = (await control<Counters>(emu, "GET", "/counters")).tokenRequests.on_behalf_of?.[apiId] ?? 0;

    const first = await cca.acquireTokenOnBehalfOf({ oboAssertion: incoming, scopes: [GRAPH_USER_READ] });
    const at = decodePayload(first!.accessToken);
    expect(at).toMatchObject({ aud: "https://graph.microsoft.com", oid: megan().oid, tid: emu.tenant.tenantId, appid: apiId, ver: "1.0" });
    expect(String(at.scp).split(" ")).toEqual(expect.arrayContaining(["User.Read", "User.ReadBasic.All"]));

    const second = await cca.acquireTokenOnBehalfOf({ oboAssertion: incoming, scopes: [GRAPH_USER_READ] });
    expect(second?.fromCache).toBe(true);
    expect(second?.accessToken).toBe(first?.accessToken);
    const after = (await control<Counters>(emu, "GET", "/counters")).tokenRequests.on_behalf_of?.[apiId] ?? 0;
    expect(after - before).toBe(1);

    const me = await fetch(`${emu.tenant.graphBaseUrl}/me`, { headers: { authorization: `Bearer ${first!.accessToken}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ userPrincipalName: megan().username, id: megan().oid });
  });

  test("ARM user_impersonation for the same user", async () => {
    const { access_token: incoming } = await control<{ access_token: string }>(emu, "POST", "/tokens", { scopes: [emu.tenant.apps.api.scope] });
    const cca = new ConfidentialClientApplication({ auth: { ...msalAuth(emu, emu.tenant.apps.api.clientId), clientSecret: emu.tenant.apps.api.clientSecret } });
    const r = await cca.acquireTokenOnBehalfOf({ oboAssertion: incoming, scopes: ["https://management.azure.com/user_impersonation"] });
    expect(decodePayload(r!.accessToken)).toMatchObject({ aud: "https://management.azure.com", scp: "user_impersonation" });
  });
});

describe("authorization code", () => {
  test("web app: sign in through the form, redeem with acquireTokenByCode, refresh silently", async () => {
    const web = emu.tenant.apps.web;
    const cca = new ConfidentialClientApplication({ auth: { ...msalAuth(emu, web.clientId), clientSecret: web.clientSecret } });
    const { verifier, challenge } = pkcePair();
    const redirectUri = web.redirectUris[0]!;
    const url = await cca.getAuthCodeUrl({
      scopes: ["User.Read"],
      redirectUri,
      state: "state-123",
      nonce: "nonce-456",
      codeChallenge: challenge,
      codeChallengeMethod: "S256",
      loginHint: megan().username,
    });
    const browser = new Browser(emu);
    const form = await browser.go(url);
    expect(has(form, `value="${megan().username}"`)).toBe(true); // login_hint pre-fills
    const done = await browser.submit(form, { password: megan().password });
    expect(done.leftTo?.startsWith(`${redirectUri}?`)).toBe(true);
    const params = redirectParams(done.leftTo);
    expect(params.get("state")).toBe("state-123");
    const code = params.get("code")!;

    const r = await cca.acquireTokenByCode(
      { code, scopes: ["User.Read"], redirectUri, codeVerifier: verifier, state: "state-123", nonce: "nonce-456" },
      { code, state: "state-123", nonce: "nonce-456" },
    );
    expect(r.idTokenClaims).toMatchObject({ nonce: "nonce-456", aud: web.clientId, tid: emu.tenant.tenantId });
    expect(r.account?.username).toBe(megan().username);
    expect(decodePayload(r.accessToken)).toMatchObject({ aud: "https://graph.microsoft.com", appidacr: "1" });

    const refreshed = await cca.acquireTokenSilent({ account: r.account!, scopes: ["User.Read"], forceRefresh: true });
    expect(refreshed.accessToken).not.toBe(r.accessToken);

    // A live session skips the form on the next sign-in.
    const second = await browser.go(await cca.getAuthCodeUrl({ scopes: ["User.Read"], redirectUri, codeChallenge: challenge, codeChallengeMethod: "S256" }));
    expect(second.leftTo).toBeDefined();
    expect(redirectParams(second.leftTo).get("code")).toBeTruthy();
    expect(decodeHeader(r.accessToken).kid).toBeTruthy();
  });

  test("SPA: PKCE code redeemed cross-origin, then used for OBO", async () => {
    const spa = emu.tenant.apps.spa;
    const { verifier, challenge } = pkcePair();
    const authorize = new URL(`${emu.tenant.authority}/oauth2/v2.0/authorize`);
    const redirectUri = spa.redirectUris[0]!;
    authorize.search = new URLSearchParams({
      client_id: spa.clientId,
      response_type: "code",
      redirect_uri: redirectUri,
      scope: `${emu.tenant.apps.api.scope} openid profile offline_access`,
      response_mode: "fragment",
      state: "spa-state",
      nonce: "spa-nonce",
      code_challenge: challenge,
      code_challenge_method: "S256",
      client_info: "1",
    }).toString();
    const browser = new Browser(emu);
    const done = await browser.submit(await browser.go(authorize.toString()), { username: megan().username, password: megan().password });
    expect(done.leftTo?.startsWith(`${redirectUri}#`)).toBe(true);
    const params = redirectParams(done.leftTo);
    expect(params.get("state")).toBe("spa-state");
    expect(JSON.parse(Buffer.from(params.get("client_info")!, "base64url").toString())).toEqual({ uid: megan().oid, utid: emu.tenant.tenantId });

    const origin = new URL(redirectUri).origin;
    const res = await fetch(`${emu.tenant.authority}/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded;charset=utf-8", origin },
      body: new URLSearchParams({
        client_id: spa.clientId,
        grant_type: "authorization_code",
        code: params.get("code")!,
        redirect_uri: redirectUri,
        code_verifier: verifier,
        scope: `${emu.tenant.apps.api.scope} openid profile offline_access`,
        client_info: "1",
      }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe(origin);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 3600, ext_expires_in: 3600 });
    expect(body.refresh_token_expires_in).toBeGreaterThan(86_000);
    expect(String(body.scope).split(" ")).toContain(emu.tenant.apps.api.scope);
    expect(decodePayload(String(body.id_token))).toMatchObject({ nonce: "spa-nonce", aud: spa.clientId });

    const cca = new ConfidentialClientApplication({ auth: { ...msalAuth(emu, emu.tenant.apps.api.clientId), clientSecret: emu.tenant.apps.api.clientSecret } });
    const obo = await cca.acquireTokenOnBehalfOf({ oboAssertion: String(body.access_token), scopes: [GRAPH_USER_READ] });
    expect(decodePayload(obo!.accessToken).oid).toBe(megan().oid);
  });

  test("prompt=select_account offers the remembered account and reuses the live session", async () => {
    const spa = emu.tenant.apps.spa;
    const { challenge } = pkcePair();
    const browser = new Browser(emu);
    const build = (prompt?: string) => {
      const u = new URL(`${emu.tenant.authority}/oauth2/v2.0/authorize`);
      u.search = new URLSearchParams({
        client_id: spa.clientId,
        response_type: "code",
        redirect_uri: spa.redirectUris[0]!,
        scope: `${emu.tenant.apps.api.scope} openid profile offline_access`,
        code_challenge: challenge,
        code_challenge_method: "S256",
        ...(prompt ? { prompt } : {}),
      }).toString();
      return u.toString();
    };
    const adele = userNamed("adele.");
    await browser.submit(await browser.go(build()), { username: adele.username, password: adele.password });
    const picker = await browser.go(build("select_account"));
    expect(has(picker, "Pick an account")).toBe(true);
    expect(has(picker, adele.username)).toBe(true);
    const picked = await browser.submit(picker, {}, { name: "account", value: adele.oid });
    expect(redirectParams(picked.leftTo).get("code")).toBeTruthy();
    const silent = await browser.go(build("none"));
    expect(redirectParams(silent.leftTo).get("code")).toBeTruthy();
  });

  test("form_post response mode posts the code to the redirect URI", async () => {
    const web = emu.tenant.apps.web;
    const u = new URL(`${emu.tenant.authority}/oauth2/v2.0/authorize`);
    u.search = new URLSearchParams({
      client_id: web.clientId,
      response_type: "code",
      redirect_uri: web.redirectUris[0]!,
      scope: "openid profile offline_access User.Read",
      response_mode: "form_post",
      state: "fp",
    }).toString();
    const browser = new Browser(emu);
    const page = await browser.submit(await browser.go(u.toString()), { username: megan().username, password: megan().password });
    expect(has(page, `action="${web.redirectUris[0]}"`)).toBe(true);
    const posted = await browser.submit(page);
    const params = redirectParams(posted.leftTo);
    expect(params.get("state")).toBe("fp");
    expect(params.get("code")).toBeTruthy();
  });
});
