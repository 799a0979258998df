import "server-only";
import http from "node:http";
import https from "node:https";

/**
 * The HTTP exchange under downstreamGet: node:https with one keep-alive agent per process, not
 * the global fetch. Measured (docs/performance.md, "CPU per request"): Node 20's fetch (undici
 * behind WHATWG streams, an AbortSignal and a DOMException per call) costs ~0.4 ms of CPU per
 * Graph call against ~0.15 ms here, and inside a Next.js route handler fetch is Next's patched
 * one on top (caching, deduplication and tracing that a per-user, bearer-authorized GET never
 * uses). /api/me makes two calls per request.
 *
 * Only what lib/downstream needs: a GET (or the POST of a read-only action) with headers, one
 * deadline for the whole exchange (the answer AND its body), no redirects followed (a 3xx is an
 * answer like any other), bodies read in full or bounded, or discarded.
 */
export interface DownstreamHttpResponse {
  readonly status: number;
  /** A response header, or null (names are case-insensitive). */
  header(name: string): string | null;
  /** The body as UTF-8 text. */
  text(): Promise<string>;
  /** The body as bytes; rejects with BodyTooLargeError beyond `maxBytes` and stops reading. */
  bytes(maxBytes: number): Promise<ArrayBuffer>;
  /** Frees the connection without reading the body. */
  discard(): void;
}

export interface TransportRequest {
  /** Default GET. POST only for read-only Graph actions (checkMemberGroups): safe to repeat. */
  method?: "GET" | "POST";
  /** A JSON body (POST). */
  body?: string;
  headers: Record<string, string>;
  /** Deadline for the whole exchange, body included: past it, the pending promise rejects with a TimeoutError. */
  timeoutMs: number;
}

export type DownstreamTransport = (url: URL, request: TransportRequest) => Promise<DownstreamHttpResponse>;

/** Named like the DOMException AbortSignal.timeout() raises, so one check (body.ts isTimeout) covers both transports. */
export class TimeoutError extends Error {
  override readonly name = "TimeoutError";
  constructor(timeoutMs: number) {
    super(`no complete answer within ${timeoutMs} ms`);
  }
}

export class BodyTooLargeError extends Error {
  override readonly name = "BodyTooLargeError";
  constructor(readonly maxBytes: number) {
    super(`body exceeds ${maxBytes} bytes`);
  }
}

/**
 * Keep-alive connections per downstream origin, reused most-recent-first (the least likely to have
 * been closed by the server while idle); an idle one is closed after 30 s, before Graph's and ARM's
 * front ends drop it.
 */
const AGENT_OPTIONS: https.AgentOptions = { keepAlive: true, scheduling: "lifo", timeout: 30_000 };
const agents = { "https:": new https.Agent(AGENT_OPTIONS), "http:": new http.Agent(AGENT_OPTIONS) };

/**
 * GET over node:https (node:http only for a plain-http URL, which lib/downstream/url.ts allows just
 * for tests). A connection the server closed while it sat idle in the pool fails at once with
 * ECONNRESET before any answer: that attempt is repeated once on a new connection outside the pool,
 * as Node's documentation advises for idempotent requests; other network failures reach the
 * caller's retry policy.
 */
export const nodeTransport: DownstreamTransport = (url, request) =>
  exchange(url, request, true).catch((e: unknown) => {
    // On a connection of its own: the pool may hold more connections dropped the same way.
    if (e instanceof StaleConnectionError) return exchange(url, request, false);
    throw e;
  });

class StaleConnectionError extends Error {}

function exchange(url: URL, request: TransportRequest, pooled: boolean): Promise<DownstreamHttpResponse> {
  return new Promise((resolve, reject) => {
    const plain = url.protocol === "http:";
    const agent = pooled ? (plain ? agents["http:"] : agents["https:"]) : false;
    const req = (plain ? http : https).request(url, { method: request.method ?? "GET", headers: request.headers, agent });
    let response: http.IncomingMessage | undefined;
    // The body's reader, once someone reads; a failure before that is kept for it.
    let failure: Error | undefined;
    let onFailure: ((e: Error) => void) | undefined;
    const fail = (e: Error) => {
      failure ??= e;
      onFailure?.(e);
    };
    const timer = setTimeout(() => {
      const e = new TimeoutError(request.timeoutMs);
      if (response) response.destroy(e);
      else req.destroy(e);
    }, request.timeoutMs);
    const done = () => clearTimeout(timer);

    req.on("error", (e: NodeJS.ErrnoException) => {
      if (response) return fail(e);
      done();
      reject(req.reusedSocket && e.code === "ECONNRESET" ? new StaleConnectionError(e.message, { cause: e }) : e);
    });
    req.on("response", (res) => {
      response = res;
      res.on("error", fail); // a reset mid-body, or the deadline (res.destroy(TimeoutError))
      res.on("close", () => {
        if (!res.complete) fail(failure ?? new Error("the connection closed before the body was complete"));
      });
      const read = (limit: number | undefined) =>
        new Promise<Buffer>((resolveBody, rejectBody) => {
          onFailure = (e) => {
            done();
            rejectBody(e);
          };
          if (failure) return onFailure(failure);
          if (limit !== undefined && Number(res.headers["content-length"]) > limit) {
            res.destroy();
            return onFailure(new BodyTooLargeError(limit));
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (limit !== undefined && size > limit) {
              res.destroy();
              onFailure?.(new BodyTooLargeError(limit));
              return;
            }
            chunks.push(chunk);
          });
          res.on("end", () => {
            done();
            resolveBody(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
          });
        });
      resolve({
        status: res.statusCode ?? 0,
        header: (name) => {
          const value = res.headers[name.toLowerCase()];
          return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
        },
        text: async () => (await read(undefined)).toString("utf8"),
        bytes: async (maxBytes) => {
          const body = await read(maxBytes);
          return body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
        },
        // Drained, not destroyed, so the connection goes back to the pool; the deadline still
        // applies to a body that never ends.
        discard: () => {
          onFailure = () => done();
          res.on("end", done);
          res.resume();
        },
      });
    });
    req.end(request.body);
  });
}

/**
 * The same interface over a fetch implementation: the seam tests use to script a downstream API
 * without a server (DownstreamContext.fetch).
 */
export function fetchTransport(fetchImpl: typeof fetch): DownstreamTransport {
  return async (url, request) => {
    const signal = AbortSignal.timeout(request.timeoutMs);
    const res = await fetchImpl(url, { method: request.method ?? "GET", body: request.body, headers: request.headers, signal, redirect: "manual" });
    return {
      status: res.status,
      header: (name) => res.headers.get(name),
      text: () => res.text(),
      bytes: async (maxBytes) => {
        if (Number(res.headers.get("content-length")) > maxBytes) {
          await res.body?.cancel().catch(() => undefined);
          throw new BodyTooLargeError(maxBytes);
        }
        const buffer = await res.arrayBuffer();
        if (buffer.byteLength > maxBytes) throw new BodyTooLargeError(maxBytes);
        return buffer;
      },
      discard: () => void res.body?.cancel().catch(() => undefined),
    };
  };
}
