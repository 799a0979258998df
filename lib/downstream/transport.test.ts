/**
 * lib/downstream/transport.ts against real local servers: the deadline covers the body, bodies
 * are bounded, a connection the server dropped while idle is replaced transparently, connections
 * are reused, and a 3xx is an answer (never followed). Plain http: the transport's TLS is Node's
 * own https module, exercised end to end by the API tests against the emulator.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import type { DownstreamApi } from "@/lib/config";
import { ApiError } from "@/lib/errors";
import { ServerTiming } from "@/lib/http/server-timing";
import { downstreamGet, type DownstreamContext } from "./client";
import { BodyTooLargeError, TimeoutError, nodeTransport } from "./transport";

let server: Server;
let base: string;
let handler: (req: IncomingMessage, res: ServerResponse) => void;
const connections = new Set<Socket>();
let connectionCount = 0;

beforeAll(async () => {
  server = createHttpServer((req, res) => handler(req, res));
  server.on("connection", (s: Socket) => {
    connectionCount++;
    connections.add(s);
    s.on("close", () => connections.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  connectionCount = 0;
});

const get = (path: string, timeoutMs = 2_000) => nodeTransport(new URL(path, base), { headers: { accept: "application/json" }, timeoutMs });

it("reads a JSON answer and reuses the connection for the next request", async () => {
  handler = (_req, res) => res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
  for (let i = 0; i < 5; i++) {
    const res = await get("/x");
    expect(res.status).toBe(200);
    expect(res.header("Content-Type")).toBe("application/json");
    expect(JSON.parse(await res.text())).toEqual({ ok: true });
  }
  expect(connectionCount).toBe(1);
});

it("a discarded body still frees the connection for reuse", async () => {
  handler = (_req, res) => res.writeHead(503, { "retry-after": "1" }).end("busy");
  for (let i = 0; i < 3; i++) {
    const res = await get("/busy");
    expect(res.header("retry-after")).toBe("1");
    res.discard();
    await new Promise((r) => setTimeout(r, 20)); // the rest of the body drains in the background
  }
  // (the previous test's connection may still be in the pool: then none is new)
  expect(connectionCount).toBeLessThanOrEqual(1);
});

it("the deadline covers a body that stalls after the headers", async () => {
  handler = (_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.write('{"partial":');
  };
  const res = await get("/stall", 200);
  const started = Date.now();
  await expect(res.text()).rejects.toBeInstanceOf(TimeoutError);
  expect(Date.now() - started).toBeLessThan(2_000);
});

it("the deadline covers an answer that never comes", async () => {
  handler = () => undefined;
  await expect(get("/never", 200)).rejects.toBeInstanceOf(TimeoutError);
});

it("stops reading a body beyond the limit, with or without Content-Length", async () => {
  handler = (req, res) => {
    if (req.url === "/declared") return res.writeHead(200, { "content-length": "100" }).end("x".repeat(100));
    res.writeHead(200); // chunked: the size is known only while reading
    res.write("x".repeat(60));
    res.end("x".repeat(60));
  };
  await expect((await get("/declared")).bytes(50)).rejects.toBeInstanceOf(BodyTooLargeError);
  await expect((await get("/chunked")).bytes(100)).rejects.toBeInstanceOf(BodyTooLargeError);
  expect(new TextDecoder().decode(await (await get("/chunked")).bytes(120))).toBe("x".repeat(120));
});

it("a 3xx is an answer, never followed", async () => {
  let followed = 0;
  handler = (req, res) => {
    if (req.url === "/elsewhere") followed++;
    res.writeHead(302, { location: "/elsewhere" }).end();
  };
  const res = await get("/moved");
  expect(res.status).toBe(302);
  res.discard();
  expect(followed).toBe(0);
});

describe("a keep-alive connection the server dropped while idle", () => {
  // A raw server that answers one request per connection and then resets the connection on the
  // next one without answering: what a client sees when a front end closed an idle connection
  // just as a new request went out on it.
  let raw: TcpServer;
  let rawBase: string;
  let accepted = 0;
  beforeAll(async () => {
    raw = createTcpServer((socket) => {
      accepted++;
      let served = 0;
      socket.on("data", () => {
        if (served++ === 0) socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\nConnection: keep-alive\r\n\r\n{"ok":true}');
        else socket.resetAndDestroy();
      });
    });
    await new Promise<void>((r) => raw.listen(0, "127.0.0.1", r));
    rawBase = `http://127.0.0.1:${(raw.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => raw.close(r)));

  it("is replaced by a new one, once, without the caller seeing a failure", async () => {
    const first = await nodeTransport(new URL("/a", rawBase), { headers: {}, timeoutMs: 2_000 });
    expect(await first.text()).toBe('{"ok":true}');
    const second = await nodeTransport(new URL("/b", rawBase), { headers: {}, timeoutMs: 2_000 });
    expect(await second.text()).toBe('{"ok":true}');
    expect(accepted).toBe(2);
  });
});

describe("through downstreamGet: transport failures become the API's documented errors", () => {
  const api = (): DownstreamApi => ({ name: "graph", baseUrl: `${base}/v1.0`, scopes: [] });
  const ctx = (timeoutMs = 300): DownstreamContext => ({
    correlationId: "0f8fad5b-d9cb-469f-a165-70867728950e",
    timing: new ServerTiming(),
    http: { timeoutMs, maxRetries: 1, maxRetryAfterSeconds: 1 },
    token: async () => "token",
    sleep: async () => undefined,
    insecureHttpForTests: true,
  });
  const failure = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (e) {
      if (e instanceof ApiError) return e;
      throw e;
    }
    throw new Error("expected a failure");
  };

  it("a body that stalls → 504 downstream_timeout", async () => {
    handler = (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write("{");
    };
    expect((await failure(downstreamGet(api(), "/me", ctx()))).code).toBe("downstream_timeout");
  });

  it("a body cut off mid-way → 503 downstream_unavailable", async () => {
    handler = (_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "100" });
      res.write('{"a":');
      setTimeout(() => res.socket?.destroy(), 20);
    };
    expect((await failure(downstreamGet(api(), "/me", ctx(2_000)))).code).toBe("downstream_unavailable");
  });

  it("a photo beyond its bound → 502, not buffered", async () => {
    handler = (_req, res) => res.writeHead(200, { "content-type": "image/jpeg" }).end(Buffer.alloc(5_000));
    const e = await failure(downstreamGet(api(), "/me/photo/$value", ctx(2_000), { bytes: { accept: "image/*", maxBytes: 1_000 } }));
    expect(e.status).toBe(502);
  });

  it("a redirect → 502 downstream_error (the token is never sent anywhere else)", async () => {
    handler = (_req, res) => res.writeHead(307, { location: "https://evil.example/steal" }).end();
    const e = await failure(downstreamGet(api(), "/me", ctx(2_000)));
    expect(e.code).toBe("downstream_error");
    expect(e.status).toBe(502);
  });
});
