// The Microsoft Graph and Azure Resource Manager slices: data, paging, auth
// errors in each service's own shape, and injected faults.
import type { RunningEmulator } from "./index";
import { control, decodePayload, setupTestEmulator, tokenRequest } from "./test-support/harness";

let emu: RunningEmulator;
setupTestEmulator((e) => (emu = e));

const user = (prefix: string) => emu.tenant.users.find((u) => u.username.startsWith(prefix))!;
const mint = async (body: Record<string, unknown>) => (await control<{ access_token: string }>(emu, "POST", "/tokens", body)).access_token;

async function graphToken(prefix = "megan.", scope = "User.Read User.ReadBasic.All"): Promise<string> {
  const u = user(prefix);
  const r = await tokenRequest(emu, { grant_type: "password", client_id: emu.tenant.apps.cli.clientId, username: u.username, password: u.password, scope });
  return String(r.body.access_token);
}

async function get(url: string, token?: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
  const type = res.headers.get("content-type") ?? "";
  const body = type.includes("json") ? ((await res.json()) as Record<string, unknown>) : undefined;
  return { res, body };
}

describe("Graph and ARM tokens are v1.0 tokens, as Microsoft's APIs get them (issue #20 item 12)", () => {
  // Microsoft Learn, "Access tokens": v1.0 is the format of apps with accessTokenAcceptedVersion
  // null/1, which Graph and ARM are; "Access token claims reference": v1.0 tokens carry appid,
  // appidacr, acr, amr, unique_name, upn (not azp, azpacr, preferred_username) and an issuer without /v2.0.
  const v1Issuer = () => `https://sts.windows.net/${emu.tenant.tenantId}/`;

  test("delegated: OBO, ROPC and the control API's tokens for Graph and ARM", async () => {
    const api = emu.tenant.apps.api;
    const cli = emu.tenant.apps.cli;
    const megan = user("megan.");
    const assertion = await mint({ username: megan.username, clientId: emu.tenant.apps.spa.clientId, scopes: [api.scope] });
    const obo = await tokenRequest(emu, {
      grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
      client_id: api.clientId,
      client_secret: api.clientSecret,
      assertion,
      requested_token_use: "on_behalf_of",
      scope: "https://graph.microsoft.com/User.Read",
    });
    const tokens = [
      { what: "OBO Graph", token: String(obo.body.access_token), client: api.clientId, appidacr: "1" },
      { what: "ROPC Graph", token: await graphToken("megan."), client: cli.clientId, appidacr: "0" },
      { what: "control ARM", token: await mint({ username: megan.username, scopes: ["https://management.azure.com/user_impersonation"] }), client: api.clientId, appidacr: "1" },
    ];
    for (const { what, token, client, appidacr } of tokens) {
      const p = decodePayload(token);
      expect({ what, ver: p.ver, iss: p.iss, appid: p.appid, appidacr: p.appidacr, upn: p.upn, unique_name: p.unique_name, oid: p.oid, tid: p.tid }).toEqual({
        what,
        ver: "1.0",
        iss: v1Issuer(),
        appid: client,
        appidacr,
        upn: megan.username,
        unique_name: megan.username,
        oid: megan.oid,
        tid: emu.tenant.tenantId,
      });
      for (const v2Only of ["azp", "azpacr", "preferred_username"]) expect({ what, [v2Only]: p[v2Only] }).toEqual({ what, [v2Only]: undefined });
      expect(p.amr).toEqual(expect.any(Array));
      expect(p.given_name).toBe("Megan");
    }
    expect((await get(`${emu.tenant.graphBaseUrl}/me`, tokens[0]!.token)).res.status).toBe(200);
    expect((await get(`${emu.tenant.armBaseUrl}/subscriptions?api-version=2022-12-01`, tokens[2]!.token)).res.status).toBe(200);
  });

  test("app-only (client credentials) too; our own API keeps v2.0 tokens", async () => {
    const api = emu.tenant.apps.api;
    const r = await tokenRequest(emu, { grant_type: "client_credentials", client_id: api.clientId, client_secret: api.clientSecret, scope: "https://graph.microsoft.com/.default" });
    expect(decodePayload(String(r.body.access_token))).toMatchObject({ ver: "1.0", iss: v1Issuer(), appid: api.clientId, appidacr: "1", idtyp: "app", roles: ["User.Read.All"] });
    const ours = decodePayload(await mint({ scopes: [api.scope] }));
    expect(ours).toMatchObject({ ver: "2.0", iss: `${emu.url}/${emu.tenant.tenantId}/v2.0`, azp: emu.tenant.apps.spa.clientId });
  });

  test("Graph and ARM refuse a v2.0-shaped token (an issuer they do not trust)", async () => {
    const v2 = await mint({ username: user("megan.").username, scopes: ["https://graph.microsoft.com/User.Read"], claims: { ver: "2.0", iss: `${emu.url}/${emu.tenant.tenantId}/v2.0` } });
    const graph = await get(`${emu.tenant.graphBaseUrl}/me`, v2);
    expect(graph.res.status).toBe(401);
    expect(graph.body).toMatchObject({ error: { code: "InvalidAuthenticationToken", message: "Access token validation failure. Invalid issuer." } });
  });
});

