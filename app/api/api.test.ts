/**
 * Integration tests of the middle-tier API: the real proxy.ts and route handlers, real msal-node
 * and jose, against a private identity emulator with real signed tokens. No mocks.
 */
import { createHmac } from "node:crypto";
import { decodeJwt, generateKeyPair, SignJWT } from "jose";
import { NextRequest } from "next/server";
import { decodeBase64Text, parseWwwAuthenticate, type ProblemDetails } from "@/lib/errors";
import { setLogSink, type LogRecord } from "@/lib/http/log";
import { startApiHarness, type ApiHarness } from "@/test-support/api-harness";
import { proxy, config as proxyConfig } from "@/proxy";
import { GET as health } from "./health/route";
import { GET as photo } from "./me/photo/route";
import { GET as me } from "./me/route";
import { GET as subscriptions } from "./subscriptions/route";
import { GET as whoami } from "./whoami/route";

const HANDLERS: Record<string, (r: Request) => Promise<Response>> = {
  "/api/me": me,
  "/api/me/photo": photo,
  "/api/subscriptions": subscriptions,
  "/api/health": health,
  "/api/whoami": whoami,
};

let h: ApiHarness;
const logs: LogRecord[] = [];
let restoreLogs: () => void;
const issuedTokens: string[] = [];

beforeAll(async () => {
  restoreLogs = setLogSink((r) => logs.push(r));
  h = await startApiHarness();
  await h.control.createUsers(1001, 200); // freshUser()'s load users
  // fast retries for the fault tests
  h.configure({ overrides: { DOWNSTREAM_MAX_RETRIES: "2", DOWNSTREAM_MAX_RETRY_AFTER_SECONDS: "2" } });
});
afterAll(async () => {
  await h?.close();
  restoreLogs?.();
});
afterEach(async () => {
  await h.control.clearFaults();
});

/** Load users (created in beforeAll through the control API): fresh token caches per test. */
let userSeq = 0;
async function freshUser(): Promise<string> {
  return `loaduser${1000 + ++userSeq}@contoso.test`;
}

async function tokenFor(username: string, extra?: Parameters<ApiHarness["userToken"]>[1]): Promise<string> {
  const t = await h.userToken(username, extra);
  issuedTokens.push(t);
  return t;
}

/** A request the way Next.js serves it: proxy.ts first, then the route handler if it lets it pass. */
async function call(path: string, headers: Record<string, string> = {}): Promise<Response> {
  const url = `http://localhost${path}`;
  const matcher = new RegExp(`^${(proxyConfig.matcher[0] ?? "").replace("/api/(", "/api/(")}$`);
  if (matcher.test(path)) {
    const verdict = await proxy(new NextRequest(url, { headers }));
    if (verdict.headers.get("x-middleware-next") !== "1") return verdict;
    // apply the request headers proxy.ts overrode (only x-correlation-id)
    const forwarded = new Headers(headers);
    for (const name of (verdict.headers.get("x-middleware-override-headers") ?? "").split(",").filter(Boolean)) {
      const value = verdict.headers.get(`x-middleware-request-${name}`);
      if (value !== null) forwarded.set(name, value);
    }
    headers = Object.fromEntries(forwarded);
  }
  const handler = HANDLERS[path.split("?")[0] ?? ""];
  if (!handler) throw new Error(`no handler for ${path}`);
  return handler(new Request(url, { headers }));
}

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

async function problem(res: Response): Promise<ProblemDetails> {
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  return (await res.json()) as ProblemDetails;
}

function challenge(res: Response): Record<string, string> {
  const header = res.headers.get("www-authenticate");
  expect(header).toBeTruthy();
  const [c] = parseWwwAuthenticate(header ?? "");
  expect(c?.scheme).toBe("Bearer");
  return c?.params ?? {};
}

function timing(res: Response): string {
  return res.headers.get("server-timing") ?? "";
}

/** total and self, and the Graph calls by description, from Server-Timing (ms). */
function serverTimes(res: Response): { total: number; self: number; graph: { me: number; manager: number } } {
  const dur = (name: string, desc?: string) => Number(new RegExp(`${name}${desc ? `;desc="${desc}"` : ""};dur=([\\d.]+)`).exec(timing(res))?.[1] ?? NaN);
  return { total: dur("total"), self: dur("self"), graph: { me: dur("graph", "me"), manager: dur("graph", "manager") } };
}

