import { NextResponse, type NextRequest } from "next/server";
import { authenticate } from "@/lib/auth";
import { toApiError, toProblemResponse } from "@/lib/errors";
import { CORRELATION_RESPONSE_HEADER, correlationIdFrom } from "@/lib/http/correlation";
import { log } from "@/lib/http/log";

/**
 * Guards the API (everything under /api except /api/health): a request reaches a route handler
 * only with a token that lib/auth verified. Failures answer here with problem+json and the RFC
 * 6750 `WWW-Authenticate: Bearer` challenge. Nothing about the caller is forwarded in headers:
 * handlers call the same (memoized) verifier themselves.
 */
export async function proxy(request: NextRequest): Promise<Response> {
  const started = performance.now();
  const correlationId = correlationIdFrom(request.headers);
  try {
    await authenticate(request);
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
    return toProblemResponse(err, correlationId);
  }
  // Only the correlation id travels on (so proxy and handler log lines share it).
  const headers = new Headers(request.headers);
  headers.set(CORRELATION_RESPONSE_HEADER, correlationId);
  return NextResponse.next({ request: { headers } });
}

export const config = {
  // All API routes except the unauthenticated health check (/api/health and below).
  matcher: ["/api/((?!health(?:/|$)).*)"],
};
