import type { ProblemCode } from "./problem";

/** The `WWW-Authenticate: Bearer ...` challenge that goes with a 401/403. */
export interface BearerChallenge {
  /** RFC 6750 error code; omitted when the request carried no credentials at all (RFC 6750 §3.1). */
  error?: string;
  description?: string;
  /** Extra auth-params in order, e.g. scope, authorization_uri, claims. */
  params?: ReadonlyArray<readonly [string, string]>;
}

export interface ApiErrorInit {
  status: number;
  code: ProblemCode;
  title: string;
  /** Safe for the caller to read: what happened and what to do next. Never secrets or tokens. */
  detail: string;
  challenge?: BearerChallenge;
  retryAfterSeconds?: number;
  scopes?: string[];
  claims?: string;
  /** tenant_not_allowed: the caller's tenant id. */
  tenantId?: string;
  /** role_required: the app role that grants the view, and the view. */
  requiredRole?: string;
  view?: string;
  /** Internal cause for logs (its message is logged, never sent). */
  cause?: unknown;
}

const BRAND = Symbol.for("ms-identity-nextjs.ApiError");

/**
 * Every failure the API answers on purpose. `toProblemResponse` (./response) is the one place
 * that turns it into HTTP.
 */
export class ApiError extends Error {
  /** Brand checked by isApiError: proxy.ts and route handlers are separate bundles with separate classes. */
  readonly [BRAND] = true;
  readonly status: number;
  readonly code: ProblemCode;
  readonly title: string;
  readonly detail: string;
  readonly challenge?: BearerChallenge;
  readonly retryAfterSeconds?: number;
  readonly scopes?: string[];
  readonly claims?: string;
  readonly tenantId?: string;
  readonly requiredRole?: string;
  readonly view?: string;

