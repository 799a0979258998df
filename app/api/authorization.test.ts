/**
 * Authorization of the API (issue #21), end to end: the real proxy.ts and route handlers, real
 * msal-node On-Behalf-Of and Microsoft Graph calls against a private emulator whose tokens carry
 * roles, groups (or the overage claim) and acrs as Entra issues them. No mocks.
 */
import { NextRequest } from "next/server";
import { decodeBase64Text, parseWwwAuthenticate, type ProblemDetails } from "@/lib/errors";
import { setLogSink, type LogRecord } from "@/lib/http/log";
import { startApiHarness, type ApiHarness } from "@/test-support/api-harness";
import { proxy, config as proxyConfig } from "@/proxy";
import { GET as access } from "./access/route";
import { GET as directory } from "./directory/route";
import { GET as subscriptions } from "./subscriptions/route";
import { GET as whoami } from "./whoami/route";

const HANDLERS: Record<string, (r: Request) => Promise<Response>> = {
  "/api/subscriptions": subscriptions,
  "/api/directory": directory,
  "/api/access": access,
  "/api/whoami": whoami,
};

const MEGAN = "megan.bowen@contoso.test";
const DEBRA = "debra.berger@contoso.test";
const IRVIN = "irvin.sayers@contoso.test";

let h: ApiHarness;
let restoreLogs: () => void;
const logs: LogRecord[] = [];

beforeAll(async () => {
  restoreLogs = setLogSink((r) => logs.push(r));
  h = await startApiHarness();
});
afterAll(async () => {
  await h?.close();
  restoreLogs?.();
});
afterEach(async () => {
  await h.control.clearFaults();
  h.configure();
});

const directoryGroup = () => h.emulator.tenant.authorization.directoryGroupId;
/** The app with the directory view open to the seeded "Directory viewers" group, as `npm run dev` configures it. */
const withDirectoryGroup = (extra: Record<string, string> = {}) => h.configure({ overrides: { AZURE_DIRECTORY_GROUP_IDS: directoryGroup(), DOWNSTREAM_MAX_RETRIES: "0", ...extra } });

/** A request the way Next.js serves it: proxy.ts first, then the route handler if it lets it pass. */
async function call(path: string, token: string): Promise<Response> {
  const url = `http://localhost${path}`;
  const headers = { authorization: `Bearer ${token}` };
  const matcher = new RegExp(`^${proxyConfig.matcher[0] ?? ""}$`);
  expect(matcher.test(path)).toBe(true);
  const verdict = await proxy(new NextRequest(url, { headers }));
  if (verdict.headers.get("x-middleware-next") !== "1") return verdict;
  return HANDLERS[path]!(new Request(url, { headers }));
}

async function problem(res: Response): Promise<ProblemDetails> {
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  return (await res.json()) as ProblemDetails;
}

const serverTiming = (res: Response) => res.headers.get("server-timing") ?? "";

describe("app roles", () => {
  it("/api/subscriptions: a user with Subscriptions.Read gets the list; one without gets 403 role_required saying which role to ask an admin for", async () => {
    const ok = await call("/api/subscriptions", await h.userToken(MEGAN));
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { value: unknown[] }).value.length).toBeGreaterThan(0);

    const refused = await call("/api/subscriptions", await h.userToken(DEBRA));
    expect(refused.status).toBe(403);
    expect(refused.headers.get("www-authenticate")).toBeNull(); // a new token changes nothing: no challenge
    const body = await problem(refused);
    expect(body).toMatchObject({ code: "role_required", requiredRole: "Subscriptions.Read", view: "subscriptions", title: "Ask your admin for access" });
    expect(body.detail).toMatch(/Ask an administrator of your organization to assign you Subscriptions\.Read/);
    // the profile needs no role: a user without roles still uses the app
    expect((await call("/api/whoami", await h.userToken(DEBRA))).status).toBe(200);
  });

  it("load users created by the control API use every view (the benchmarks' users)", async () => {
    const { users } = await h.control.createUsers(9001, 1);
    const token = await h.userToken(users[0]!.username);
    expect((await call("/api/subscriptions", token)).status).toBe(200);
    expect((await call("/api/directory", token)).status).toBe(200);
  });

  it("AZURE_APP_ROLES_ENFORCED=false opens every view to every signed-in user of an allowed tenant", async () => {
    h.configure({ overrides: { AZURE_APP_ROLES_ENFORCED: "false" } });
    expect((await call("/api/subscriptions", await h.userToken(DEBRA))).status).toBe(200);
  });
});

