import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { DownstreamApi } from "@/lib/config";
import { ApiError, encodeBase64Text, formatChallenge } from "@/lib/errors";
import { ServerTiming } from "@/lib/http/server-timing";
import { downstreamGet, type DownstreamContext } from "./client";
import { downstreamGetAll } from "./paging";
import { parseRetryAfter } from "./retry";
import { resolveUrl } from "./url";

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

let server: Server;
let base: string;
let handler: Handler;
let hits: IncomingMessage[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req);
    handler(req, res, hits.length);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1.0`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  hits = [];
});

const api = (): DownstreamApi => ({ name: "graph", baseUrl: base, scopes: ["https://graph.microsoft.com/User.Read"] });
const send = (res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(body === undefined ? "" : JSON.stringify(body));
};

function ctx(overrides: Partial<DownstreamContext> = {}): DownstreamContext & { waits: number[]; tokenCalls: (string | undefined)[] } {
  const waits: number[] = [];
  const tokenCalls: (string | undefined)[] = [];
  return {
    correlationId: "3f2b8f4e-1111-4222-8333-944455556666",
    timing: new ServerTiming(),
    http: { timeoutMs: 1_000, maxRetries: 2, maxRetryAfterSeconds: 5 },
    token: async (claims?: string) => {
      tokenCalls.push(claims);
      return claims ? "token-with-claims" : "token";
    },
    sleep: async (ms) => {
      waits.push(ms);
    },
    insecureHttpForTests: true, // the test server speaks plain http
    waits,
    tokenCalls,
    ...overrides,
  };
}

async function apiError(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error("expected an ApiError");
}

describe("downstreamGet", () => {
  it("sends the token and correlation id, returns JSON and records Server-Timing", async () => {
    handler = (req, res) => send(res, 200, { displayName: "Adele" });
    const c = ctx();
    const r = await downstreamGet<{ displayName: string }>(api(), "/me", c, { label: "me" });
    expect(r.body?.displayName).toBe("Adele");
    expect(hits[0]?.url).toBe("/v1.0/me");
    expect(hits[0]?.headers.authorization).toBe("Bearer token");
    expect(hits[0]?.headers["client-request-id"]).toBe(c.correlationId);
    expect(c.timing.toString()).toMatch(/^graph;desc="me";dur=\d+\.\d\d$/);
  });

  it("retries 429 honouring Retry-After, then succeeds", async () => {
    handler = (req, res, n) => (n < 3 ? send(res, 429, { error: { code: "TooManyRequests" } }, { "retry-after": "2" }) : send(res, 200, { ok: true }));
    const c = ctx();
    const r = await downstreamGet(api(), "/me", c);
    expect(r.attempts).toBe(3);
    expect(c.waits).toEqual([2000, 2000]);
    expect(c.timing.entries[0]?.description).toContain("x3");
  });

  it("gives up after the retry budget with 503 downstream_throttled and Retry-After", async () => {
    handler = (req, res) => send(res, 429, {}, { "retry-after": "3" });
    const c = ctx();
    const err = await apiError(downstreamGet(api(), "/me", c));
    expect(err.status).toBe(503);
    expect(err.code).toBe("downstream_throttled");
    expect(err.retryAfterSeconds).toBe(3);
    expect(hits).toHaveLength(3); // 1 + maxRetries
  });

  it("does not wait when Retry-After exceeds the cap", async () => {
    handler = (req, res) => send(res, 503, {}, { "retry-after": "120" });
    const c = ctx();
    const err = await apiError(downstreamGet(api(), "/me", c));
    expect(err.code).toBe("downstream_unavailable");
    expect(err.retryAfterSeconds).toBe(120);
    expect(hits).toHaveLength(1);
    expect(c.waits).toEqual([]);
  });

  it("times out with 504 and does not retry", async () => {
    handler = (req, res) => setTimeout(() => send(res, 200, {}), 1_500).unref();
    const c = ctx({ http: { timeoutMs: 200, maxRetries: 2, maxRetryAfterSeconds: 5 } });
    const err = await apiError(downstreamGet(api(), "/me", c));
    expect(err.status).toBe(504);
    expect(err.code).toBe("downstream_timeout");
    expect(hits).toHaveLength(1);
  });

  it("returns allowed statuses and maps other failures to 502", async () => {
    handler = (req, res) => send(res, 404, { error: { code: "Request_ResourceNotFound" } });
    expect((await downstreamGet(api(), "/me/manager", ctx(), { allowStatuses: [404] })).status).toBe(404);
    const err = await apiError(downstreamGet(api(), "/me/manager", ctx()));
    expect(err.status).toBe(502);
    expect(err.code).toBe("downstream_error");
    expect(JSON.stringify(err)).not.toContain("token");
  });

  it("answers a CAE claims challenge with one token carrying the claims", async () => {
    const claims = '{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}';
    handler = (req, res) =>
      req.headers.authorization === "Bearer token-with-claims"
        ? send(res, 200, { ok: true })
        : send(res, 401, {}, { "www-authenticate": formatChallenge("Bearer", [["realm", ""], ["error", "insufficient_claims"], ["claims", encodeBase64Text(claims)]]) });
    const c = ctx();
    await downstreamGet(api(), "/me", c);
    expect(c.tokenCalls).toEqual([undefined, claims]);
  });

  it("forwards a claims challenge the fresh token does not satisfy, only for cp1 callers", async () => {
    const claims = '{"access_token":{"xms_cc":{"values":["cp1"]}}}';
    const challenge = formatChallenge("Bearer", [["realm", ""], ["authorization_uri", "https://login.example/authorize"], ["error", "insufficient_claims"], ["claims", encodeBase64Text(claims)]]);
    handler = (req, res) => send(res, 401, {}, { "www-authenticate": challenge });
    const capable = await apiError(downstreamGet(api(), "/me", ctx({ forwardClaimsChallenges: true })));
    expect(capable.code).toBe("insufficient_claims");
    expect(capable.claims).toBe(claims);
    const legacy = await apiError(downstreamGet(api(), "/me", ctx({ forwardClaimsChallenges: false })));
    expect(legacy.code).toBe("downstream_error");
  });
});

describe("downstreamGetAll", () => {
  it("follows @odata.nextLink and nextLink across pages", async () => {
    handler = (req, res) => {
      const page = Number(new URL(req.url ?? "", "http://x").searchParams.get("page") ?? "1");
      const next = page < 3 ? `${base}/items?page=${page + 1}` : undefined;
      send(res, 200, { value: [page * 10, page * 10 + 1], ...(page === 1 ? { "@odata.nextLink": next } : { nextLink: next }) });
    };
    const r = await downstreamGetAll<number>(api(), "/items?page=1", ctx());
    expect(r).toEqual({ items: [10, 11, 20, 21, 30, 31], pages: 3, truncated: false });
  });

  it("stops at maxPages and reports truncation", async () => {
    handler = (req, res) => send(res, 200, { value: [1], nextLink: `${base}/items` });
    const r = await downstreamGetAll<number>(api(), "/items", ctx(), { maxPages: 4 });
    expect(r.pages).toBe(4);
    expect(r.truncated).toBe(true);
    expect(hits).toHaveLength(4);
  });

  it("refuses to send the token to another origin", async () => {
    handler = (req, res) => send(res, 200, { value: [1], "@odata.nextLink": "https://evil.example/steal" });
    const err = await apiError(downstreamGetAll(api(), "/items", ctx()));
    expect(err.status).toBe(502);
    expect(err.code).toBe("downstream_link_refused");
    expect(hits).toHaveLength(1);
  });

  // Issue #14 item 1: the spellings URL parsers turn into another host. Over https (the real
  // case), with a fetch that records where it would have sent the token.
  it.each([
    ["https:\\\\evil.example/x"],
    [" https://evil.example/x"],
    ["\thttps://evil.example/x"],
    ["ht\ttps://evil.example/x"],
    ["http:evil.example/x"],
    ["http://graph.example/v1.0/items?page=2"],
    ["//evil.example/x"],
    ["/v1.0/items?page=2"],
  ])("never fetches the hostile paging link %j", async (link) => {
    const fetched: string[] = [];
    const fakeFetch = (async (url: URL | string) => {
      fetched.push(String(url));
      return new Response(JSON.stringify({ value: [1], "@odata.nextLink": link }), { status: 200, headers: { "content-type": "application/json" } });
    }) as typeof fetch;
    const graph = { name: "graph", baseUrl: "https://graph.example/v1.0", scopes: [] };
    const err = await apiError(downstreamGetAll(graph, "/items", ctx({ fetch: fakeFetch, insecureHttpForTests: false })));
    expect(err.code).toBe("downstream_link_refused");
    expect(fetched).toEqual(["https://graph.example/v1.0/items"]);
  });

  it("an http base URL is refused unless a test allows it explicitly", async () => {
    handler = (req, res) => send(res, 200, { value: [1] });
    expect((await apiError(downstreamGet(api(), "/me", ctx({ insecureHttpForTests: undefined })))).code).toBe("downstream_link_refused");
    expect(hits).toHaveLength(0);
  });
});

describe("helpers", () => {
  it("parseRetryAfter reads seconds and HTTP dates", () => {
    expect(parseRetryAfter("7")).toBe(7);
    expect(parseRetryAfter(new Date(Date.UTC(2030, 0, 1, 0, 0, 10)).toUTCString(), Date.UTC(2030, 0, 1))).toBe(10);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });

  it("resolveUrl keeps the base path", () => {
    expect(resolveUrl({ name: "g", baseUrl: "https://graph.microsoft.com/v1.0", scopes: [] }, "/me/manager").href).toBe("https://graph.microsoft.com/v1.0/me/manager");
    expect(resolveUrl({ name: "a", baseUrl: "https://management.azure.com", scopes: [] }, "/subscriptions?api-version=2022-12-01").href).toBe(
      "https://management.azure.com/subscriptions?api-version=2022-12-01",
    );
  });
});