  constructor(init: ApiErrorInit) {
    super(`${init.code}: ${init.detail}`, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "ApiError";
    this.status = init.status;
    this.code = init.code;
    this.title = init.title;
    this.detail = init.detail;
    this.challenge = init.challenge;
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.scopes = init.scopes;
    this.claims = init.claims;
    this.tenantId = init.tenantId;
    this.requiredRole = init.requiredRole;
    this.view = init.view;
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError || (typeof e === "object" && e !== null && (e as { [BRAND]?: unknown })[BRAND] === true);
}

// ---- the caller's token -------------------------------------------------------------------

export function missingToken(): ApiError {
  return new ApiError({
    status: 401,
    code: "missing_token",
    title: "Authentication required",
    detail: "Send an access token for this API in the Authorization header: `Authorization: Bearer <token>`.",
    challenge: {},
  });
}

export function invalidRequest(description: string): ApiError {
  return new ApiError({
    status: 400,
    code: "invalid_request",
    title: "Malformed Authorization header",
    detail: `${description} Send exactly one header of the form \`Authorization: Bearer <token>\`.`,
    challenge: { error: "invalid_request", description },
  });
}

export function invalidToken(description: string, cause?: unknown): ApiError {
  return new ApiError({
    status: 401,
    code: "invalid_token",
    title: "Invalid access token",
    detail: `${description} Acquire a new access token for this API and retry.`,
    challenge: { error: "invalid_token", description },
    cause,
  });
}

export function insufficientScope(description: string, requiredScope: string): ApiError {
  return new ApiError({
    status: 403,
    code: "insufficient_scope",
    title: "Insufficient scope",
    detail: `${description} Request a token with the scope ${requiredScope}.`,
    challenge: { error: "insufficient_scope", description, params: [["scope", requiredScope]] },
    scopes: [requiredScope],
  });
}

/**
 * A genuine token (signature, issuer, audience checked) from a tenant the API does not serve.
 * 403, not 401: a new token will not help; the app's operator must allow the tenant. No
 * WWW-Authenticate challenge, since there is nothing the client can fix by authenticating again.
 */
export function tenantNotAllowed(tenantId: string): ApiError {
  return new ApiError({
    status: 403,
    code: "tenant_not_allowed",
    title: "Organization not allowed",
    detail: `Your organization (tenant ${tenantId}) is not allowed to use this app. Ask the people who run the app to add tenant ${tenantId} to its list of allowed tenants (AZURE_ALLOWED_TENANTS).`,
    tenantId,
  });
}

/**
 * A genuine caller without the app role (or group) a view needs: 403, and no challenge, since a new
 * token changes nothing until an administrator assigns the role. The detail says whom to ask for what.
 */
export function roleRequired(view: string, role: string, viaGroups: boolean): ApiError {
  return new ApiError({
    status: 403,
    code: "role_required",
    title: "Ask your admin for access",
    detail:
      `The ${view} view needs the app role ${role} of this app's API. Ask an administrator of your organization to assign you ${role} ` +
      `(Microsoft Entra admin center > Enterprise applications > this app's API > Users and groups)` +
      `${viaGroups ? ", or to add you to a group that grants this view" : ""}. It takes effect the next time you sign in.`,
    requiredRole: role,
    view,
  });
}

export function appOnlyToken(requiredScope: string): ApiError {
  const description = "App-only tokens cannot call user endpoints.";
  return new ApiError({
    status: 403,
    code: "insufficient_scope",
    title: "Delegated token required",
    detail: `This endpoint acts on behalf of a signed-in user; an application token (client credentials) is not accepted. Request a delegated token with the scope ${requiredScope}.`,
    challenge: { error: "insufficient_scope", description, params: [["scope", requiredScope]] },
    scopes: [requiredScope],
  });
}

/**
 * A valid token obtained by a client application this API does not serve (`azp` not allowed):
 * without this, any app a user consented to could use the API as a relay to Graph and ARM.
 */
export function clientNotAllowed(clientId: string): ApiError {
  const description = `The application ${clientId} is not allowed to call this API.`;
  return new ApiError({
    status: 403,
    code: "client_not_allowed",
    title: "Client application not allowed",
    detail: `${description} Use this app's own sign-in (its web front end or CLI); to allow another application, its owner must add its client id to AZURE_ALLOWED_CLIENT_IDS.`,
    challenge: { error: "insufficient_scope", description },
  });
}

export function keySetUnavailable(cause?: unknown, retryAfterSeconds = 5): ApiError {
  return new ApiError({
    status: 503,
    code: "key_set_unavailable",
    title: "Token signing keys unavailable",
    detail: "The API could not load the identity provider's signing keys to check your token. Retry shortly.",
    retryAfterSeconds,
    cause,
  });
}

// ---- On-Behalf-Of ---------------------------------------------------------------------------

/**
 * Conditional Access / MFA / CAE: the documented Entra claims challenge
 * (`Bearer realm="", authorization_uri="...", error="insufficient_claims", claims="<base64>"`).
 */
export function insufficientClaims(claimsJson: string, claimsBase64: string, authorizationUri: string, cause?: unknown): ApiError {
  return new ApiError({
    status: 401,
    code: "insufficient_claims",
    title: "Additional sign-in required",
    detail:
      "Your organization requires an extra step (for example multi-factor authentication) before this data can be read. Sign in again with the claims from the WWW-Authenticate header, then retry.",
    challenge: {
      error: "insufficient_claims",
      description: "The presented token is missing claims required by Conditional Access.",
      params: [
        ["authorization_uri", authorizationUri],
        ["claims", claimsBase64],
      ],
    },
    claims: claimsJson,
    cause,
  });
}

export function consentRequired(scopes: string[], cause?: unknown): ApiError {
  return new ApiError({
    status: 403,
    code: "consent_required",
    title: "Consent required",
    detail: `The API needs permission to call ${scopes.join(" ")} on your behalf, and it has not been granted. Sign in again and accept the permissions, or ask an administrator to grant consent for your organization.`,
    challenge: {
      error: "consent_required",
      description: "The user or administrator has not consented to the downstream permissions.",
      params: [["scope", scopes.join(" ")]],
    },
    scopes,
    cause,
  });
}

export function idpUnavailable(retryAfterSeconds: number, cause?: unknown): ApiError {
  return new ApiError({
    status: 503,
    code: "idp_unavailable",
    title: "Identity provider unavailable",
    detail: "The API could not get a token from the identity provider for the downstream service. Retry shortly.",
    retryAfterSeconds,
    cause,
  });
}

// ---- downstream APIs ------------------------------------------------------------------------

export function downstreamThrottled(api: string, retryAfterSeconds: number): ApiError {
  return new ApiError({
    status: 503,
    code: "downstream_throttled",
    title: "Downstream service busy",
    detail: `${api} is throttling requests. Retry after ${retryAfterSeconds} seconds.`,
    retryAfterSeconds,
  });
}

export function downstreamUnavailable(api: string, retryAfterSeconds: number, cause?: unknown): ApiError {
  return new ApiError({
    status: 503,
    code: "downstream_unavailable",
    title: "Downstream service unavailable",
    detail: `${api} could not be reached or is unavailable. Retry after ${retryAfterSeconds} seconds.`,
    retryAfterSeconds,
    cause,
  });
}

export function downstreamTimeout(api: string, timeoutMs: number): ApiError {
  return new ApiError({
    status: 504,
    code: "downstream_timeout",
    title: "Downstream service timed out",
    detail: `${api} did not answer within ${timeoutMs} ms. Retry later.`,
  });
}

export function downstreamError(api: string, status: number, cause?: unknown): ApiError {
  return new ApiError({
    status: 502,
    code: "downstream_error",
    title: "Downstream service error",
    detail: `${api} answered with HTTP ${status}. Retry later; if it persists, report the correlation id.`,
    cause,
  });
}

/**
 * The API answered with a paging link this app will not follow (another origin, not https, or
 * a spelling a URL parser would have to repair): following it would send the user's token there.
 */
export function downstreamLinkRefused(api: string, cause?: unknown): ApiError {
  return new ApiError({
    status: 502,
    code: "downstream_link_refused",
    title: "Downstream paging link refused",
    detail: `${api} answered with a link to its next page that leads elsewhere; it was not followed and your token was not sent anywhere else. Retry later; if it persists, report the correlation id.`,
    cause,
  });
}

// ---- generic -----------------------------------------------------------------------------------

export function notFound(detail = "There is no API at this address."): ApiError {
  return new ApiError({ status: 404, code: "not_found", title: "Not found", detail });
}

export function serverMisconfigured(cause?: unknown): ApiError {
  return new ApiError({
    status: 500,
    code: "server_misconfigured",
    title: "Server misconfigured",
    detail: "The API's configuration is invalid; the server log names the variables to fix.",
    cause,
  });
}

export function internalError(cause?: unknown): ApiError {
  return new ApiError({
    status: 500,
    code: "internal_error",
    title: "Internal error",
    detail: "Something unexpected went wrong. Retry; if it persists, report the correlation id.",
    cause,
  });
}
