// Consent the way Entra ID does it: pre-authorization covers only the listed scopes, combined
// consent needs `.default` from a known client application, a tenant may forbid user consent
// (admin approval required), the admin-consent endpoint grants for a whole tenant, and grants
// belong to one tenant.
import { ConfidentialClientApplication, InteractionRequiredAuthError } from "@azure/msal-node";
import type { RunningEmulator } from "./index";
import { Browser, control, decodePayload, has, msalAuth, pkcePair, redirectParams, setupTestEmulator, tokenRequest } from "./test-support/harness";

let emu: RunningEmulator;
setupTestEmulator((e) => (emu = e));

const GRAPH_READ = "https://graph.microsoft.com/User.Read";
const GRAPH_BASIC = "https://graph.microsoft.com/User.ReadBasic.All";
const ARM = "https://management.azure.com/user_impersonation";

const user = (prefix: string) => emu.tenant.users.find((u) => u.username.startsWith(prefix))!;
const spa = () => emu.tenant.apps.spa;
const api = () => emu.tenant.apps.api;
const apiDefault = () => `api://${api().clientId}/.default`;
const mint = async (body: Record<string, unknown>) => (await control<{ access_token: string }>(emu, "POST", "/tokens", body)).access_token;

function authorizeUrl(opts: { scope: string; challenge: string; prompt?: string; tenant?: string }): string {
  const u = new URL(`${emu.tenant.authorityHost}/${opts.tenant ?? emu.tenant.tenantId}/oauth2/v2.0/authorize`);
  u.search = new URLSearchParams({
    client_id: spa().clientId,
    response_type: "code",
    redirect_uri: spa().redirectUris[0]!,
    scope: opts.scope,
    state: "st",
    code_challenge: opts.challenge,
    code_challenge_method: "S256",
    ...(opts.prompt ? { prompt: opts.prompt } : {}),
  }).toString();
  return u.toString();
}

/** Signs `username` in at the SPA's authorize URL and returns the first page after the password. */
async function signIn(username: string, opts: { scope: string; prompt?: string; tenant?: string }) {
  const { verifier, challenge } = pkcePair();
  const browser = new Browser(emu);
  const who = user(username);
  const page = await browser.submit(await browser.go(authorizeUrl({ ...opts, challenge })), { username: who.username, password: who.password });
  return { page, browser, verifier };
}

/** The API's On-Behalf-Of exchange of a token the SPA got for `username`. */
async function obo(username: string, scope: string, tenant = user(username).tenantId): Promise<unknown> {
  const assertion = await mint({ username: user(username).username, clientId: spa().clientId, scopes: [`api://${api().clientId}/access_as_user`] });
  const cca = new ConfidentialClientApplication({ auth: { ...msalAuth(emu, api().clientId, tenant), clientSecret: api().clientSecret } });
  try {
    return await cca.acquireTokenOnBehalfOf({ oboAssertion: assertion, scopes: [scope], skipCache: true });
  } catch (e) {
    return e;
  }
}

const consentRequired = (e: unknown) => e instanceof InteractionRequiredAuthError && e.subError === "consent_required";

describe("pre-authorization (preAuthorizedApplications)", () => {
  test("the SPA gets access_as_user without a consent prompt, and nothing else", async () => {
    // No grant at all for the SPA → API scope: pre-authorization alone must carry it.
    await control(emu, "POST", "/consent/revoke", { clientId: spa().clientId, scopes: [`api://${api().clientId}/access_as_user`] });
    const { page, verifier } = await signIn("megan.", { scope: `api://${api().clientId}/access_as_user openid profile offline_access` });
    const code = redirectParams(page.leftTo).get("code");
    expect(code).toBeTruthy(); // no consent page: the SPA is pre-authorized for access_as_user
    const r = await tokenRequest(
      emu,
      { grant_type: "authorization_code", client_id: spa().clientId, code: code!, redirect_uri: spa().redirectUris[0]!, code_verifier: verifier, scope: `api://${api().clientId}/access_as_user` },
      { origin: new URL(spa().redirectUris[0]!).origin },
    );
    expect(String(decodePayload(String(r.body.access_token)).scp).split(" ")).toEqual(["access_as_user"]);

    // Pre-authorization is per scope: a Graph scope the SPA was never granted still needs consent.
    const graph = await signIn("megan.", { scope: `${GRAPH_READ} openid` });
    expect(has(graph.page, "Permissions requested")).toBe(true);
    expect(has(graph.page, GRAPH_READ)).toBe(true);
  });

  test("pre-authorization of the SPA does not consent to the API's own Graph and ARM permissions", async () => {
    await control(emu, "POST", "/consent/revoke", { clientId: api().clientId });
    const { page } = await signIn("megan.", { scope: `api://${api().clientId}/access_as_user openid`, prompt: "consent" });
    expect(has(page, "Permissions requested")).toBe(true);
    expect(has(page, GRAPH_READ)).toBe(false); // a named scope never triggers combined consent
    expect(consentRequired(await obo("megan.", GRAPH_READ))).toBe(true);
  });
});

