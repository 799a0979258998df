/**
 * The directory behind authorization, as Entra issues it: app roles (user and group
 * assignments), group claims with the 200-group overage rule, Graph's checkMemberGroups and
 * transitiveMemberOf, Conditional Access authentication contexts (acrs) and B2B guests. Tokens
 * are requested the way clients request them (the CLI by username/password, the SPA and the web
 * app by authorization code) and read as a resource reads them.
 */
import type { RunningEmulator } from "./index";
import { Browser, control, decodePayload, has, pkcePair, redirectParams, setupTestEmulator, tokenRequest } from "./test-support/harness";

let emu: RunningEmulator;
setupTestEmulator((e) => (emu = e), { reset: { sessions: true } });

const MEGAN = "megan.bowen@contoso.test";
const DEBRA = "debra.berger@contoso.test";
const IRVIN = "irvin.sayers@contoso.test";
const ANNE = "anne.dodsworth@northwind.test";
const CHRISTIE = "christie.cline@fabrikam.test";
const ROLES = ["Subscriptions.Read", "Directory.Read"];

const user = (username: string) => {
  const u = emu.tenant.users.find((x) => x.username === username);
  if (!u) throw new Error(`no seeded user ${username}`);
  return u;
};
const tenantOf = (domain: string) => emu.tenant.tenants.find((t) => t.domain === domain)!.id;

/** The CLI's username/password grant (ROPC) for `scope`, at `tenant`'s authority. */
async function ropc(username: string, scope: string, tenant = emu.tenant.tenantId, client = emu.tenant.apps.cli.clientId, extra: Record<string, string> = {}) {
  const password = extra.password ?? user(username).password;
  return tokenRequest(emu, { grant_type: "password", client_id: client, username, password, scope, ...extra }, {}, tenant);
}

async function apiClaims(username: string, tenant?: string, password?: string): Promise<Record<string, unknown>> {
  const r = await ropc(username, `${emu.tenant.apps.api.scope} openid profile`, tenant ?? user(username).tenantId, undefined, password ? { password } : {});
  expect(r.status).toBe(200);
  return decodePayload(String(r.body.access_token));
}

async function graphToken(username: string, scopes = ["https://graph.microsoft.com/User.Read"]): Promise<string> {
  const minted = await control<{ access_token: string }>(emu, "POST", "/tokens", { username, scopes });
  return minted.access_token;
}