describe("happy paths", () => {
  it("Server-Timing's proxy-verify comes from proxy.ts only: a client's x-proxy-timing header is overwritten", async () => {
    const t = await tokenFor("adele.vance@contoso.test");
    const res = await call("/api/whoami", { ...bearer(t), "x-proxy-timing": `${performance.now().toFixed(3)};0.001;memo` });
    expect(res.status).toBe(200);
    expect(timing(res)).toMatch(/^proxy-verify;desc="full";/);
  });

  it("GET /api/me returns the Graph profile and manager, with Server-Timing and the caller's correlation id", async () => {
    const t = await tokenFor("adele.vance@contoso.test");
    const correlationId = "0f8fad5b-d9cb-469f-a165-70867728950e";
    const res = await call("/api/me", { ...bearer(t), "client-request-id": correlationId });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-correlation-id")).toBe(correlationId);
    const body = (await res.json()) as { profile: Record<string, unknown>; manager: Record<string, unknown> | null };
    expect(body.profile).toMatchObject({ displayName: "Adele Vance", userPrincipalName: "adele.vance@contoso.test" });
    expect(body.manager).toMatchObject({ displayName: "Miriam Graham" });
    expect(timing(res)).toMatch(/verify;desc="(full|memo)";dur=[\d.]+/);
    expect(timing(res)).toMatch(/obo;desc="miss";dur=[\d.]+/);
    expect(timing(res)).toMatch(/graph;desc="me";dur=[\d.]+/);
    expect(timing(res)).toMatch(/graph;desc="manager";dur=[\d.]+/);
    // proxy.ts verified this token the first time it was seen; the handler's check was a memo hit
    expect(timing(res)).toMatch(/^proxy-verify;desc="full";dur=[\d.]+, verify;desc="memo";dur=[\d.]+, /);
    // the server's time since the proxy started, and the part that was not spent waiting on Graph
    const first = serverTimes(res);
    expect(first.self).toBeLessThan(first.total);
    expect(first.total).toBeGreaterThanOrEqual(first.self + Math.max(first.graph.me, first.graph.manager) - 0.02);

    const again = await call("/api/me", bearer(t));
    expect(again.status).toBe(200);
    expect(timing(again)).toMatch(/^proxy-verify;desc="memo";dur=[\d.]+, verify;desc="memo"/);
    expect(timing(again)).toMatch(/obo;desc="hit"/);
    expect(again.headers.get("x-correlation-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(again.headers.get("x-correlation-id")).not.toBe(correlationId);
  });

  it("GET /api/whoami says who the API sees (from the verified token alone: no token request, no downstream call, never the token)", async () => {
    const t = await tokenFor("adele.vance@contoso.test");
    const before = await h.control.counters();
    const res = await call("/api/whoami", bearer(t));
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    const claims = decodeJwt(t);
    expect(body).toEqual({
      name: "Adele Vance",
      username: "adele.vance@contoso.test",
      oid: claims.oid,
      tid: claims.tid,
      clientId: claims.azp,
      scopes: String(claims.scp).split(" "),
      clientCapabilities: [],
      // what authorization reads (issue #21): Adele holds both roles through her group
      roles: claims.roles,
      groupClaims: "listed",
      groupCount: (claims.groups as string[]).length,
      authContexts: [],
      expiresAt: claims.exp,
    });
    expect([...(body.roles as string[])].sort()).toEqual(["Directory.Read", "Subscriptions.Read"]);
    expect(JSON.stringify(body)).not.toContain(t.split(".")[2]);
    expect(timing(res)).toMatch(/^proxy-verify;desc="full";dur=[\d.]+, verify;desc="memo";dur=[\d.]+, total;dur=[\d.]+, self;dur=[\d.]+$/);
    // nothing downstream: the app's own time is the whole time
    expect(serverTimes(res).self).toBe(serverTimes(res).total);
    const after = await h.control.counters();
    expect(after.total).toBe(before.total);
    expect(after.graph + after.arm).toBe(before.graph + before.arm);
    // no token, no answer (proxy.ts)
    expect((await call("/api/whoami")).status).toBe(401);
  });

  it("GET /api/me answers manager: null for a user without one", async () => {
    const res = await call("/api/me", bearer(await tokenFor("patti.fernandez@contoso.test")));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { manager: unknown }).manager).toBeNull();
  });

  it("GET /api/me with only User.Read: Graph names the manager by id only (limited information); the profile comes with the manager marked unavailable and why, never a nameless manager (issue #20 item 10)", async () => {
    // A user with a manager, whose tokens no earlier test cached.
    const user = "grady.archie@contoso.test";
    // The API keeps User.Read but loses User.ReadBasic.All for this user: Graph answers /me/manager
    // with only @odata.type and id, every other property null.
    await h.control.revokeConsent({ clientId: h.emulator.tenant.apps.api.clientId, username: user, scopes: ["https://graph.microsoft.com/User.ReadBasic.All"] });
    const res = await call("/api/me", bearer(await tokenFor(user)));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { profile: Record<string, unknown>; manager: unknown; managerUnavailable?: { status: number; reason: string } };
    expect(body.profile).toMatchObject({ userPrincipalName: user });
    expect(body.manager).toBeNull();
    expect(body.managerUnavailable).toMatchObject({ status: 200, reason: expect.stringContaining("User.ReadBasic.All") });
    expect(timing(res)).toMatch(/graph;desc="manager";dur=/);
  });

  it("GET /api/me/photo returns the Graph photo bytes, or 404 problem+json for a user without one", async () => {
    const res = await call("/api/me/photo", bearer(await tokenFor("megan.bowen@contoso.test")));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(res.headers.get("cache-control")).toBe("private, max-age=300");
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]); // PNG signature
    expect(timing(res)).toMatch(/graph;desc="photo"/);

    const none = await call("/api/me/photo", bearer(await tokenFor("alex.wilber@contoso.test")));
    expect(none.status).toBe(404);
    expect(none.headers.get("content-type")).toContain("application/problem+json");
    expect(((await none.json()) as ProblemDetails).code).toBe("not_found");
  });

  it("GET /api/subscriptions follows every ARM page", async () => {
    // what ARM holds for this user, paged by hand with an ARM token
    const armToken = (await h.control.mint({ username: "megan.bowen@contoso.test", scopes: ["https://management.azure.com/user_impersonation"] })).access_token;
    let next: string | undefined = `${h.emulator.tenant.armBaseUrl}/subscriptions?api-version=2022-12-01`;
    const expected: string[] = [];
    let pages = 0;
    while (next) {
      const page = (await (await fetch(next, { headers: bearer(armToken) })).json()) as { value: { subscriptionId: string }[]; nextLink?: string };
      expected.push(...page.value.map((s) => s.subscriptionId));
      next = page.nextLink;
      pages++;
    }
    expect(pages).toBeGreaterThan(1);

    const res = await call("/api/subscriptions", bearer(await tokenFor("megan.bowen@contoso.test")));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { value: { subscriptionId: string; displayName: string; state: string }[]; pages: number; truncated: boolean };
    expect(body.value.map((s) => s.subscriptionId)).toEqual(expected);
    expect(body.pages).toBe(pages);
    expect(body.truncated).toBe(false);
    expect(body.value[0]).toEqual(expect.objectContaining({ displayName: expect.any(String), state: expect.any(String) }));
    // one OBO for all pages of the request
    expect(timing(res).match(/obo;/g)).toHaveLength(1);
    expect(timing(res).match(/arm;desc="page \d+"/g)).toHaveLength(pages);
  });

  it("GET /api/health needs no token and says only the status (details: hardening.test.ts)", async () => {
    const res = await call("/api/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });
});

describe("the 401/403 matrix (through proxy.ts)", () => {
  const now = () => Math.floor(Date.now() / 1000);
  const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");

  async function valid(): Promise<string> {
    return tokenFor("alex.wilber@contoso.test");
  }

  type Case = [name: string, status: number, code: string, build: () => Promise<Record<string, string>>, error: string | undefined];
  const cases: Case[] = [
    ["missing header", 401, "missing_token", async () => ({}), undefined],
    ["another scheme", 401, "missing_token", async () => ({ authorization: "Basic dXNlcjpwYXNz" }), undefined],
    ["malformed header", 400, "invalid_request", async () => ({ authorization: "Bearer two tokens" }), "invalid_request"],
    ["not a JWT", 401, "invalid_token", async () => bearer("abc.def"), "invalid_token"],
    ["expired", 401, "invalid_token", async () => bearer(await tokenFor("alex.wilber@contoso.test", { expiresIn: -600 })), "invalid_token"],
    ["not yet valid (nbf in the future)", 401, "invalid_token", async () => bearer(await tokenFor("alex.wilber@contoso.test", { claims: { nbf: now() + 900, exp: now() + 3600 } })), "invalid_token"],
    ["wrong audience", 401, "invalid_token", async () => bearer(await tokenFor("alex.wilber@contoso.test", { claims: { aud: "https://graph.microsoft.com" } })), "invalid_token"],
    ["wrong issuer", 401, "invalid_token", async () => bearer(await tokenFor("alex.wilber@contoso.test", { claims: { iss: "https://login.evil.example/566bf9d7-c55a-45f8-91a6-e55e9b9b1325/v2.0" } })), "invalid_token"],
    [
      "alg none",
      401,
      "invalid_token",
      async () => {
        const [, payload] = (await valid()).split(".");
        return bearer(`${b64url({ alg: "none", typ: "JWT" })}.${payload}.`);
      },
      "invalid_token",
    ],
    [
      "HS256 (key confusion)",
      401,
      "invalid_token",
      async () => {
        const t = await valid();
        const [header, payload] = t.split(".");
        const kid = (JSON.parse(Buffer.from(header ?? "", "base64url").toString()) as { kid: string }).kid;
        const signingInput = `${b64url({ alg: "HS256", typ: "JWT", kid })}.${payload}`;
        const sig = createHmac("sha256", "public-key-as-secret").update(signingInput).digest("base64url");
        return bearer(`${signingInput}.${sig}`);
      },
      "invalid_token",
    ],
    [
      "tampered payload",
      401,
      "invalid_token",
      async () => {
        const [header, payload, sig] = (await valid()).split(".");
        const claims = JSON.parse(Buffer.from(payload ?? "", "base64url").toString()) as Record<string, unknown>;
        return bearer(`${header}.${b64url({ ...claims, oid: "d330a549-4d14-4f1a-8cc3-46363c234038" })}.${sig}`);
      },
      "invalid_token",
    ],
    [
      "unknown kid",
      401,
      "invalid_token",
      async () => {
        const claims = decodeJwt(await valid());
        const { privateKey } = await generateKeyPair("RS256");
        return bearer(await new SignJWT(claims).setProtectedHeader({ alg: "RS256", typ: "JWT", kid: "not-published" }).sign(privateKey));
      },
      "invalid_token",
    ],
    ["v1 token", 401, "invalid_token", async () => bearer(await tokenFor("alex.wilber@contoso.test", { claims: { ver: "1.0" } })), "invalid_token"],
    ["missing scope", 403, "insufficient_scope", async () => bearer(await tokenFor("alex.wilber@contoso.test", { claims: { scp: "User.Read" } })), "insufficient_scope"],
    [
      "app-only token",
      403,
      "insufficient_scope",
      async () => bearer((await h.control.mint({ scopes: [`${h.emulator.tenant.apps.api.appIdUri}/.default`], appOnly: true })).access_token),
      "insufficient_scope",
    ],
  ];

  /** Each case must fail for its own reason, not for an earlier check. */
  const reasons: Record<string, RegExp> = {
    "malformed header": /exactly one bearer token/,
    "not a JWT": /not a signed JWT/,
    expired: /has expired/,
    "not yet valid (nbf in the future)": /not valid yet/,
    "wrong audience": /different audience/,
    "wrong issuer": /unexpected issuer/,
    "tenant not allowed": /tenant is not allowed/,
    "alg none": /algorithm none is not accepted/,
    "HS256 (key confusion)": /algorithm HS256 is not accepted/,
    "tampered payload": /signature is invalid/,
    "unknown kid": /unknown key/,
    "v1 token": /Token version 1.0 is not accepted/,
    "missing scope": /lacks the access_as_user scope/,
    "app-only token": /App-only tokens/,
  };

  it.each(cases)("%s → %i %s", async (name, status, code, build, error) => {
    const headers = await build();
    // proxy.ts alone must refuse it: nothing unverified reaches a handler
    const res = await proxy(new NextRequest("http://localhost/api/me", { headers }));
    expect(res.headers.get("x-middleware-next")).toBeNull();
    expect(res.status).toBe(status);
    const params = challenge(res);
    expect(params.realm).toBe("");
    expect(params.error).toBe(error);
    if (error) expect(params.error_description).toMatch(reasons[name] ?? /^$/);
    const body = await problem(res);
    expect(body.code).toBe(code);
    expect(body.status).toBe(status);
    expect(body.correlationId).toBe(res.headers.get("x-correlation-id"));
    if (code === "insufficient_scope") expect(params.scope).toBe(h.emulator.tenant.apps.api.scope);
    // and the handler, called directly (as if the matcher missed it), refuses it the same way
    const direct = await me(new Request("http://localhost/api/me", { headers }));
    expect(direct.status).toBe(status);
    expect((await problem(direct)).code).toBe(code);
    expect(challenge(direct).error_description).toBe(params.error_description);
  });

  it("the app-only token really was an app token and the wrong-issuer token really was signed", async () => {
    const app = (await h.control.mint({ scopes: [`${h.emulator.tenant.apps.api.appIdUri}/.default`], appOnly: true })).access_token;
    expect(decodeJwt(app).scp).toBeUndefined();
    expect(decodeJwt(app).roles ?? decodeJwt(app).idtyp).toBeTruthy();
  });

  it("route handlers verify on their own and ignore identity headers a client could set", async () => {
    const res = await me(
      new Request("http://localhost/api/me", {
        headers: { "x-ms-client-principal-id": "d330a549-4d14-4f1a-8cc3-46363c234038", "x-user-oid": "d330a549-4d14-4f1a-8cc3-46363c234038", "x-middleware-next": "1" },
      }),
    );
    expect(res.status).toBe(401);
    expect((await problem(res)).code).toBe("missing_token");
  });

  it("the proxy matcher covers /api but not /api/health", () => {
    const m = new RegExp(`^${proxyConfig.matcher[0]}$`);
    expect(m.test("/api/me")).toBe(true);
    expect(m.test("/api/subscriptions")).toBe(true);
    expect(m.test("/api/healthz")).toBe(true);
    expect(m.test("/api/health")).toBe(false);
    expect(m.test("/api/health/live")).toBe(false);
  });
});

describe("errors that round-trip to the browser", () => {
  it("MFA required on OBO → 401 insufficient_claims with the base64 claims challenge", async () => {
    const user = await freshUser();
    await h.control.requireMfa(user);
    const res = await call("/api/me", bearer(await tokenFor(user)));
    expect(res.status).toBe(401);
    const params = challenge(res);
    expect(params.error).toBe("insufficient_claims");
    expect(params.realm).toBe("");
    expect(params.authorization_uri).toBe(`${h.emulator.tenant.authorityHost}/${h.emulator.tenant.tenantId}/oauth2/v2.0/authorize`);
    const claims = JSON.parse(decodeBase64Text(params.claims ?? "")) as { access_token: Record<string, unknown> };
    expect(claims.access_token).toHaveProperty("capolids");
    const body = await problem(res);
    expect(body.code).toBe("insufficient_claims");
    expect(JSON.parse(body.claims ?? "")).toEqual(claims);
  });

  it("a user under a Conditional Access MFA policy gets the challenge without control help", async () => {
    const res = await call("/api/me", bearer(await tokenFor("diego.siciliani@contoso.test")));
    expect(res.status).toBe(401);
    expect(challenge(res).error).toBe("insufficient_claims");
  });

  it("a user of a tenant not on the allow-list → 403 tenant_not_allowed naming the tenant, only for a genuine token", async () => {
    const fabrikam = h.emulator.tenant.secondTenantId;
    const res = await call("/api/me", bearer(await tokenFor("ben.walters@fabrikam.test")));
    expect(res.status).toBe(403);
    const body = await problem(res);
    expect(body.code).toBe("tenant_not_allowed");
    expect(body.tenantId).toBe(fabrikam);
    expect(body.detail).toContain(fabrikam);
    // A forged token from that tenant learns nothing about the allow-list: 401 invalid_token.
    const [header, payload] = (await tokenFor("ben.walters@fabrikam.test")).split(".");
    const forged = await call("/api/me", bearer(`${header}.${payload}.${Buffer.from("forged").toString("base64url")}`));
    expect(forged.status).toBe(401);
    expect((await problem(forged)).code).toBe("invalid_token");
  });

  it("a user of another allowed tenant: On-Behalf-Of goes to their own tenant and ARM lists their subscriptions", async () => {
    const fabrikam = h.emulator.tenant.secondTenantId;
    h.configure({ overrides: { AZURE_ALLOWED_TENANTS: fabrikam, DOWNSTREAM_MAX_RETRIES: "2", DOWNSTREAM_MAX_RETRY_AFTER_SECONDS: "2" } });
    try {
      const before = (await h.control.counters()).tokenRequestsByTenant?.on_behalf_of?.[fabrikam] ?? 0;
      const res = await call("/api/subscriptions", bearer(await tokenFor("christie.cline@fabrikam.test")));
      expect(res.status).toBe(200);
      const body = (await res.json()) as { value: { tenantId: string; displayName: string }[] };
      expect(body.value.length).toBeGreaterThan(0);
      expect(body.value.every((s) => s.tenantId === fabrikam)).toBe(true);
      expect((await h.control.counters()).tokenRequestsByTenant?.on_behalf_of?.[fabrikam]).toBe(before + 1);
      // a third tenant is still refused
      const third = h.emulator.tenant.tenants.find((t) => t.id !== fabrikam && t.id !== h.emulator.tenant.tenantId)!;
      const nancy = h.emulator.tenant.users.find((u) => u.tenantId === third.id)!;
      expect((await call("/api/me", bearer(await tokenFor(nancy.username)))).status).toBe(403);
    } finally {
      h.configure({ overrides: { DOWNSTREAM_MAX_RETRIES: "2", DOWNSTREAM_MAX_RETRY_AFTER_SECONDS: "2" } });
    }
  });

  it("consent revoked → 403 consent_required with the downstream scopes", async () => {
    const user = await freshUser();
    await h.control.revokeConsent({ clientId: h.emulator.tenant.apps.api.clientId, username: user });
    const res = await call("/api/me", bearer(await tokenFor(user)));
    expect(res.status).toBe(403);
    const body = await problem(res);
    expect(body.code).toBe("consent_required");
    expect(body.scopes).toEqual(["https://graph.microsoft.com/User.Read"]);
    expect(challenge(res)).toMatchObject({ error: "consent_required", scope: "https://graph.microsoft.com/User.Read" });
  });

  it("Graph throttled: retries honouring Retry-After and recovers", async () => {
    const t = await tokenFor(await freshUser());
    const before = (await h.control.counters()).graph;
    await h.control.fault({ target: "graph", mode: "throttle", retryAfter: 1, count: 2 });
    const started = Date.now();
    const res = await call("/api/me", bearer(t));
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900); // waited Retry-After
    expect((await h.control.counters()).graph - before).toBe(4); // 2 throttled + me + manager
    expect(timing(res)).toMatch(/graph;desc="(me|manager) x\d"/);
  });

  it("Graph throttled beyond the retry budget → 503 downstream_throttled with Retry-After", async () => {
    const t = await tokenFor(await freshUser());
    await h.control.fault({ target: "graph", mode: "throttle", retryAfter: 1 });
    const res = await call("/api/me", bearer(t));
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    const body = await problem(res);
    expect(body.code).toBe("downstream_throttled");
    expect(body.retryAfter).toBe(1);
  });

  it("Graph down → 503 downstream_unavailable, never a 500", async () => {
    const t = await tokenFor(await freshUser());
    await h.control.fault({ target: "graph", mode: "down", retryAfter: 30 });
    const res = await call("/api/me", bearer(t));
    expect(res.status).toBe(503);
    expect((await problem(res)).code).toBe("downstream_unavailable");
    expect(res.headers.get("retry-after")).toBe("30");
  });

  it("identity provider down: a new user gets 503 while a cached user keeps working", async () => {
    const cachedToken = await tokenFor(await freshUser());
    expect((await call("/api/me", bearer(cachedToken))).status).toBe(200);
    const newToken = await tokenFor(await freshUser());
    await h.control.fault({ target: "token", mode: "down" });
    const fresh = await call("/api/me", bearer(newToken));
    expect(fresh.status).toBe(503);
    const body = await problem(fresh);
    expect(body.code).toBe("idp_unavailable");
    expect(fresh.headers.get("retry-after")).toBeTruthy();
    const cached = await call("/api/me", bearer(cachedToken));
    expect(cached.status).toBe(200);
    expect(timing(cached)).toMatch(/obo;desc="hit"/);
  });
});