describe("combined consent (knownClientApplications + .default)", () => {
  test("the known SPA asking for api://<api>/.default consents once to the API's Graph and ARM permissions too", async () => {
    await control(emu, "POST", "/consent/revoke", { clientId: api().clientId });
    expect(consentRequired(await obo("megan.", GRAPH_READ))).toBe(true);
    const { page, browser } = await signIn("megan.", { scope: `${apiDefault()} openid profile offline_access`, prompt: "consent" });
    expect(has(page, "Permissions requested")).toBe(true);
    for (const scope of [GRAPH_READ, GRAPH_BASIC, ARM]) expect(has(page, scope)).toBe(true);
    const done = await browser.submit(page, {}, { name: "action", value: "accept" });
    expect(redirectParams(done.leftTo).get("code")).toBeTruthy();

    for (const scope of [GRAPH_READ, ARM]) expect((await obo("megan.", scope)) as { accessToken?: string }).toMatchObject({ accessToken: expect.any(String) });
    // A user consent: another user of the tenant still has no grant.
    expect(consentRequired(await obo("alex.", GRAPH_READ))).toBe(true);
    expect((await control<{ consentPrompts: number }>(emu, "GET", "/counters")).consentPrompts).toBe(1);
  });

  test("without knownClientApplications, .default consents only to the SPA's own permissions", async () => {
    await control(emu, "POST", "/consent/revoke", { clientId: api().clientId });
    await control(emu, "POST", "/apps/registration", { clientId: api().clientId, knownClientApplications: [] });
    const { page, browser } = await signIn("megan.", { scope: `${apiDefault()} openid`, prompt: "consent" });
    expect(has(page, "Permissions requested")).toBe(true);
    expect(has(page, GRAPH_READ)).toBe(false);
    await browser.submit(page, {}, { name: "action", value: "accept" });
    expect(consentRequired(await obo("megan.", GRAPH_READ))).toBe(true);
  });
});

describe(".default needs the resource among the client's configured permissions (AADSTS650057)", () => {
  // Entra: "Invalid resource. The client has requested access to a resource which is not listed in
  // the requested permissions in the client's application registration." Combined consent asks the
  // API's .default, so the SPA's registration must list the API (issue #20 item 2).
  test("a SPA that does not list the API gets invalid_client AADSTS650057 for api://<api>/.default, before any page, also with prompt=none", async () => {
    await control(emu, "POST", "/apps/registration", { clientId: spa().clientId, requiredResourceAccess: [] });
    for (const prompt of [undefined, "none"]) {
      const { challenge } = pkcePair();
      const page = await new Browser(emu).go(authorizeUrl({ scope: `${apiDefault()} openid profile offline_access`, challenge, prompt }));
      const params = redirectParams(page.leftTo);
      expect({ prompt, error: params.get("error") }).toEqual({ prompt, error: "invalid_client" });
      expect(params.get("error_description")).toMatch(/^AADSTS650057: Invalid resource\. The client has requested access to a resource which is not listed in the requested permissions in the client's application registration\./);
      expect(params.get("error_description")).toContain(`Resource app ID: ${api().clientId}`);
    }
    // A named scope of the same API is not .default: pre-authorization still covers it.
    const named = await signIn("megan.", { scope: `api://${api().clientId}/access_as_user openid` });
    expect(redirectParams(named.page.leftTo).get("code")).toBeTruthy();
  });

  test("the device code endpoint refuses .default for an unlisted resource too", async () => {
    await control(emu, "POST", "/apps/registration", { clientId: emu.tenant.apps.cli.clientId, requiredResourceAccess: [] });
    const device = await fetch(`${emu.url}/${emu.tenant.tenantId}/oauth2/v2.0/devicecode`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ client_id: emu.tenant.apps.cli.clientId, scope: "https://graph.microsoft.com/.default" }).toString(),
    });
    expect(device.status).toBe(400);
    expect(((await device.json()) as { error_codes?: number[] }).error_codes).toEqual([650057]);
  });
});