describe("app roles and groups in tokens (the CLI by username/password)", () => {
  test("Megan holds both app roles of the API, directly; her one group is listed", async () => {
    const at = await apiClaims(MEGAN);
    expect([...(at.roles as string[])].sort()).toEqual([...ROLES].sort());
    expect(at.groups).toEqual([expect.stringMatching(/^[0-9a-f-]{36}$/)]);
    expect(at.hasgroups).toBeUndefined();
    expect(at._claim_names).toBeUndefined();
  });

  test("a user with no assignment gets no roles claim, and no groups claim when in no group", async () => {
    const at = await apiClaims(DEBRA);
    expect(at.roles).toBeUndefined();
    expect(at.groups).toBeUndefined();
    expect(user(DEBRA).appRoles).toBeUndefined();
  });

  test("more than 200 groups: no groups claim, the overage claim instead (never hasgroups), and no roles through a group that has none", async () => {
    expect(user(IRVIN).groupCount).toBe(250);
    const at = await apiClaims(IRVIN);
    expect(at.groups).toBeUndefined();
    expect(at.hasgroups).toBeUndefined();
    expect(at._claim_names).toEqual({ groups: "src1" });
    const sources = at._claim_sources as { src1: { endpoint: string } };
    expect(sources.src1.endpoint).toBe(`https://graph.windows.net/${emu.tenant.tenantId}/users/${user(IRVIN).oid}/getMemberObjects`);
    expect(at.roles).toBeUndefined();
  });

  test("a group's app roles reach its direct members, in their own tenant (Fabrikam)", async () => {
    const at = await apiClaims(CHRISTIE);
    expect(at.tid).toBe(tenantOf("fabrikam.test"));
    expect([...(at.roles as string[])].sort()).toEqual([...ROLES].sort());
  });

  test("tokens for Graph carry neither roles nor groups (Graph's registration asks for none)", async () => {
    const r = await ropc(IRVIN, "https://graph.microsoft.com/User.Read");
    const at = decodePayload(String(r.body.access_token));
    expect(at.roles).toBeUndefined();
    expect(at.groups).toBeUndefined();
    expect(at._claim_names).toBeUndefined();
  });

  test("ID tokens: the web app (groupMembershipClaims) gets the overage form; an app that defines roles gets roles in its ID token", async () => {
    const web = emu.tenant.apps.web;
    const webRopc = await ropc(IRVIN, "openid profile User.Read", emu.tenant.tenantId, web.clientId, { client_secret: web.clientSecret });
    const idToken = decodePayload(String(webRopc.body.id_token));
    expect(idToken.groups).toBeUndefined();
    expect(idToken._claim_names).toEqual({ groups: "src1" });
    const api = emu.tenant.apps.api;
    const apiRopc = await ropc(MEGAN, "openid profile User.Read", emu.tenant.tenantId, api.clientId, { client_secret: api.clientSecret });
    expect([...(decodePayload(String(apiRopc.body.id_token)).roles as string[])].sort()).toEqual([...ROLES].sort());
    // the SPA defines no roles: none in its ID tokens
    const spaLike = await ropc(MEGAN, "openid profile User.Read");
    expect(decodePayload(String(spaLike.body.id_token)).roles).toBeUndefined();
  });

  test("load users created by POST /_control/users hold both roles (every view works for them)", async () => {
    const { users, password } = await control<{ users: { username: string }[]; password: string }>(emu, "POST", "/users", { count: 2 });
    const at = await apiClaims(users[1]!.username, emu.tenant.tenantId, password);
    expect([...(at.roles as string[])].sort()).toEqual([...ROLES].sort());
    const fab = await control<{ users: { username: string }[]; password: string }>(emu, "POST", "/users", { count: 1, domain: "fabrikam.test" });
    expect([...((await apiClaims(fab.users[0]!.username, tenantOf("fabrikam.test"), fab.password)).roles as string[])].sort()).toEqual([...ROLES].sort());
  });

  test("POST /_control/tokens issues what Entra would, and takes roles, groups, amr and acrs overrides", async () => {
    const scope = emu.tenant.apps.api.scope;
    const mint = (body: Record<string, unknown>) => control<{ access_token: string }>(emu, "POST", "/tokens", { scopes: [scope], ...body }).then((t) => decodePayload(t.access_token));
    expect([...((await mint({ username: MEGAN })).roles as string[])].sort()).toEqual([...ROLES].sort());
    expect((await mint({ username: IRVIN }))._claim_names).toEqual({ groups: "src1" });
    expect((await mint({ username: DEBRA, roles: ["Directory.Read"] })).roles).toEqual(["Directory.Read"]);
    const listed = await mint({ username: IRVIN, groups: ["00000000-0000-0000-0000-000000000001"] });
    expect(listed.groups).toEqual(["00000000-0000-0000-0000-000000000001"]);
    expect(listed._claim_names).toBeUndefined();
    // an MFA sign-in: the API opted in to acrs, so the home tenant's c1 comes opportunistically
    expect((await mint({ username: MEGAN, amr: ["pwd", "mfa"] })).acrs).toEqual(["c1"]);
    expect((await mint({ username: MEGAN })).acrs).toBeUndefined();
    expect((await mint({ username: MEGAN, acrs: ["C2"] })).acrs).toEqual(["c2"]);
  });
});

