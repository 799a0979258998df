import { ConfigError } from "@/lib/config/errors";
import { internalError, isApiError, serverMisconfigured, type ApiError, type BearerChallenge } from "./api-error";
import { PROBLEM_CONTENT_TYPE, problemTypeUri, type ProblemDetails } from "./problem";
import { formatChallenge } from "./www-authenticate";

/** Any thrown value as an ApiError: ours pass through, everything else becomes a bare 500. */
export function toApiError(e: unknown): ApiError {
  if (isApiError(e)) return e;
  if (e instanceof ConfigError || (typeof e === "object" && e !== null && (e as { code?: unknown }).code === "config_invalid")) return serverMisconfigured(e);
  return internalError(e);
}

/** RFC 6750 §3: error_description is limited to %x20-21 / %x23-5B / %x5D-7E. */
function rfc6750Text(text: string): string {
  return text.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, " ").slice(0, 300);
}

/** `Bearer realm="", error="...", error_description="...", <params>` */
export function bearerChallengeHeader(challenge: BearerChallenge): string {
  const params: Array<readonly [string, string | undefined]> = [["realm", ""]];
  const extra = challenge.params ?? [];
  // Entra's documented claims challenge puts authorization_uri before error.
  for (const p of extra) if (p[0] === "authorization_uri") params.push(p);
  params.push(["error", challenge.error]);
  params.push(["error_description", challenge.description === undefined ? undefined : rfc6750Text(challenge.description)]);
  for (const p of extra) if (p[0] !== "authorization_uri") params.push(p);
  return formatChallenge("Bearer", params);
}

export function toProblemDetails(err: ApiError, correlationId: string): ProblemDetails {
  const body: ProblemDetails = {
    type: problemTypeUri(err.code),
    title: err.title,
    status: err.status,
    detail: err.detail,
    code: err.code,
    correlationId,
  };
  if (err.scopes) body.scopes = err.scopes;
  if (err.claims) body.claims = err.claims;
  if (err.tenantId) body.tenantId = err.tenantId;
  if (err.requiredRole) body.requiredRole = err.requiredRole;
  if (err.view) body.view = err.view;
  if (err.retryAfterSeconds !== undefined) body.retryAfter = err.retryAfterSeconds;
  return body;
}

/**
 * The one place an error becomes an HTTP response: `application/problem+json`, plus
 * `WWW-Authenticate` for 401/403 challenges and `Retry-After` for 503s. Never a stack trace,
 * never a token: only the fields chosen in ApiError reach the wire.
 */
export function toProblemResponse(e: unknown, correlationId: string, headers?: HeadersInit): Response {
  const err = toApiError(e);
  const h = new Headers(headers);
  h.set("content-type", PROBLEM_CONTENT_TYPE);
  h.set("cache-control", "no-store");
  h.set("x-correlation-id", correlationId);
  if (err.challenge && (err.status === 401 || err.status === 403 || err.status === 400)) {
    h.set("www-authenticate", bearerChallengeHeader(err.challenge));
  }
  if (err.retryAfterSeconds !== undefined) h.set("retry-after", String(Math.max(0, Math.ceil(err.retryAfterSeconds))));
  return new Response(JSON.stringify(toProblemDetails(err, correlationId)), { status: err.status, headers: h });
}
