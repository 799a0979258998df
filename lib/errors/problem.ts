/**
 * The error contract between the API and its clients (SPA, CLI, tests). Importable from browser
 * code: types and constants only.
 */

/** Stable, machine-readable reasons. Clients switch on these, never on `title`/`detail` text. */
export const PROBLEM_CODES = [
  // the caller's token (proxy.ts and handlers)
  "missing_token",
  "invalid_request",
  "invalid_token",
  "insufficient_scope",
  "tenant_not_allowed",
  "client_not_allowed",
  // authorization (lib/authz): the caller lacks the view's app role (or group)
  "role_required",
  // On-Behalf-Of (the identity provider said no, or could not be reached)
  "insufficient_claims",
  "consent_required",
  "idp_unavailable",
  "key_set_unavailable",
  // downstream APIs (Graph, ARM, ...)
  "downstream_throttled",
  "downstream_unavailable",
  "downstream_timeout",
  "downstream_error",
  "downstream_link_refused",
  // generic
  "not_found",
  "method_not_allowed",
  "server_misconfigured",
  "internal_error",
] as const;

export type ProblemCode = (typeof PROBLEM_CODES)[number];

/** RFC 9457 problem details as this API sends them (`application/problem+json`). */
export interface ProblemDetails {
  /** A URN naming the problem type, e.g. `urn:ms-identity-nextjs:problem:consent_required`. */
  type: string;
  title: string;
  status: number;
  /** What happened and what to do next, for people. */
  detail: string;
  code: ProblemCode;
  correlationId: string;
  /** consent_required: the downstream scopes the user (or an admin) must consent to. */
  scopes?: string[];
  /** tenant_not_allowed: the caller's tenant (`tid`), which the app's operator would have to allow. */
  tenantId?: string;
  /** role_required: the API's app role that grants the view, to ask an administrator for. */
  requiredRole?: string;
  /** role_required: the view that was refused, e.g. "subscriptions". */
  view?: string;
  /** insufficient_claims: the claims challenge JSON to pass to msal-browser as `claims`. */
  claims?: string;
  /** 503s: seconds to wait before retrying (also in the Retry-After header). */
  retryAfter?: number;
}

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export function problemTypeUri(code: ProblemCode): string {
  return `urn:ms-identity-nextjs:problem:${code}`;
}

/** Narrowing helper for clients that received a JSON body. */
export function isProblemDetails(value: unknown): value is ProblemDetails {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.code === "string" && typeof v.status === "number" && (PROBLEM_CODES as readonly string[]).includes(v.code);
}
