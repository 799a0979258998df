/**
 * Issue #14 (security hardening), the API's share: each finding pinned against a private identity
 * emulator with the real proxy.ts, route handlers, msal-node and jose. No mocks.
 */
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { NextRequest } from "next/server";
import { GraphClient } from "@/cli/graph";
import { HttpClient } from "@/cli/http";
import { downstreamGetAll } from "@/lib/downstream";
import { isApiError, type ProblemDetails } from "@/lib/errors";
import { setLogSink } from "@/lib/http/log";
import { ServerTiming } from "@/lib/http/server-timing";
import { startApiHarness, type ApiHarness } from "@/test-support/api-harness";
import { proxy } from "@/proxy";
import { GET as health } from "./health/route";
import { GET as me } from "./me/route";
import { GET as subscriptions } from "./subscriptions/route";

let h: ApiHarness;
let restoreLogs: () => void;

beforeAll(async () => {
  restoreLogs = setLogSink(() => undefined);
  h = await startApiHarness();
});
afterAll(async () => {
  await h?.close();
  restoreLogs?.();
});

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

/** proxy.ts first, then the handler when proxy.ts lets the request through (as Next.js serves it). */
async function call(handler: (r: Request) => Promise<Response>, path: string, headers: Record<string, string> = {}): Promise<Response> {
  const url = `http://localhost${path}`;
  const verdict = await proxy(new NextRequest(url, { headers }));
  if (verdict.headers.get("x-middleware-next") !== "1") return verdict;
  return handler(new Request(url, { headers }));
}

async function problem(res: Response): Promise<ProblemDetails> {
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  return (await res.json()) as ProblemDetails;
}

describe("item 8: GUIDs in configuration are case-insensitive", () => {
  afterAll(() => h.configure());

  it("an upper-case tenant GUID (and client ids) work end to end: verify, On-Behalf-Of, Graph", async () => {
    const t = h.emulator.tenant;
    h.configure({
      overrides: {
        AZURE_TENANT_ID: t.tenantId.toUpperCase(),
        AZURE_ALLOWED_TENANTS: t.tenantId.toUpperCase(),
        AZURE_SPA_CLIENT_ID: t.apps.spa.clientId.toUpperCase(),
        AZURE_API_CLIENT_ID: t.apps.api.clientId.toUpperCase(),
        AZURE_API_SCOPE: t.apps.api.scope.replace(t.apps.api.clientId, t.apps.api.clientId.toUpperCase()),
      },
    });
    const res = await call(me, "/api/me", bearer(await h.userToken("adele.vance@contoso.test")));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { profile: { displayName: string } }).profile.displayName).toBe("Adele Vance");
  });
});

describe("item 10: only the allowed client applications may use the API (azp)", () => {
  it("the SPA and the CLI pass; another registered app (the web app) is refused with 403 and a clear problem", async () => {
    const t = h.emulator.tenant;
    const asClient = async (clientId: string) =>
      (await h.control.mint({ username: "megan.bowen@contoso.test", clientId, scopes: [t.apps.api.scope] })).access_token;

    expect((await call(me, "/api/me", bearer(await asClient(t.apps.spa.clientId)))).status).toBe(200);
    expect((await call(me, "/api/me", bearer(await asClient(t.apps.cli.clientId)))).status).toBe(200);

    const relay = await call(me, "/api/me", bearer(await asClient(t.apps.web.clientId)));
    expect(relay.status).toBe(403);
    expect(relay.headers.get("www-authenticate")).toMatch(/^Bearer realm="", error="insufficient_scope", error_description="The application [0-9a-f-]{36} is not allowed to call this API\."$/);
    const body = await problem(relay);
    expect(body.code).toBe("client_not_allowed");
    expect(body.detail).toContain(t.apps.web.clientId);
    expect(body.detail).toContain("AZURE_ALLOWED_CLIENT_IDS");
  });

  it("AZURE_ALLOWED_CLIENT_IDS lets an administrator name the clients (the SPA stays allowed)", async () => {
    const t = h.emulator.tenant;
    h.configure({ overrides: { AZURE_ALLOWED_CLIENT_IDS: t.apps.web.clientId } });
    try {
      const web = (await h.control.mint({ username: "megan.bowen@contoso.test", clientId: t.apps.web.clientId, scopes: [t.apps.api.scope] })).access_token;
      const cli = (await h.control.mint({ username: "megan.bowen@contoso.test", clientId: t.apps.cli.clientId, scopes: [t.apps.api.scope] })).access_token;
      expect((await call(me, "/api/me", bearer(web))).status).toBe(200);
      expect((await call(me, "/api/me", bearer(await h.userToken("megan.bowen@contoso.test")))).status).toBe(200);
      expect((await call(me, "/api/me", bearer(cli))).status).toBe(403);
    } finally {
      h.configure();
    }
  });
});

