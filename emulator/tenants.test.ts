// Users of other tenants, the way Entra ID treats them: the `organizations` authority resolves the
// user's home tenant for multi-tenant apps; a single-tenant app refuses it (AADSTS50194); a user
// at a tenant they do not belong to is refused (AADSTS50020).
import { ConfidentialClientApplication, PublicClientApplication, type DeviceCodeRequest } from "@azure/msal-node";
import type { RunningEmulator } from "./index";
import { Browser, control, decodePayload, has, msalAuth, pkcePair, redirectParams, setupTestEmulator, tokenRequest } from "./test-support/harness";

type DeviceCodeResponse = Parameters<DeviceCodeRequest["deviceCodeCallback"]>[0];

let emu: RunningEmulator;
setupTestEmulator((e) => (emu = e));

const spa = () => emu.tenant.apps.spa;
const api = () => emu.tenant.apps.api;
const inTenant = (tenantId: string) => emu.tenant.users.find((u) => u.tenantId === tenantId && !u.requiresMfa)!;
const contoso = () => inTenant(emu.tenant.tenantId);
const fabrikam = () => inTenant(emu.tenant.secondTenantId);
const thirdTenant = () => emu.tenant.tenants.find((t) => t.id !== emu.tenant.tenantId && t.id !== emu.tenant.secondTenantId)!;

function spaAuthorize(segment: string, challenge: string): string {
  const u = new URL(`${emu.tenant.authorityHost}/${segment}/oauth2/v2.0/authorize`);
  u.search = new URLSearchParams({
    client_id: spa().clientId,
    response_type: "code",
    redirect_uri: spa().redirectUris[0]!,
    scope: `api://${api().clientId}/access_as_user openid profile offline_access`,
    state: "t1",
    code_challenge: challenge,
    code_challenge_method: "S256",
  }).toString();
  return u.toString();
}

async function spaSignIn(segment: string, who: { username: string; password: string }) {
  const { verifier, challenge } = pkcePair();
  const b = new Browser(emu);
  const page = await b.submit(await b.go(spaAuthorize(segment, challenge)), { username: who.username, password: who.password });
  return { page, verifier };
}

describe("the organizations authority", () => {
  test("a Fabrikam user signs in to the multi-tenant SPA; code and tokens come from Fabrikam", async () => {
    const ben = fabrikam();
    const { page, verifier } = await spaSignIn("organizations", ben);
    const code = redirectParams(page.leftTo).get("code");
    expect(code).toBeTruthy();
    const r = await tokenRequest(
      emu,
      { grant_type: "authorization_code", client_id: spa().clientId, code: code!, redirect_uri: spa().redirectUris[0]!, code_verifier: verifier, scope: `api://${api().clientId}/access_as_user openid` },
      { origin: new URL(spa().redirectUris[0]!).origin },
      "organizations",
    );
    expect(r.status).toBe(200);
    const at = decodePayload(String(r.body.access_token));
    expect(at).toMatchObject({ tid: emu.tenant.secondTenantId, iss: `${emu.url}/${emu.tenant.secondTenantId}/v2.0`, aud: api().clientId });
  });

  test("a user of a third tenant is a real user of a real tenant too", async () => {
    const tenant = thirdTenant();
    expect(tenant).toBeDefined();
    const who = inTenant(tenant.id);
    const { page } = await spaSignIn("organizations", who);
    expect(redirectParams(page.leftTo).get("code")).toBeTruthy();
  });

  test("the web app (msal-node, confidential) signs a Fabrikam user in at organizations", async () => {
    const web = emu.tenant.apps.web;
    const cca = new ConfidentialClientApplication({ auth: { ...msalAuth(emu, web.clientId, "organizations"), clientSecret: web.clientSecret } });
    const { verifier, challenge } = pkcePair();
    const url = await cca.getAuthCodeUrl({ scopes: ["User.Read"], redirectUri: web.redirectUris[0]!, codeChallenge: challenge, codeChallengeMethod: "S256" });
    const b = new Browser(emu);
    const ben = fabrikam();
    const done = await b.submit(await b.go(url), { username: ben.username, password: ben.password });
    const code = redirectParams(done.leftTo).get("code")!;
    const result = await cca.acquireTokenByCode({ code, scopes: ["User.Read"], redirectUri: web.redirectUris[0]!, codeVerifier: verifier });
    expect(result.account?.tenantId).toBe(emu.tenant.secondTenantId);
    expect(result.account?.username).toBe(ben.username);
    expect(decodePayload(result.accessToken).tid).toBe(emu.tenant.secondTenantId);
  });

  test("the CLI's device code flow signs a Fabrikam user in at organizations", async () => {
    const pca = new PublicClientApplication({ auth: msalAuth(emu, emu.tenant.apps.cli.clientId, "organizations") });
    let info: DeviceCodeResponse | undefined;
    const pending = pca.acquireTokenByDeviceCode({ scopes: ["User.Read"], deviceCodeCallback: (r) => (info = r) });
    for (let i = 0; i < 200 && !info; i++) await new Promise((r) => setTimeout(r, 20));
    const b = new Browser(emu);
    const ben = fabrikam();
    const signIn = await b.submit(await b.go(info!.verificationUri), { otc: info!.userCode });
    const done = await b.submit(signIn, { username: ben.username, password: ben.password }, { name: "action", value: "signin" });
    expect(has(done, "You have signed in")).toBe(true);
    const result = await pending;
    expect(result?.account?.tenantId).toBe(emu.tenant.secondTenantId);
  });
});