describe("tenant setting: users may not consent", () => {
  test("the consent step answers 'Need admin approval' (AADSTS90094); returning to the app carries the error", async () => {
    await control(emu, "POST", "/consent/revoke", { clientId: api().clientId });
    await control(emu, "POST", "/tenants/settings", { tenantId: emu.tenant.tenantId, usersMayConsent: false });
    const { page, browser } = await signIn("megan.", { scope: `${apiDefault()} openid`, prompt: "consent" });
    expect(has(page, "Need admin approval")).toBe(true);
    expect(has(page, "AADSTS90094")).toBe(true);
    expect(has(page, "Accept")).toBe(false);
    const back = await browser.submit(page, {}, { name: "action", value: "return" });
    const params = redirectParams(back.leftTo);
    expect(params.get("error")).toBe("access_denied");
    expect(params.get("error_description")).toMatch(/^AADSTS90094:/);
    expect(params.get("state")).toBe("st");
    expect(consentRequired(await obo("megan.", GRAPH_READ))).toBe(true);
    expect((await control<{ consentPrompts: number; adminApprovalPages: number }>(emu, "GET", "/counters")).adminApprovalPages).toBe(1);
  });

  test("sign-in that needs no new consent still works", async () => {
    await control(emu, "POST", "/tenants/settings", { tenantId: emu.tenant.tenantId, usersMayConsent: false });
    const { page } = await signIn("megan.", { scope: `api://${api().clientId}/access_as_user openid profile offline_access` });
    expect(redirectParams(page.leftTo).get("code")).toBeTruthy();
  });

  test("permissions that need an administrator (User.Read.All) are refused to a user even when user consent is on", async () => {
    const { page } = await signIn("megan.", { scope: "https://graph.microsoft.com/User.Read.All openid" });
    expect(has(page, "Need admin approval")).toBe(true);
  });
});

describe("admin consent endpoint (/{tenant}/adminconsent)", () => {
  const adminConsentUrl = (extra: Record<string, string> = {}, tenant = emu.tenant.tenantId) =>
    `${emu.tenant.authorityHost}/${tenant}/adminconsent?${new URLSearchParams({ client_id: api().clientId, state: "ac1", ...extra }).toString()}`;

  test("an administrator grants the API's permissions for the whole tenant and returns to the registered redirect URI", async () => {
    await control(emu, "POST", "/consent/revoke", { clientId: api().clientId });
    await control(emu, "POST", "/tenants/settings", { tenantId: emu.tenant.tenantId, usersMayConsent: false });
    const admin = emu.tenant.users.find((u) => u.tenantId === emu.tenant.tenantId && u.roles?.includes("Global Administrator"))!;
    expect(admin).toBeDefined();
    const b = new Browser(emu);
    const page = await b.submit(await b.go(adminConsentUrl()), { username: admin.username, password: admin.password });
    expect(has(page, "Permissions requested")).toBe(true);
    expect(has(page, "Accept for your organization")).toBe(true);
    for (const scope of [GRAPH_READ, GRAPH_BASIC, ARM]) expect(has(page, scope)).toBe(true);
    const done = await b.submit(page, {}, { name: "action", value: "accept" });
    expect(done.leftTo?.startsWith(api().redirectUris![0]!)).toBe(true);
    const params = redirectParams(done.leftTo);
    expect(params.get("admin_consent")).toBe("True");
    expect(params.get("tenant")).toBe(emu.tenant.tenantId);
    expect(params.get("state")).toBe("ac1");
    // Tenant-wide: every user of the tenant can now use the API, without a prompt.
    for (const who of ["megan.", "alex."]) expect(await obo(who, ARM)).toMatchObject({ accessToken: expect.any(String) });
  });

  test("a user who is not an administrator gets 'Need admin approval'; an unregistered redirect_uri is refused", async () => {
    const b = new Browser(emu);
    const megan = user("megan.");
    const page = await b.submit(await b.go(adminConsentUrl()), { username: megan.username, password: megan.password });
    expect(has(page, "Need admin approval")).toBe(true);
    const bad = await new Browser(emu).go(adminConsentUrl({ redirect_uri: "https://attacker.test/consent" }));
    expect(bad.status).toBe(400);
    expect(has(bad, "AADSTS50011")).toBe(true);
    const unknown = await new Browser(emu).go(`${emu.tenant.authorityHost}/${emu.tenant.tenantId}/adminconsent?client_id=00000000-0000-0000-0000-000000000001`);
    expect(has(unknown, "AADSTS700016")).toBe(true);
  });

  test("an administrator of another tenant cannot consent for this one (AADSTS50020)", async () => {
    const ben = emu.tenant.users.find((u) => u.tenantId === emu.tenant.secondTenantId && u.roles?.includes("Global Administrator"))!;
    const b = new Browser(emu);
    const page = await b.submit(await b.go(adminConsentUrl()), { username: ben.username, password: ben.password });
    expect(has(page, "AADSTS50020")).toBe(true);
  });
});