describe("item 1: paging links never take the token to another origin", () => {
  /** Servers a hostile nextLink points at: they count every request and keep what they were sent. */
  const received: { url: string; authorization?: string }[] = [];
  let decoyHttps: https.Server;
  let decoyHttp: http.Server;
  let httpsPort = 0;
  let httpPort = 0;

  beforeAll(async () => {
    const certs = h.emulator.tenant.caCertPath.replace(/ca\.pem$/, "");
    const answer = (req: http.IncomingMessage, res: http.ServerResponse) => {
      received.push({ url: req.url ?? "", authorization: req.headers.authorization ? "a bearer token" : undefined });
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ value: [] }));
    };
    // The emulator's own localhost certificate (trusted through its CA): a decoy that TLS accepts.
    decoyHttps = https.createServer({ cert: readFileSync(`${certs}server.pem`), key: readFileSync(`${certs}server-key.pem`) }, answer);
    decoyHttp = http.createServer(answer);
    await new Promise<void>((r) => decoyHttps.listen(0, "127.0.0.1", r));
    await new Promise<void>((r) => decoyHttp.listen(0, "127.0.0.1", r));
    httpsPort = (decoyHttps.address() as AddressInfo).port;
    httpPort = (decoyHttp.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await h.control.clearNextLinks();
    for (const server of [decoyHttps, decoyHttp]) {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
  beforeEach(() => {
    received.length = 0;
  });

  // The issue's spellings, each aimed at a decoy; what a URL parser makes of them is another host.
  const hostile = (): [string, string][] => [
    ["backslashes", `https:\\\\127.0.0.1:${httpsPort}/steal`],
    ["a leading space", ` https://127.0.0.1:${httpsPort}/steal`],
    ["a leading tab", `\thttps://127.0.0.1:${httpsPort}/steal`],
    ["a tab in the scheme", `ht\ttps://127.0.0.1:${httpsPort}/steal`],
    ["http without slashes", `http:127.0.0.1:${httpPort}/steal`],
    ["plain https to another host", `https://127.0.0.1:${httpsPort}/steal`],
    ["the emulator's host on another port", `https://localhost:${httpsPort}/steal`],
    ["scheme-relative", `//127.0.0.1:${httpsPort}/steal`],
  ];

  it("ARM: /api/subscriptions answers 502 downstream_link_refused, and no request reaches the decoys", async () => {
    const token = await h.userToken("megan.bowen@contoso.test");
    const outcomes: string[] = [];
    for (const [name, link] of hostile()) {
      await h.control.plantNextLink("arm", link, 1);
      const res = await call(subscriptions, "/api/subscriptions", bearer(token));
      const body = (await res.json()) as Partial<ProblemDetails>;
      outcomes.push(`${name}: ${res.status} ${body.code ?? res.headers.get("content-type")}`);
      if (body.code) expect(body.detail).not.toContain("127.0.0.1"); // says what happened, never echoes the link
    }
    expect({ outcomes, received }).toEqual({ outcomes: hostile().map(([name]) => `${name}: 502 downstream_link_refused`), received: [] });
    // and the same user's next request pages normally again
    expect((await call(subscriptions, "/api/subscriptions", bearer(token))).status).toBe(200);
  });

  it("Graph: lib/downstream paging refuses the same links (Graph /users, a Graph token)", async () => {
    const graphToken = (await h.control.mint({ username: "megan.bowen@contoso.test", scopes: ["https://graph.microsoft.com/User.ReadBasic.All"] })).access_token;
    const graph = { name: "graph", baseUrl: h.emulator.tenant.graphBaseUrl, scopes: [] };
    const ctx = { correlationId: "7f1c0d1e-0000-4000-8000-000000000001", timing: new ServerTiming(), http: { timeoutMs: 5_000, maxRetries: 0, maxRetryAfterSeconds: 0 }, token: async () => graphToken };
    const outcomes: string[] = [];
    for (const [name, link] of hostile()) {
      await h.control.plantNextLink("graph", link, 1);
      try {
        const r = await downstreamGetAll(graph, "/users?$top=5", ctx);
        outcomes.push(`${name}: followed (${r.pages} pages)`);
      } catch (e) {
        outcomes.push(`${name}: ${isApiError(e) ? `${e.status} ${e.code}` : String(e)}`);
      }
    }
    expect({ outcomes, received }).toEqual({ outcomes: hostile().map(([name]) => `${name}: 502 downstream_link_refused`), received: [] });
  });

  it("Graph: the CLI's users command refuses them too (one shared check)", async () => {
    const t = h.emulator.tenant;
    const token = (await h.control.mint({ username: "megan.bowen@contoso.test", clientId: t.apps.cli.clientId, scopes: ["https://graph.microsoft.com/User.ReadBasic.All"] })).access_token;
    const client = new GraphClient(new HttpClient({ caPem: readFileSync(t.caCertPath, "utf8"), timeoutMs: 5_000, emulator: true }), t.graphBaseUrl, () => token);
    const outcomes: string[] = [];
    for (const [name, link] of hostile()) {
      await h.control.plantNextLink("graph", link, 1);
      outcomes.push(`${name}: ${await client.users({ pageSize: 5 }).then(() => "followed", (e: Error) => (/not sending the token there/.test(e.message) ? "refused" : e.message))}`);
    }
    expect({ outcomes, received }).toEqual({ outcomes: hostile().map(([name]) => `${name}: refused`), received: [] });
  });
});

describe("item 5: /api/health says only what a load balancer needs", () => {
  afterAll(() => h.configure());

  it("answers { status } alone by default: no mode, cache kind or key count for anonymous callers", async () => {
    const res = await health(new Request("http://localhost/api/health"));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("HEALTH_DETAILS=true adds the checks (for a private probe)", async () => {
    h.configure({ overrides: { HEALTH_DETAILS: "true" } });
    const res = await health(new Request("http://localhost/api/health"));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; checks: Record<string, { ok: boolean; keys?: number; kind?: string }> };
    expect(body.status).toBe("ok");
    expect(body.checks.keySet?.keys).toBeGreaterThan(0);
    expect(body.checks.tokenCache?.kind).toBe("memory");
  });

  it("an invalid configuration is 503 { status: unavailable }, without detail", async () => {
    h.configure({ overrides: { SESSION_PASSWORD: "short" } });
    const res = await health(new Request("http://localhost/api/health"));
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: "unavailable" });
  });
});