describe("Microsoft Graph: the signed-in user's group memberships", () => {
  const directoryGroup = () => emu.tenant.authorization.directoryGroupId;

  async function checkMemberGroups(token: string, groupIds: unknown) {
    const res = await fetch(`${emu.tenant.graphBaseUrl}/me/checkMemberGroups`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ groupIds }),
    });
    return { status: res.status, body: (await res.json()) as { value?: string[]; error?: { code: string } } };
  }

  test("checkMemberGroups answers which of the given groups the user is in, with User.Read alone", async () => {
    const other = "11111111-2222-3333-4444-555555555555";
    const irvin = await checkMemberGroups(await graphToken(IRVIN), [directoryGroup(), other]);
    expect(irvin.status).toBe(200);
    expect(irvin.body.value).toEqual([directoryGroup()]);
    const debra = await checkMemberGroups(await graphToken(DEBRA), [directoryGroup()]);
    expect(debra.body.value).toEqual([]);
  });

  test("checkMemberGroups refuses bad input as a whole, and a token without a permission that allows it", async () => {
    const token = await graphToken(IRVIN);
    const tooMany = Array.from({ length: 21 }, (_, i) => `00000000-0000-0000-0000-${String(i).padStart(12, "0")}`);
    expect((await checkMemberGroups(token, tooMany)).status).toBe(400);
    expect((await checkMemberGroups(token, [directoryGroup(), "Directory viewers"])).status).toBe(400);
    expect((await checkMemberGroups(token, "not-a-list")).status).toBe(400);
    const mailOnly = await checkMemberGroups(await graphToken(IRVIN, ["https://graph.microsoft.com/Mail.Read"]), [directoryGroup()]);
    expect(mailOnly.status).toBe(403);
    expect(mailOnly.body.error?.code).toBe("Authorization_RequestDenied");
    const get = await fetch(`${emu.tenant.graphBaseUrl}/me/checkMemberGroups`, { headers: { authorization: `Bearer ${token}` } });
    expect(get.status).toBe(405);
  });

  test("transitiveMemberOf pages 250 groups with absolute nextLinks on Graph's root; User.Read sees ids only", async () => {
    const token = await graphToken(IRVIN);
    let next: string | undefined = `${emu.tenant.graphBaseUrl}/me/transitiveMemberOf`;
    const ids: string[] = [];
    let pages = 0;
    while (next) {
      const res = await fetch(next, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { value: { id: string; "@odata.type": string; displayName: string | null }[]; "@odata.nextLink"?: string };
      pages++;
      for (const g of body.value) {
        expect(g["@odata.type"]).toBe("#microsoft.graph.group");
        expect(g.displayName).toBeNull();
        ids.push(g.id);
      }
      next = body["@odata.nextLink"];
      if (next) expect(next.startsWith(`${emu.tenant.graphBaseUrl}/me/transitiveMemberOf?`)).toBe(true);
    }
    expect(pages).toBe(3);
    expect(new Set(ids).size).toBe(250);
    expect(ids).toContain(directoryGroup());
    const bad = await fetch(`${emu.tenant.graphBaseUrl}/me/transitiveMemberOf?$top=1000`, { headers: { authorization: `Bearer ${token}` } });
    expect(bad.status).toBe(400);
    const named = await fetch(`${emu.tenant.graphBaseUrl}/me/transitiveMemberOf?$top=999`, { headers: { authorization: `Bearer ${await graphToken(IRVIN, ["https://graph.microsoft.com/GroupMember.Read.All", "https://graph.microsoft.com/User.Read"])}` } });
    const page = (await named.json()) as { value: { displayName: string }[] };
    expect(page.value.map((g) => g.displayName)).toContain("Directory viewers");
  });
});