describe("admin consent to the SPA covers its API through knownClientApplications (issue #20 item 6)", () => {
  // Graph's apiApplication: "If you set the appID of the client app to this value, the user only
  // consents once to the client app. Microsoft Entra ID knows that consenting to the client means
  // implicitly consenting to the web API" — and not the other way round.
  const fabrikamAdmin = () => emu.tenant.users.find((u) => u.tenantId === emu.tenant.secondTenantId && u.roles?.includes("Global Administrator"))!;
  const fabrikamUser = () => emu.tenant.users.find((u) => u.tenantId === emu.tenant.secondTenantId && !u.roles?.includes("Global Administrator"))!;

  test("in a tenant where users may not consent, an administrator's consent to the SPA lets its users through combined consent, with the API's Graph and ARM permissions", async () => {
    const fabrikam = emu.tenant.secondTenantId;
    await control(emu, "POST", "/consent/revoke", { clientId: api().clientId, tenantId: fabrikam });
    await control(emu, "POST", "/tenants/settings", { tenantId: fabrikam, usersMayConsent: false });
    expect(consentRequired(await obo(fabrikamUser().username, GRAPH_READ, fabrikam))).toBe(true);

    const admin = fabrikamAdmin();
    const b = new Browser(emu);
    const page = await b.submit(await b.go(`${emu.tenant.authorityHost}/${fabrikam}/adminconsent?client_id=${spa().clientId}&state=ac2`), { username: admin.username, password: admin.password });
    expect(has(page, "Accept for your organization")).toBe(true);
    // The prompt names what the administrator grants: the SPA's access to the API and the API's own permissions.
    for (const scope of [`api://${api().clientId}/access_as_user`, GRAPH_READ, GRAPH_BASIC, ARM]) expect({ scope, shown: has(page, scope) }).toEqual({ scope, shown: true });
    const done = await b.submit(page, {}, { name: "action", value: "accept" });
    expect(redirectParams(done.leftTo).get("admin_consent")).toBe("True");

    // A user of that tenant: combined consent asks nothing more, and the API may call Graph and ARM for them.
    const { page: after } = await signIn(fabrikamUser().username.split("@")[0]!, { scope: `${apiDefault()} openid profile offline_access`, tenant: "organizations" });
    expect(redirectParams(after.leftTo).get("code")).toBeTruthy();
    for (const scope of [GRAPH_READ, ARM]) expect(await obo(fabrikamUser().username, scope, fabrikam)).toMatchObject({ accessToken: expect.any(String) });
  });

  test("admin consent to the API does not cover the SPA (not the other way round)", async () => {
    const fabrikam = emu.tenant.secondTenantId;
    await control(emu, "POST", "/consent/revoke", { clientId: spa().clientId, tenantId: fabrikam });
    const admin = fabrikamAdmin();
    const b = new Browser(emu);
    const page = await b.submit(await b.go(`${emu.tenant.authorityHost}/${fabrikam}/adminconsent?client_id=${api().clientId}`), { username: admin.username, password: admin.password });
    expect(has(page, `api://${api().clientId}/access_as_user`)).toBe(false);
    await b.submit(page, {}, { name: "action", value: "accept" });
    const consented = await control<{ consented: string[] }>(emu, "POST", "/consent/grant", { clientId: spa().clientId, tenantId: fabrikam, scopes: [] });
    expect(consented.consented).toEqual([]);
  });
});

describe("consent belongs to one tenant", () => {
  test("revoking the API's grants in Fabrikam leaves Contoso's alone, and the other way round", async () => {
    const ben = emu.tenant.users.find((u) => u.tenantId === emu.tenant.secondTenantId)!.username;
    expect(await obo(ben, GRAPH_READ)).toMatchObject({ accessToken: expect.any(String) });
    await control(emu, "POST", "/consent/revoke", { clientId: api().clientId, tenantId: emu.tenant.secondTenantId });
    expect(consentRequired(await obo(ben, GRAPH_READ))).toBe(true);
    expect(await obo("megan.", GRAPH_READ)).toMatchObject({ accessToken: expect.any(String) });
    await control(emu, "POST", "/reset");
    await control(emu, "POST", "/consent/revoke", { clientId: api().clientId });
    expect(await obo(ben, GRAPH_READ)).toMatchObject({ accessToken: expect.any(String) });
  });
});
