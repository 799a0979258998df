import { NextResponse, type NextRequest } from "next/server";
import { authenticate } from "@/lib/auth";
import { getConfig } from "@/lib/config";
import { toApiError, toProblemResponse } from "@/lib/errors";
import { CORRELATION_RESPONSE_HEADER, correlationIdFrom } from "@/lib/http/correlation";
import { contentSecurityPolicy, newNonce, SELF_FRAMEABLE_PATHS } from "@/lib/http/csp";
import { log } from "@/lib/http/log";
import { encodeProxyTiming, PROXY_TIMING_HEADER } from "@/lib/http/proxy-timing";
import { ServerTiming } from "@/lib/http/server-timing";

/** Next 16's proxy (formerly middleware): guards the API and sets the pages' CSP. */
export async function proxy(request: NextRequest): Promise<Response> {
  if (request.nextUrl.pathname.startsWith("/api/")) return guardApi(request);
  return withPageCsp(request);
}

/**
 * A per-request nonce for the page's scripts. Next reads it from the request's
 * Content-Security-Policy header and puts it on the scripts it renders (x-nonce is for our own);
 * both request headers are overwritten, so a client cannot choose them.
 */
function withPageCsp(request: NextRequest): Response {
  const nonce = newNonce();
  const frameableBySelf = SELF_FRAMEABLE_PATHS.includes(request.nextUrl.pathname);
  const csp = contentSecurityPolicy(getConfig(), process.env.NODE_ENV === "development", { frameableBySelf, nonce });
  const headers = new Headers(request.headers);
  headers.set("x-nonce", nonce);
  headers.set("Content-Security-Policy", csp);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("Content-Security-Policy", csp);
  return response;
}

/**
 * Guards the API (everything under /api except /api/health): a request reaches a route handler
 * only with a token that lib/auth verified. Failures answer here with problem+json and the RFC
 * 6750 `WWW-Authenticate: Bearer` challenge. Nothing about the caller is forwarded in headers:
 * handlers call the same (memoized) verifier themselves. What the verification cost is forwarded
 * (lib/http/proxy-timing.ts), for the response's Server-Timing.
 */
async function guardApi(request: NextRequest): Promise<Response> {
  const started = performance.now();
  const correlationId = correlationIdFrom(request.headers);
  const timing = new ServerTiming({ startedAt: started });
  try {
    await authenticate(request, timing);
  } catch (e) {
    const err = toApiError(e);
    log(err.status >= 500 ? "error" : "info", "api.request", {
      method: request.method,
      path: request.nextUrl.pathname,
      status: err.status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      correlationId,
      code: err.code,
      stage: "proxy",
    });
    const response = toProblemResponse(err, correlationId);
    response.headers.set("server-timing", `proxy-verify;desc="rejected";dur=${(timing.entries[0]?.durationMs ?? 0).toFixed(2)}`);
    return response;
  }
  // The correlation id travels on (so proxy and handler log lines share it), and what the
  // verification cost; a client's own value of either header is overwritten.
  const verify = timing.entries[0];
  const headers = new Headers(request.headers);
  headers.set(CORRELATION_RESPONSE_HEADER, correlationId);
  headers.set(PROXY_TIMING_HEADER, encodeProxyTiming({ startedAt: started, verifyMs: verify?.durationMs ?? 0, verify: verify?.description === "memo" ? "memo" : "full" }));
  return NextResponse.next({ request: { headers } });
}

export const config = {
  matcher: [
    // All API routes except the unauthenticated health check (/api/health and below).
    "/api/((?!health(?:/|$)).*)",
    // Pages, for the CSP; not static assets, and not /auth/* (its pages send their own, stricter one).
    "/((?!api/|auth/|_next/static|_next/image|favicon\\.ico).*)",
  ],
};