describe("Graph", () => {
  test("/me returns the signed-in user's default properties", async () => {
    const { res, body } = await get(`${emu.tenant.graphBaseUrl}/me`, await graphToken(), { "client-request-id": "abc-123" });
    expect(res.status).toBe(200);
    expect(res.headers.get("request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get("client-request-id")).toBe("abc-123");
    expect(body).toMatchObject({
      "@odata.context": `${emu.tenant.graphBaseUrl}/$metadata#users/$entity`,
      displayName: "Megan Bowen",
      userPrincipalName: "megan.bowen@contoso.test",
      mail: "megan.bowen@contoso.test",
      jobTitle: expect.any(String),
      officeLocation: expect.any(String),
      businessPhones: expect.any(Array),
      id: user("megan.").oid,
    });
  });

  test("/me/manager: a manager for Adele, 404 Request_ResourceNotFound for the top of the chain", async () => {
    const adele = await get(`${emu.tenant.graphBaseUrl}/me/manager`, await graphToken("adele."));
    expect(adele.res.status).toBe(200);
    expect(adele.body).toMatchObject({ "@odata.type": "#microsoft.graph.user", displayName: "Miriam Graham" });
    const patti = await get(`${emu.tenant.graphBaseUrl}/me/manager`, await graphToken("patti."));
    expect(patti.res.status).toBe(404);
    expect(patti.body).toMatchObject({ error: { code: "Request_ResourceNotFound", innerError: { "request-id": expect.any(String), date: expect.any(String) } } });
  });

  test("/me/manager as Graph documents it: User.Read alone gets limited information (id and type, every other property null), User.ReadBasic.All the basic profile, User.Read.All the full one", async () => {
    // List manager: least privileged User.Read.All; a directoryObject relationship the app may not
    // read comes back with "only the @odata.type property for the object type and the id", other
    // properties null ("Limited information returned for inaccessible member objects").
    const url = `${emu.tenant.graphBaseUrl}/me/manager`;
    const adele = user("adele.").username;
    const readOnly = await mint({ username: adele, scopes: ["https://graph.microsoft.com/User.Read"] });
    const limited = await get(url, readOnly);
    expect(limited.res.status).toBe(200);
    expect(limited.body).toMatchObject({ "@odata.type": "#microsoft.graph.user", id: user("miriam.").oid, displayName: null, userPrincipalName: null, mail: null, jobTitle: null });
    // /me itself still works with User.Read
    expect((await get(`${emu.tenant.graphBaseUrl}/me`, readOnly)).res.status).toBe(200);

    const basic = await get(url, await mint({ username: adele, scopes: ["https://graph.microsoft.com/User.Read", "https://graph.microsoft.com/User.ReadBasic.All"] }));
    expect(basic.res.status).toBe(200);
    expect(basic.body).toMatchObject({ displayName: "Miriam Graham", userPrincipalName: "miriam.graham@contoso.test", mail: "miriam.graham@contoso.test" });
    expect(basic.body?.jobTitle).toBeNull(); // not part of the basic profile

    const full = await get(url, await mint({ username: adele, scopes: ["https://graph.microsoft.com/User.Read.All"] }));
    expect(full.res.status).toBe(200);
    expect(full.body).toMatchObject({ displayName: "Miriam Graham", jobTitle: "Director" });
  });

  test("/users pages with $top and absolute @odata.nextLink; $select trims properties", async () => {
    const token = await graphToken();
    let next: string | undefined = `${emu.tenant.graphBaseUrl}/users?$top=5&$select=displayName,mail`;
    const seen: Record<string, unknown>[] = [];
    let pages = 0;
    while (next) {
      const { res, body } = await get(next, token);
      expect(res.status).toBe(200);
      const value = body!.value as Record<string, unknown>[];
      expect(value.length).toBeLessThanOrEqual(5);
      seen.push(...value);
      next = body!["@odata.nextLink"] as string | undefined;
      if (next) {
        expect(next.startsWith(`${emu.tenant.graphBaseUrl}/users?`)).toBe(true);
        expect(new URL(next).searchParams.get("$skiptoken")).toBeTruthy();
      }
      pages++;
    }
    // Contoso's members, and its B2B guests (objects in Contoso for accounts homed elsewhere)
    const contoso = [
      ...emu.tenant.users.filter((u) => u.tenantId === emu.tenant.tenantId),
      ...emu.tenant.users.flatMap((u) => u.guestIn ?? []).filter((g) => g.tenantId === emu.tenant.tenantId),
    ];
    expect(contoso.length).toBeGreaterThanOrEqual(12);
    expect(seen).toHaveLength(contoso.length);
    expect(pages).toBe(Math.ceil(contoso.length / 5));
    expect(Object.keys(seen[0]!).sort()).toEqual(["displayName", "mail"]);
    expect(seen.some((u) => String(u.mail).endsWith("fabrikam.test"))).toBe(false);
  });

  test("/users query errors are Graph-shaped 400s", async () => {
    const token = await graphToken();
    const big = await get(`${emu.tenant.graphBaseUrl}/users?$top=1000`, token);
    expect(big.res.status).toBe(400);
    expect(big.body).toMatchObject({ error: { code: "Request_UnsupportedQuery" } });
    const bad = await get(`${emu.tenant.graphBaseUrl}/users?$select=shoeSize`, token);
    expect(bad.body).toMatchObject({ error: { code: "BadRequest" } });
  });

  test("/me/photo/$value: an image for some users, 404 for others", async () => {
    const photo = await fetch(`${emu.tenant.graphBaseUrl}/me/photo/$value`, { headers: { authorization: `Bearer ${await graphToken()}` } });
    expect(photo.status).toBe(200);
    expect(photo.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await photo.arrayBuffer()).subarray(1, 4).toString()).toBe("PNG");
    const none = await get(`${emu.tenant.graphBaseUrl}/me/photo/$value`, await graphToken("alex."));
    expect(none.res.status).toBe(404);
    expect(none.body).toMatchObject({ error: { code: "ImageNotFound" } });
  });

  test("401 InvalidAuthenticationToken for missing, expired, foreign-audience and forged tokens", async () => {
    const expired = await mint({ scopes: ["https://graph.microsoft.com/User.Read"], expiresIn: -5 });
    const apiToken = await mint({ scopes: [emu.tenant.apps.api.scope] });
    const good = await graphToken();
    const forged = `${good.split(".").slice(0, 2).join(".")}.${Buffer.from("x").toString("base64url")}`;
    for (const token of [undefined, expired, apiToken, forged, "not-a-jwt"]) {
      const { res, body } = await get(`${emu.tenant.graphBaseUrl}/me`, token);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
      expect(body).toMatchObject({ error: { code: "InvalidAuthenticationToken", message: expect.any(String), innerError: { "request-id": expect.any(String) } } });
    }
  });

  test("403 Authorization_RequestDenied without a suitable scope", async () => {
    const userReadOnly = await mint({ scopes: ["https://graph.microsoft.com/User.Read"] });
    const { res, body } = await get(`${emu.tenant.graphBaseUrl}/users`, userReadOnly);
    expect(res.status).toBe(403);
    expect(body).toMatchObject({ error: { code: "Authorization_RequestDenied" } });
    const mailOnly = await mint({ scopes: ["https://graph.microsoft.com/Mail.Read"] });
    expect((await get(`${emu.tenant.graphBaseUrl}/me`, mailOnly)).res.status).toBe(403);
  });

  test("app-only token with User.Read.All lists users; /me needs a delegated token", async () => {
    const cc = await tokenRequest(emu, {
      grant_type: "client_credentials",
      client_id: emu.tenant.apps.api.clientId,
      client_secret: emu.tenant.apps.api.clientSecret,
      scope: "https://graph.microsoft.com/.default",
    });
    const token = String(cc.body.access_token);
    expect((await get(`${emu.tenant.graphBaseUrl}/users?$top=2`, token)).res.status).toBe(200);
    expect((await get(`${emu.tenant.graphBaseUrl}/me`, token)).res.status).toBe(400);
  });

  test("faults: throttle with Retry-After for N requests, then normal; slow adds latency", async () => {
    const token = await graphToken();
    await control(emu, "POST", "/faults", { target: "graph", mode: "throttle", retryAfter: 3, count: 2 });
    for (let i = 0; i < 2; i++) {
      const { res, body } = await get(`${emu.tenant.graphBaseUrl}/me`, token);
      expect(res.status).toBe(429);
      expect(res.headers.get("retry-after")).toBe("3");
      expect(body).toMatchObject({ error: { code: "TooManyRequests" } });
    }
    expect((await get(`${emu.tenant.graphBaseUrl}/me`, token)).res.status).toBe(200);
    await control(emu, "POST", "/faults", { target: "graph", mode: "slow", delayMs: 300 });
    const start = Date.now();
    expect((await get(`${emu.tenant.graphBaseUrl}/me`, token)).res.status).toBe(200);
    expect(Date.now() - start).toBeGreaterThanOrEqual(290);
    await control(emu, "DELETE", "/faults");
    await control(emu, "POST", "/faults", { target: "graph", mode: "down" });
    expect((await get(`${emu.tenant.graphBaseUrl}/me`, token)).res.status).toBe(503);
    await control(emu, "DELETE", "/faults?target=graph");
    expect((await get(`${emu.tenant.graphBaseUrl}/me`, token)).res.status).toBe(200);
  });
});

describe("Azure Resource Manager", () => {
  const armToken = (username?: string) => mint({ scopes: ["https://management.azure.com/user_impersonation"], ...(username ? { username } : {}) });

  test("/subscriptions pages by 10 with nextLink and only the caller's tenant", async () => {
    const token = await armToken();
    let next: string | undefined = `${emu.tenant.armBaseUrl}/subscriptions?api-version=2022-12-01`;
    const sizes: number[] = [];
    const all: Record<string, unknown>[] = [];
    while (next) {
      const { res, body } = await get(next, token);
      expect(res.status).toBe(200);
      expect(res.headers.get("x-ms-request-id")).toBeTruthy();
      const value = body!.value as Record<string, unknown>[];
      sizes.push(value.length);
      all.push(...value);
      next = body!.nextLink as string | undefined;
      if (next) expect(next).toMatch(new RegExp(`^${emu.tenant.armBaseUrl}/subscriptions\\?api-version=2022-12-01&%24skiptoken=`));
    }
    expect(sizes).toEqual([10, 10, 3]);
    for (const s of all) {
      expect(s).toMatchObject({
        id: `/subscriptions/${String(s.subscriptionId)}`,
        tenantId: emu.tenant.tenantId,
        displayName: expect.any(String),
        state: expect.any(String),
        authorizationSource: "RoleBased",
        subscriptionPolicies: { quotaId: expect.any(String), spendingLimit: expect.any(String) },
      });
    }
    const ben = emu.tenant.users.find((u) => u.tenantId === emu.tenant.secondTenantId)!;
    const fabrikam = await get(`${emu.tenant.armBaseUrl}/subscriptions?api-version=2022-12-01`, await armToken(ben.username));
    const fv = fabrikam.body!.value as { tenantId: string }[];
    expect(fv.length).toBeGreaterThan(0);
    expect(fv.every((s) => s.tenantId === emu.tenant.secondTenantId)).toBe(true);
  });

  test("errors: MissingApiVersionParameter, 401 InvalidAuthenticationToken, 403 without user_impersonation", async () => {
    const token = await armToken();
    const noVersion = await get(`${emu.tenant.armBaseUrl}/subscriptions`, token);
    expect(noVersion.res.status).toBe(400);
    expect(noVersion.body).toEqual({ error: { code: "MissingApiVersionParameter", message: expect.any(String) } });
    const graph = await graphToken();
    const wrongAud = await get(`${emu.tenant.armBaseUrl}/subscriptions?api-version=2022-12-01`, graph);
    expect(wrongAud.res.status).toBe(401);
    expect(wrongAud.body).toMatchObject({ error: { code: "InvalidAuthenticationToken" } });
    const none = await get(`${emu.tenant.armBaseUrl}/subscriptions?api-version=2022-12-01`);
    expect(none.res.status).toBe(401);
    const noScope = await mint({ scopes: ["https://management.azure.com/user_impersonation"], claims: { scp: "something_else" } });
    const denied = await get(`${emu.tenant.armBaseUrl}/subscriptions?api-version=2022-12-01`, noScope);
    expect(denied.res.status).toBe(403);
    expect(denied.body).toMatchObject({ error: { code: "AuthorizationFailed" } });
  });

  test("api-version: only the versions ARM documents for these routes (Subscriptions - List/Get, Tenants - List); any other is InvalidApiVersionParameter", async () => {
    const token = await armToken();
    const subscription = ((await get(`${emu.tenant.armBaseUrl}/subscriptions?api-version=2022-12-01`, token)).body!.value as { subscriptionId: string }[])[0]!.subscriptionId;
    for (const route of ["/subscriptions", `/subscriptions/${subscription}`, "/tenants"]) {
      for (const version of ["2016-06-01", "2020-01-01", "2022-12-01"]) {
        expect({ route, version, status: (await get(`${emu.tenant.armBaseUrl}${route}?api-version=${version}`, token)).res.status }).toEqual({ route, version, status: 200 });
      }
      for (const version of ["2023-07-01", "2022-12-01-preview", "2099-01-01"]) {
        const bad = await get(`${emu.tenant.armBaseUrl}${route}?api-version=${version}`, token);
        expect({ route, version, status: bad.res.status }).toEqual({ route, version, status: 400 });
        expect(bad.body).toEqual({ error: { code: "InvalidApiVersionParameter", message: expect.stringContaining(`The api-version '${version}' is invalid. The supported versions are '2022-12-01,`) } });
      }
    }
  });

  test("faults: throttled ARM answers 429 with Retry-After in ARM's shape", async () => {
    const token = await armToken();
    await control(emu, "POST", "/faults", { target: "arm", mode: "throttle", retryAfter: 1, count: 1 });
    const t = await get(`${emu.tenant.armBaseUrl}/subscriptions?api-version=2022-12-01`, token);
    expect(t.res.status).toBe(429);
    expect(t.res.headers.get("retry-after")).toBe("1");
    expect(t.body).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
    expect((await get(`${emu.tenant.armBaseUrl}/subscriptions?api-version=2022-12-01`, token)).res.status).toBe(200);
  });
});
