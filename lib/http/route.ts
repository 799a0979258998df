import "server-only";
import { createHash } from "node:crypto";
import { authenticate, type Caller } from "@/lib/auth";
import { getConfig, type AppConfig } from "@/lib/config";
import { toApiError, toProblemResponse } from "@/lib/errors";
import { CORRELATION_RESPONSE_HEADER, correlationIdFrom } from "./correlation";
import { describeError, log } from "./log";
import { decodeProxyTiming, PROXY_TIMING_HEADER } from "./proxy-timing";
import { ServerTiming } from "./server-timing";

export interface RequestContext {
  request: Request;
  correlationId: string;
  timing: ServerTiming;
}

export interface AuthenticatedContext extends RequestContext {
  config: AppConfig;
  caller: Caller;
}

/** What a handler returns: a body to send as JSON (200), or a full Response. */
export type HandlerResult = Response | { status?: number; body: unknown; headers?: HeadersInit };

/** Pseudonymous, stable user id for logs: never the raw oid, never a token. */
export function userHash(caller: Pick<Caller, "tid" | "oid">): string {
  return createHash("sha256").update(`${caller.tid}:${caller.oid}`).digest("hex").slice(0, 16);
}

/**
 * Wraps a route handler that acts for a signed-in user: correlation id, caller verification
 * through lib/auth (the same verifier as proxy.ts, memoized), JSON with Server-Timing and
 * x-correlation-id, every error through lib/errors, and one structured log line per request.
 * Server-Timing starts with what proxy.ts's verification cost (`proxy-verify`) and ends with the
 * server's `total` since the proxy started and the app's `self` (total minus downstream waits).
 */
export function protectedRoute(handler: (ctx: AuthenticatedContext) => Promise<HandlerResult>): (request: Request) => Promise<Response> {
  return (request) => {
    const proxy = decodeProxyTiming(request.headers.get(PROXY_TIMING_HEADER));
    const timing = new ServerTiming({ startedAt: proxy?.startedAt });
    if (proxy) timing.add("proxy-verify", proxy.verifyMs, proxy.verify);
    return run(request, timing, async (ctx, setUser) => {
      const config = getConfig();
      const caller = await authenticate(request, ctx.timing, config);
      setUser(caller);
      return handler({ ...ctx, config, caller });
    });
  };
}

/** Wraps a route handler that needs no caller (health). Same envelope and logging. */
export function publicRoute(handler: (ctx: RequestContext) => Promise<HandlerResult>): (request: Request) => Promise<Response> {
  return (request) => run(request, new ServerTiming(), (ctx) => handler(ctx));
}

async function run(request: Request, timing: ServerTiming, body: (ctx: RequestContext, setUser: (c: Caller) => void) => Promise<HandlerResult>): Promise<Response> {
  const started = performance.now();
  const correlationId = correlationIdFrom(request.headers);
  const path = new URL(request.url).pathname;
  let user: string | undefined;
  let response: Response;
  let errorCode: string | undefined;
  try {
    const result = await body({ request, correlationId, timing }, (c) => {
      user = userHash(c);
    });
    response = result instanceof Response ? result : json(result.body, result.status ?? 200, result.headers);
  } catch (e) {
    const err = toApiError(e);
    errorCode = err.code;
    if (err.status >= 500) {
      const cause = err.cause ?? (err === e ? undefined : e);
      log("error", "api.error", { correlationId, path, code: err.code, error: cause === undefined ? err.message : describeError(cause) });
    }
    response = toProblemResponse(err, correlationId);
  }
  response.headers.set(CORRELATION_RESPONSE_HEADER, correlationId);
  if (timing.entries.length) {
    timing.addTotals();
    response.headers.set("server-timing", timing.toString());
  }
  log(response.status >= 500 ? "error" : "info", "api.request", {
    method: request.method,
    path,
    status: response.status,
    durationMs: Math.round((performance.now() - started) * 10) / 10,
    correlationId,
    user,
    code: errorCode,
  });
  return response;
}

export function json(body: unknown, status = 200, headers?: HeadersInit): Response {
  const h = new Headers(headers);
  h.set("content-type", "application/json; charset=utf-8");
  if (!h.has("cache-control")) h.set("cache-control", "no-store");
  return new Response(JSON.stringify(body), { status, headers: h });
}