describe("Conditional Access authentication context (acrs)", () => {
  const claims = (acrs: string) => JSON.stringify({ access_token: { acrs: { essential: true, value: acrs } } });

  /** The SPA's sign-in for the API, with `claims`, as `username`; returns the last page and the PKCE verifier. */
  async function spaSignIn(b: Browser, username: string, extra: Record<string, string>, tenant = "organizations") {
    const { verifier, challenge } = pkcePair();
    const spa = emu.tenant.apps.spa;
    const u = new URL(`${emu.tenant.authorityHost}/${tenant}/oauth2/v2.0/authorize`);
    u.search = new URLSearchParams({
      client_id: spa.clientId,
      response_type: "code",
      redirect_uri: spa.redirectUris[0]!,
      scope: `${emu.tenant.apps.api.scope} openid profile offline_access`,
      code_challenge: challenge,
      code_challenge_method: "S256",
      client_info: "1",
      ...extra,
    }).toString();
    let page = await b.go(u.toString());
    if (has(page, "Email or username")) page = await b.submit(page, { username, password: user(username).password });
    return { page, verifier };
  }

  async function redeem(code: string, verifier: string, tenant = "organizations") {
    const spa = emu.tenant.apps.spa;
    return tokenRequest(
      emu,
      { grant_type: "authorization_code", client_id: spa.clientId, code, code_verifier: verifier, redirect_uri: spa.redirectUris[0]!, scope: `${emu.tenant.apps.api.scope} openid profile offline_access` },
      { origin: new URL(spa.redirectUris[0]!).origin },
      tenant,
    );
  }

  async function refresh(refreshToken: string, extra: Record<string, string> = {}, scope = `${emu.tenant.apps.api.scope} openid profile offline_access`, tenant = "organizations") {
    const spa = emu.tenant.apps.spa;
    return tokenRequest(emu, { grant_type: "refresh_token", client_id: spa.clientId, refresh_token: refreshToken, scope, ...extra }, { origin: new URL(spa.redirectUris[0]!).origin }, tenant);
  }

  test("c1 (require MFA in Contoso) asks for the verification code; the token carries acrs, and renewals keep it because the API opted in", async () => {
    const b = new Browser(emu);
    const { page, verifier } = await spaSignIn(b, MEGAN, { claims: claims("c1") });
    expect(has(page, "Verification code")).toBe(true);
    const done = await b.submit(page, { otc: user(MEGAN).mfaCode ?? "" });
    const r = await redeem(redirectParams(done.leftTo).get("code")!, verifier);
    const at = decodePayload(String(r.body.access_token));
    expect(at.acrs).toEqual(["c1"]);
    expect(at.amr).toEqual(["pwd", "mfa"]);
    // a silent renewal without claims: opportunistic evaluation keeps c1 (the sign-in did MFA)
    const renewed = await refresh(String(r.body.refresh_token));
    expect(decodePayload(String(renewed.body.access_token)).acrs).toEqual(["c1"]);
    // Graph did not opt in: a token for it carries acrs only when asked, MFA or not
    const graph = await control<{ access_token: string }>(emu, "POST", "/tokens", { username: MEGAN, scopes: ["https://graph.microsoft.com/User.Read"], amr: ["pwd", "mfa"] });
    expect(decodePayload(graph.access_token).acrs).toBeUndefined();
  });

  test("without MFA behind the refresh token, asking for c1 silently is interaction_required with the claims echoed; without asking, no acrs", async () => {
    const b = new Browser(emu);
    const { page, verifier } = await spaSignIn(b, MEGAN, {});
    const r = await redeem(redirectParams(page.leftTo).get("code")!, verifier);
    expect(decodePayload(String(r.body.access_token)).acrs).toBeUndefined();
    expect([...(decodePayload(String(r.body.access_token)).roles as string[])].sort()).toEqual([...ROLES].sort());
    const asked = await refresh(String(r.body.refresh_token), { claims: claims("c1") });
    expect(asked.status).toBe(400);
    expect(asked.body.error).toBe("interaction_required");
    expect(asked.body.claims).toBe(claims("c1"));
    const plain = await refresh(String(r.body.refresh_token));
    expect(decodePayload(String(plain.body.access_token)).acrs).toBeUndefined();
    // a Conditional Access policy's claims challenge (capolids) is no more satisfiable silently
    const capolids = JSON.stringify({ access_token: { capolids: { essential: true, values: ["00d9f4ad-53a2-42b6-b3f5-f28807f0cbd4"] } } });
    expect((await refresh(String(r.body.refresh_token), { claims: capolids })).body.error).toBe("interaction_required");
    // a malformed context id is refused outright
    const malformed = await refresh(String(r.body.refresh_token), { claims: claims("c1; drop") });
    expect(malformed.body.error).toBe("invalid_request");
  });

  test("a tenant with no policy for the context (Fabrikam) issues it as asked, without MFA", async () => {
    const b = new Browser(emu);
    const { page, verifier } = await spaSignIn(b, CHRISTIE, { claims: claims("c1") });
    expect(has(page, "Verification code")).toBe(false);
    const r = await redeem(redirectParams(page.leftTo).get("code")!, verifier);
    const at = decodePayload(String(r.body.access_token));
    expect(at.tid).toBe(tenantOf("fabrikam.test"));
    expect(at.acrs).toEqual(["c1"]);
    // not opportunistic there (Fabrikam declares no context): a renewal must ask again, silently
    expect(decodePayload(String((await refresh(String(r.body.refresh_token))).body.access_token)).acrs).toBeUndefined();
    expect(decodePayload(String((await refresh(String(r.body.refresh_token), { claims: claims("c1") })).body.access_token)).acrs).toEqual(["c1"]);
  });

  test("On-Behalf-Of with claims a downstream API demanded: satisfied by the assertion's MFA, else interaction_required with the claims", async () => {
    const api = emu.tenant.apps.api;
    const obo = (assertion: string) =>
      tokenRequest(emu, {
        grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
        client_id: api.clientId,
        client_secret: api.clientSecret,
        assertion,
        requested_token_use: "on_behalf_of",
        scope: "https://management.azure.com/user_impersonation",
        claims: claims("c1"),
      });
    const mint = (amr: string[]) => control<{ access_token: string }>(emu, "POST", "/tokens", { username: MEGAN, scopes: [api.scope], amr }).then((t) => t.access_token);
    const withMfa = await obo(await mint(["pwd", "mfa"]));
    expect(withMfa.status).toBe(200);
    expect(decodePayload(String(withMfa.body.access_token)).acrs).toEqual(["c1"]);
    const without = await obo(await mint(["pwd"]));
    expect(without.body.error).toBe("interaction_required");
    expect(without.body.claims).toBe(claims("c1"));
  });
});