describe("token cache counters", () => {
  it("N requests by one user → one OBO per downstream API", async () => {
    const api = h.emulator.tenant.apps.api.clientId;
    const t = await tokenFor(await freshUser());
    const before = await h.control.oboCount(api);
    for (let i = 0; i < 5; i++) {
      expect((await call("/api/me", bearer(t))).status).toBe(200);
      expect((await call("/api/subscriptions", bearer(t))).status).toBe(200);
    }
    expect((await h.control.oboCount(api)) - before).toBe(2);
  });

  it("/api/health with HEALTH_DETAILS counts this instance's token requests and the cache's evictions", async () => {
    h.configure({ overrides: { HEALTH_DETAILS: "true" } }); // fresh process services: counters at 0
    try {
      const details = async () => ((await (await call("/api/health")).json()) as { checks: { tokenCache: { tokenRequests: number; evictions: { expired: number; overCap: number } } } }).checks.tokenCache;
      expect(await details()).toMatchObject({ tokenRequests: 0, evictions: { expired: 0, overCap: 0 } });
      const t = await tokenFor(await freshUser());
      expect((await call("/api/me", bearer(t))).status).toBe(200);
      expect((await call("/api/subscriptions", bearer(t))).status).toBe(200);
      expect(await details()).toMatchObject({ tokenRequests: 2, evictions: { expired: 0, overCap: 0 } });
    } finally {
      h.configure({ overrides: { DOWNSTREAM_MAX_RETRIES: "2", DOWNSTREAM_MAX_RETRY_AFTER_SECONDS: "2" } });
    }
  });

  it("10 concurrent first requests → one OBO", async () => {
    const api = h.emulator.tenant.apps.api.clientId;
    const t = await tokenFor(await freshUser());
    const before = await h.control.oboCount(api);
    const results = await Promise.all(Array.from({ length: 10 }, () => call("/api/me", bearer(t))));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect((await h.control.oboCount(api)) - before).toBe(1);
  });
});