describe("/api/directory: the users of the caller's tenant, every page", () => {
  it("follows every @odata.nextLink page and returns only the caller's tenant", async () => {
    await h.control.createUsers(9101, 150); // Contoso now has more users than one page of 100
    const res = await call("/api/directory", await h.userToken(MEGAN));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { value: { userPrincipalName: string; userType: string }[]; pages: number; truncated: boolean };
    expect(body.pages).toBeGreaterThanOrEqual(2);
    expect(body.truncated).toBe(false);
    const names = body.value.map((u) => u.userPrincipalName);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining([MEGAN, DEBRA, IRVIN, "loaduser9250@contoso.test"]));
    expect(names.some((n) => n.endsWith("@fabrikam.test"))).toBe(false);
    // the B2B guest is one of Contoso's users, marked as such
    expect(body.value.find((u) => u.userPrincipalName.includes("#EXT#"))?.userType).toBe("Guest");
  });

  it("the 250-group user (overage: no groups in the token) is let in through the configured group, asked of Graph once and then cached", async () => {
    withDirectoryGroup();
    const token = await h.userToken(IRVIN);
    const first = await call("/api/directory", token);
    expect(first.status).toBe(200);
    expect(serverTiming(first)).toMatch(/groups;desc="graph"/);
    expect(serverTiming(first)).toMatch(/graph;desc="checkMemberGroups"/);
    const second = await call("/api/directory", token);
    expect(second.status).toBe(200);
    expect(serverTiming(second)).toMatch(/groups;desc="cache"/);
    expect(serverTiming(second)).not.toMatch(/checkMemberGroups/);
    // the same user is refused without the group setting: the group, not the overage, let them in
    h.configure();
    expect((await problem(await call("/api/directory", token))).code).toBe("role_required");
  });

  it("a user in no group is refused after Graph says so; a token that lists groups is answered without Graph", async () => {
    withDirectoryGroup();
    const debra = await call("/api/directory", await h.userToken(DEBRA));
    expect(debra.status).toBe(403);
    expect(serverTiming(debra)).toMatch(/checkMemberGroups/);
    const listed = await call("/api/directory", await h.userToken(DEBRA, { groups: [directoryGroup()] }));
    expect(listed.status).toBe(200);
    expect(serverTiming(listed)).not.toMatch(/checkMemberGroups|groups;/);
  });

  it("Graph down while resolving the overage: 503 with Retry-After, no access, and nothing cached", async () => {
    withDirectoryGroup();
    const token = await h.userToken(IRVIN, { expiresIn: 3000 });
    await h.control.fault({ target: "graph", mode: "down", status: 503, retryAfter: 7 });
    const down = await call("/api/directory", token);
    expect(down.status).toBe(503);
    expect(down.headers.get("retry-after")).toBe("7");
    expect((await problem(down)).code).toBe("downstream_unavailable");
    expect(serverTiming(down)).toMatch(/checkMemberGroups 503/);
    await h.control.clearFaults();
    const back = await call("/api/directory", token);
    expect(back.status).toBe(200);
    expect(serverTiming(back)).toMatch(/groups;desc="graph"/); // asked again: the failure was not remembered
  });
});