describe("B2B guests", () => {
  test("tenant.json lists the guest under the home account; the guest object is no account of its own", () => {
    const anne = user(ANNE);
    expect(anne.tenantId).toBe(tenantOf("northwind.test"));
    expect(anne.guestIn).toEqual([{ tenantId: emu.tenant.tenantId, oid: expect.any(String), userPrincipalName: "anne.dodsworth_northwind.test#EXT#@contoso.test" }]);
    expect(emu.tenant.users.some((u) => u.username.includes("#EXT#"))).toBe(false);
  });

  test("at the inviting tenant's authority the guest gets Contoso's token for its guest object (idp = home tenant); at organizations, the home tenant's", async () => {
    const anne = user(ANNE);
    const guestOid = anne.guestIn![0]!.oid;
    const contoso = await ropc(ANNE, `${emu.tenant.apps.api.scope} openid profile`, emu.tenant.tenantId);
    expect(contoso.status).toBe(200);
    const at = decodePayload(String(contoso.body.access_token));
    expect(at).toMatchObject({ tid: emu.tenant.tenantId, oid: guestOid, idp: `https://sts.windows.net/${anne.tenantId}/`, preferred_username: ANNE });
    expect(at.iss).toBe(`${emu.tenant.authorityHost}/${emu.tenant.tenantId}/v2.0`);
    expect(at.roles).toBeUndefined(); // the home account's (none) and the guest's are separate objects
    // client_info names the HOME account: MSAL keeps one account with a tenant profile per tenant
    expect(JSON.parse(Buffer.from(String(contoso.body.client_info), "base64url").toString())).toEqual({ uid: anne.oid, utid: anne.tenantId });
    const home = decodePayload(String((await ropc(ANNE, emu.tenant.apps.api.scope, "organizations")).body.access_token));
    expect(home).toMatchObject({ tid: anne.tenantId, oid: anne.oid });
    expect(home.idp).toBeUndefined();
    const fabrikam = await ropc(ANNE, "User.Read", tenantOf("fabrikam.test"));
    expect(fabrikam.status).toBe(400);
    // Graph shows the guest object for what it is
    const me = await fetch(`${emu.tenant.graphBaseUrl}/me?$select=userType,userPrincipalName,id`, {
      headers: { authorization: `Bearer ${(await control<{ access_token: string }>(emu, "POST", "/tokens", { username: ANNE, tenantId: emu.tenant.tenantId, scopes: ["https://graph.microsoft.com/User.Read"] })).access_token}` },
    });
    expect(await me.json()).toMatchObject({ userType: "Guest", id: guestOid, userPrincipalName: "anne.dodsworth_northwind.test#EXT#@contoso.test" });
  });

  test("interactive sign-in at Contoso signs the guest in; its refresh token at organizations yields the HOME tenant's token", async () => {
    const anne = user(ANNE);
    const spa = emu.tenant.apps.spa;
    const { verifier, challenge } = pkcePair();
    const b = new Browser(emu);
    const u = new URL(`${emu.tenant.authority}/oauth2/v2.0/authorize`);
    u.search = new URLSearchParams({ client_id: spa.clientId, response_type: "code", redirect_uri: spa.redirectUris[0]!, scope: `${emu.tenant.apps.api.scope} openid profile offline_access`, code_challenge: challenge, code_challenge_method: "S256" }).toString();
    const page = await b.submit(await b.go(u.toString()), { username: ANNE, password: anne.password });
    const origin = { origin: new URL(spa.redirectUris[0]!).origin };
    const r = await tokenRequest(emu, { grant_type: "authorization_code", client_id: spa.clientId, code: redirectParams(page.leftTo).get("code")!, code_verifier: verifier, redirect_uri: spa.redirectUris[0]!, scope: emu.tenant.apps.api.scope }, origin);
    expect(decodePayload(String(r.body.id_token))).toMatchObject({ tid: emu.tenant.tenantId, oid: anne.guestIn![0]!.oid, email: ANNE });
    const atTenant = await tokenRequest(emu, { grant_type: "refresh_token", client_id: spa.clientId, refresh_token: String(r.body.refresh_token), scope: emu.tenant.apps.api.scope }, origin, emu.tenant.tenantId);
    expect(decodePayload(String(atTenant.body.access_token)).tid).toBe(emu.tenant.tenantId);
    const atOrganizations = await tokenRequest(emu, { grant_type: "refresh_token", client_id: spa.clientId, refresh_token: String(r.body.refresh_token), scope: emu.tenant.apps.api.scope }, origin, "organizations");
    expect(decodePayload(String(atOrganizations.body.access_token)).tid).toBe(anne.tenantId);
  });

  test("a member of another tenant who is nobody's guest still gets AADSTS50020 at Contoso", async () => {
    const b = new Browser(emu);
    const spa = emu.tenant.apps.spa;
    const { challenge } = pkcePair();
    const u = new URL(`${emu.tenant.authority}/oauth2/v2.0/authorize`);
    u.search = new URLSearchParams({ client_id: spa.clientId, response_type: "code", redirect_uri: spa.redirectUris[0]!, scope: "openid", code_challenge: challenge, code_challenge_method: "S256" }).toString();
    const page = await b.submit(await b.go(u.toString()), { username: CHRISTIE, password: user(CHRISTIE).password });
    expect(has(page, "AADSTS50020")).toBe(true);
  });
});

describe("tenant.json authorization", () => {
  test("names the API's user roles, the directory group and the home tenant's authentication contexts", () => {
    expect(emu.tenant.authorization.appRoles.map((r) => r.value)).toEqual(ROLES);
    expect(emu.tenant.authorization.authenticationContexts).toEqual([{ id: "c1", displayName: expect.any(String) }]);
    expect(emu.tenant.authorization.directoryGroupId).toMatch(/^[0-9a-f-]{36}$/);
    expect(user(MEGAN).appRoles?.sort()).toEqual([...ROLES].sort());
    expect(user(MEGAN).mfaCode).toBe("123456");
  });
});
