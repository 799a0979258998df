// The Microsoft Graph and Azure Resource Manager slices: data, paging, auth
// errors in each service's own shape, and injected faults.
import type { RunningEmulator } from "./index";
import { control, setupTestEmulator, tokenRequest } from "./test-support/harness";

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

  test("/me/manager needs what Graph documents: User.Read alone is 403, User.ReadBasic.All gives the basic profile, User.Read.All the full one", async () => {
    const url = `${emu.tenant.graphBaseUrl}/me/manager`;
    const adele = user("adele.").username;
    const readOnly = await mint({ username: adele, scopes: ["https://graph.microsoft.com/User.Read"] });
    const denied = await get(url, readOnly);
    expect(denied.res.status).toBe(403);
    expect(denied.body).toMatchObject({ error: { code: "Authorization_RequestDenied", message: "Insufficient privileges to complete the operation." } });
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