describe("Conditional Access authentication context (step-up)", () => {
  it("AZURE_SUBSCRIPTIONS_AUTH_CONTEXT=c1: a token without acrs c1 gets 401 insufficient_claims with the acrs claims request; one with it gets the list", async () => {
    h.configure({ overrides: { AZURE_SUBSCRIPTIONS_AUTH_CONTEXT: "c1" } });
    const challenged = await call("/api/subscriptions", await h.userToken(MEGAN));
    expect(challenged.status).toBe(401);
    const header = challenged.headers.get("www-authenticate") ?? "";
    expect(header).toMatch(/^Bearer realm="", authorization_uri="[^"]+\/oauth2\/v2\.0\/authorize", error="insufficient_claims", error_description="[^"]*", claims="[A-Za-z0-9+/=]+"$/);
    const params = parseWwwAuthenticate(header)[0]!.params;
    expect(decodeBase64Text(params.claims!)).toBe('{"access_token":{"acrs":{"essential":true,"value":"c1"}}}');
    expect(params.authorization_uri).toBe(`${h.emulator.tenant.authorityHost}/${h.emulator.tenant.tenantId}/oauth2/v2.0/authorize`);
    expect((await problem(challenged)).code).toBe("insufficient_claims");
    // after the step-up (an MFA sign-in: the API's tokens then carry c1)
    const stepped = await call("/api/subscriptions", await h.userToken(MEGAN, { amr: ["pwd", "mfa"] }));
    expect(stepped.status).toBe(200);
    // the directory view asks for no context
    expect((await call("/api/directory", await h.userToken(MEGAN))).status).toBe(200);
    // a user without the role is told about the role, not sent to step up for nothing
    expect((await problem(await call("/api/subscriptions", await h.userToken(DEBRA)))).code).toBe("role_required");
  });
});

describe("/api/access: what the navigation may show", () => {
  it("answers per view from the same rules the views enforce", async () => {
    withDirectoryGroup({ AZURE_SUBSCRIPTIONS_AUTH_CONTEXT: "c1" });
    const views = async (username: string) => ((await (await call("/api/access", await h.userToken(username))).json()) as { views: Record<string, { access: string; role?: string; authContext?: string }> }).views;
    expect(await views(MEGAN)).toEqual({
      profile: { access: "allowed" },
      subscriptions: { access: "allowed", role: "Subscriptions.Read", authContext: "c1" },
      directory: { access: "allowed", role: "Directory.Read" },
    });
    expect(await views(DEBRA)).toMatchObject({ subscriptions: { access: "role_required" }, directory: { access: "role_required" } });
    expect(await views(IRVIN)).toMatchObject({ subscriptions: { access: "role_required" }, directory: { access: "allowed" } });
    // Graph down and nothing cached (a fresh configuration): irvin's directory access is unknown, never "allowed"
    withDirectoryGroup({ AZURE_SUBSCRIPTIONS_AUTH_CONTEXT: "c1" });
    await h.control.fault({ target: "graph", mode: "down", status: 503 });
    expect((await views(IRVIN)).directory!.access).toBe("unknown");
    expect((await views(MEGAN)).directory!.access).toBe("allowed"); // the role needs no Graph
  });
});

describe("malformed authorization claims are refused before any handler runs", () => {
  it.each([
    ["roles not an array", { roles: "Subscriptions.Read" }],
    ["groups and hasgroups together", { groups: ["7aecbc7b-1023-441d-9a1a-3b12f43441ea"], hasgroups: true }],
    ["malformed acrs", { acrs: "c1" }],
  ])("%s: 401 invalid_token with WWW-Authenticate", async (_, claims) => {
    const res = await call("/api/subscriptions", await h.userToken(MEGAN, { claims }));
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm="", error="invalid_token", error_description="The token's (roles|acrs) claim is malformed|^Bearer realm="", error="invalid_token", error_description="The token both lists groups/);
    expect((await problem(res)).code).toBe("invalid_token");
  });
});