describe("where another tenant's user is refused", () => {
  test("a single-tenant app cannot use organizations (AADSTS50194)", async () => {
    await control(emu, "POST", "/apps/registration", { clientId: spa().clientId, signInAudience: "AzureADMyOrg" });
    const { challenge } = pkcePair();
    const res = await fetch(spaAuthorize("organizations", challenge), { redirect: "manual" });
    const params = redirectParams(res.headers.get("location") ?? undefined);
    expect(params.get("error")).toBe("invalid_request");
    expect(params.get("error_description")).toMatch(/^AADSTS50194:/);
    // The token endpoint says the same.
    const cli = emu.tenant.apps.cli.clientId;
    await control(emu, "POST", "/apps/registration", { clientId: cli, signInAudience: "AzureADMyOrg" });
    const megan = contoso();
    const ropc = await tokenRequest(emu, { grant_type: "password", client_id: cli, username: megan.username, password: megan.password, scope: "User.Read" }, {}, "organizations");
    expect(ropc.body).toMatchObject({ error: "invalid_request", error_codes: [50194] });
  });

  test("a user at a tenant they are not in: AADSTS50020, for a single-tenant app at its home tenant too", async () => {
    const atContoso = await spaSignIn(emu.tenant.tenantId, fabrikam());
    expect(has(atContoso.page, "AADSTS50020")).toBe(true);
    const atFabrikam = await spaSignIn(emu.tenant.secondTenantId, contoso());
    expect(has(atFabrikam.page, "AADSTS50020")).toBe(true);
    await control(emu, "POST", "/apps/registration", { clientId: spa().clientId, signInAudience: "AzureADMyOrg" });
    const single = await spaSignIn(emu.tenant.tenantId, fabrikam());
    expect(has(single.page, "AADSTS50020")).toBe(true);
  });
});

describe("a verified domain in the authority (issue #20 item 1)", () => {
  // Entra accepts a tenant's verified domain wherever it accepts its id: the metadata names the
  // tenant id (issuer, endpoints), tokens carry it in `tid`. An unknown domain is AADSTS90002.
  const domain = () => emu.tenant.tenants[0]!.domain;

  test("OpenID metadata and keys: the issuer names the tenant id, never the domain", async () => {
    const meta = (await (await fetch(`${emu.url}/${domain()}/v2.0/.well-known/openid-configuration`)).json()) as Record<string, string>;
    expect(meta.issuer).toBe(`${emu.url}/${emu.tenant.tenantId}/v2.0`);
    const keys = await fetch(`${emu.url}/${domain()}/discovery/v2.0/keys`);
    expect(keys.status).toBe(200);
    for (const endpoint of ["authorization_endpoint", "token_endpoint", "end_session_endpoint", "device_authorization_endpoint"]) {
      expect(meta[endpoint]).toMatch(/^https:\/\//);
    }
  });

  test("authorize + token, device code, logout and admin consent all work at the domain", async () => {
    const { page, verifier } = await spaSignIn(domain(), contoso());
    const code = redirectParams(page.leftTo).get("code");
    expect(code).toBeTruthy();
    const r = await tokenRequest(
      emu,
      { grant_type: "authorization_code", client_id: spa().clientId, code: code!, redirect_uri: spa().redirectUris[0]!, code_verifier: verifier, scope: `api://${api().clientId}/access_as_user openid` },
      { origin: new URL(spa().redirectUris[0]!).origin },
      domain(),
    );
    expect(r.status).toBe(200);
    expect(decodePayload(String(r.body.access_token))).toMatchObject({ tid: emu.tenant.tenantId, iss: `${emu.url}/${emu.tenant.tenantId}/v2.0` });
    expect(decodePayload(String(r.body.id_token))).toMatchObject({ tid: emu.tenant.tenantId });

    const device = await fetch(`${emu.url}/${domain()}/oauth2/v2.0/devicecode`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ client_id: emu.tenant.apps.cli.clientId, scope: "User.Read" }).toString(),
    });
    expect(device.status).toBe(200);

    const logout = await fetch(`${emu.url}/${domain()}/oauth2/v2.0/logout?post_logout_redirect_uri=${encodeURIComponent(spa().postLogoutRedirectUris[0]!)}&client_id=${spa().clientId}`, { redirect: "manual" });
    expect(logout.status).toBe(302);

    const consent = await new Browser(emu).go(`${emu.url}/${domain()}/adminconsent?client_id=${api().clientId}`);
    expect(has(consent, "Email or username")).toBe(true);
  });

  test("an unknown domain is AADSTS90002 at every endpoint, logout included", async () => {
    const unknown = "nowhere.example";
    expect((await fetch(`${emu.url}/${unknown}/v2.0/.well-known/openid-configuration`)).status).toBe(400);
    expect((await fetch(`${emu.url}/${unknown}/discovery/v2.0/keys`)).status).toBe(400);
    const token = await tokenRequest(emu, { grant_type: "client_credentials", client_id: api().clientId, client_secret: api().clientSecret, scope: "https://graph.microsoft.com/.default" }, {}, unknown);
    expect(token.body.error_codes).toEqual([90002]);
    const { challenge } = pkcePair();
    expect(has(await new Browser(emu).go(spaAuthorize(unknown, challenge)), "AADSTS90002")).toBe(true);
    const logout = await new Browser(emu).go(`${emu.url}/${unknown}/oauth2/v2.0/logout?post_logout_redirect_uri=${encodeURIComponent(spa().postLogoutRedirectUris[0]!)}&client_id=${spa().clientId}`);
    expect(logout.leftTo).toBeUndefined();
    expect(has(logout, "AADSTS90002")).toBe(true);
  });
});