describe("health (separate configuration)", () => {
  afterAll(() => h.configure({ overrides: { DOWNSTREAM_MAX_RETRIES: "2", DOWNSTREAM_MAX_RETRY_AFTER_SECONDS: "2" } }));

  it("503 while the key set cannot be loaded, 200 once it can; API calls answer 503, not 401", async () => {
    h.configure({ overrides: { HEALTH_DETAILS: "true" } }); // fresh process services: nothing cached yet
    await h.control.fault({ target: "discovery", mode: "down" });
    const down = await call("/api/health");
    expect(down.status).toBe(503);
    const body = (await down.json()) as { status: string; checks: Record<string, { ok: boolean }> };
    expect(body.status).toBe("unavailable");
    expect(body.checks.keySet?.ok).toBe(false);
    expect(body.checks.config?.ok).toBe(true);
    const api = await call("/api/me", bearer(await tokenFor("adele.vance@contoso.test")));
    expect(api.status).toBe(503);
    expect((await problem(api)).code).toBe("key_set_unavailable");
    await h.control.clearFaults();
    await new Promise((r) => setTimeout(r, 5_100)); // the discovery failure is remembered for 5 s
    expect((await call("/api/health")).status).toBe(200);
  });
});

describe("timeouts (separate configuration)", () => {
  afterAll(() => h.configure({ overrides: { DOWNSTREAM_MAX_RETRIES: "2", DOWNSTREAM_MAX_RETRY_AFTER_SECONDS: "2" } }));

  it("a slow Graph → 504 downstream_timeout", async () => {
    h.configure({ overrides: { DOWNSTREAM_TIMEOUT_MS: "300" } });
    const t = await tokenFor(await freshUser());
    await h.control.fault({ target: "graph", mode: "slow", delayMs: 900 });
    const started = Date.now();
    const res = await call("/api/me", bearer(t));
    expect(res.status).toBe(504);
    expect((await problem(res)).code).toBe("downstream_timeout");
    expect(Date.now() - started).toBeLessThan(850);
  });
});

describe("logging", () => {
  it("one structured line per request, with a user hash and never a token", () => {
    const requests = logs.filter((l) => l.event === "api.request");
    expect(requests.length).toBeGreaterThan(20);
    for (const r of requests) {
      expect(r).toEqual(expect.objectContaining({ method: "GET", path: expect.stringMatching(/^\/api\//), status: expect.any(Number), correlationId: expect.any(String) }));
    }
    expect(requests.some((r) => typeof r.user === "string" && /^[0-9a-f]{16}$/.test(r.user))).toBe(true);
    const all = JSON.stringify(logs);
    for (const t of issuedTokens) expect(all).not.toContain(t.split(".")[2]);
    expect(all).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ/);
    expect(all).not.toContain(h.emulator.tenant.apps.api.clientSecret);
  });
});
