/**
 * Failures of the web sign-in flow that end on an explained page. Each has a stable `code`, an
 * HTTP status and text that says what happened and what to do next. The text is ours: values from
 * the request or the identity provider are only ever shown escaped (see ./pages).
 */
export type WebAuthErrorCode =
  | "not_configured"
  | "bad_host"
  | "invalid_callback"
  | "no_login_in_progress"
  | "state_mismatch"
  | "login_expired"
  | "idp_error"
  | "access_denied"
  | "redeem_failed"
  | "idp_unavailable"
  | "cross_site_request"
  | "tenant_not_allowed"
  | "internal_error"
  | "session_store_unavailable";

export interface WebAuthErrorInit {
  code: WebAuthErrorCode;
  status: number;
  title: string;
  detail: string;
  /** The identity provider's error code and description, shown escaped and truncated. */
  idp?: { error: string; description?: string };
  /**
   * The identity provider's error when it is not for the user's eyes (the app's registration or
   * credentials, trace ids): logged with the correlation id, never shown.
   */
  loggedIdp?: { error: string; description?: string };
  cause?: unknown;
}

export class WebAuthError extends Error {
  readonly code: WebAuthErrorCode;
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly idp?: { error: string; description?: string };
  readonly loggedIdp?: { error: string; description?: string };

  constructor(init: WebAuthErrorInit) {
    super(`${init.code}: ${init.detail}`, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "WebAuthError";
    this.code = init.code;
    this.status = init.status;
    this.title = init.title;
    this.detail = init.detail;
    this.idp = init.idp;
    this.loggedIdp = init.loggedIdp;
  }
}

export function notConfigured(): WebAuthError {
  return new WebAuthError({
    code: "not_configured",
    status: 503,
    title: "Web app sign-in is not configured",
    detail:
      "Set AZURE_WEB_CLIENT_ID and AZURE_WEB_CLIENT_SECRET (the web app registration's client ID and a client secret) in .env.local and restart, or run `npm run dev` to use the bundled identity emulator.",
  });
}

export function badHost(): WebAuthError {
  return new WebAuthError({
    code: "bad_host",
    status: 400,
    title: "Unrecognized host",
    detail: "The request's host name is not valid, so the app cannot build its sign-in addresses. Open the app at its usual address.",
  });
}

export function invalidCallback(): WebAuthError {
  return new WebAuthError({
    code: "invalid_callback",
    status: 400,
    title: "Incomplete sign-in response",
    detail: "This address only accepts the identity provider's answer to a sign-in started by this app, and the answer is missing its code or state. Start the sign-in again.",
  });
}

export function noLoginInProgress(signedIn: boolean): WebAuthError {
  return new WebAuthError({
    code: "no_login_in_progress",
    status: 400,
    title: signedIn ? "This sign-in response was already used" : "No sign-in in progress",
    detail: signedIn
      ? "You are already signed in. A sign-in response can be used only once; going back to it (or reloading it) does nothing."
      : "This browser has no sign-in in progress that matches this response: it was already completed, it was started in another browser, or cookies are blocked. Start the sign-in again.",
  });
}

export function stateMismatch(): WebAuthError {
  return new WebAuthError({
    code: "state_mismatch",
    status: 400,
    title: "Sign-in response does not match",
    detail:
      "The response's state does not match the sign-in this browser started, so it was rejected: it may have been started elsewhere or tampered with. Start the sign-in again from this app.",
  });
}

export function loginExpired(): WebAuthError {
  return new WebAuthError({
    code: "login_expired",
    status: 400,
    title: "Sign-in took too long",
    detail: "A sign-in must be completed within 10 minutes of starting it. Start the sign-in again.",
  });
}

const IDP_CODE = /^[a-z0-9_.-]{1,64}$/i;

/**
 * Identity-provider errors the user can act on themselves (decline, consent, sign in again, pass
 * MFA, restart an expired or used sign-in): their text helps and reveals nothing about the app.
 * Anything else (unauthorized_client, invalid_client such as AADSTS7000215 "invalid client
 * secret", invalid_request, invalid_scope, unknown codes) is about the app's registration or
 * configuration: its text names the app, its tenant and trace ids, so it is logged with the
 * correlation id and the page shows only that id.
 */
const USER_ACTIONABLE = new Set(["access_denied", "consent_required", "interaction_required", "login_required", "account_selection_required", "invalid_grant"]);
/** Errors the identity provider documents as temporary: "try again", text logged. */
const TRANSIENT = new Set(["server_error", "temporarily_unavailable"]);

export function isUserActionableIdpError(code: string): boolean {
  return USER_ACTIONABLE.has(code);
}

function idpDetails(error: string, description: string | null | undefined, max: number): { error: string; description?: string } {
  return { error: IDP_CODE.test(error) ? error : "unknown_error", description: description ? description.slice(0, max) : undefined };
}

/** The identity provider's error is not shown: what the page says instead. */
function hiddenIdpError(code: WebAuthErrorCode, idp: { error: string; description?: string }, cause?: unknown): WebAuthError {
  if (TRANSIENT.has(idp.error)) {
    return new WebAuthError({
      code,
      status: 503,
      title: "Sign-in is temporarily unavailable",
      detail: "The identity provider could not complete the sign-in right now. Wait a moment and try again; if it persists, give the correlation id below to your administrator.",
      loggedIdp: idp,
      cause,
    });
  }
  return new WebAuthError({
    code,
    status: 502,
    title: "Sign-in is not available",
    detail:
      "The identity provider refused this app's sign-in because of a problem with the app's registration or configuration, not with your account. Your administrator can find the details in the app's logs under the correlation id below.",
    loggedIdp: idp,
    cause,
  });
}

/**
 * The identity provider redirected back with `error` instead of a code, for a sign-in this
 * browser started (the caller has matched `state`: text from an unmatched response is never shown).
 */
export function idpError(error: string, description: string | null): WebAuthError {
  const idp = idpDetails(error, description, 400);
  if (idp.error === "access_denied") {
    return new WebAuthError({
      code: "access_denied",
      status: 400,
      title: "Sign-in was cancelled",
      detail: "The sign-in was cancelled or the requested permissions were declined, so you are not signed in. You can try again at any time.",
      idp,
    });
  }
  if (!isUserActionableIdpError(idp.error)) return hiddenIdpError("idp_error", idp);
  return new WebAuthError({
    code: "idp_error",
    status: 400,
    title: "The identity provider could not sign you in",
    detail: "The identity provider answered with an error instead of signing you in. Its message is below; try again, and if it persists, give the error code to your administrator.",
    idp,
  });
}

/**
 * The code could not be redeemed. `idp` is the identity provider's error (`source: "idp"`) or
 * MSAL's own check of the response (`"client"`, e.g. nonce_mismatch): shown only when the user can
 * act on it (invalid_grant: the code expired or was used; interaction or consent).
 */
export function redeemFailed(cause: unknown, idp?: { error: string; description?: string }, source: "idp" | "client" = "idp"): WebAuthError {
  const visible = idp === undefined || isUserActionableIdpError(idp.error);
  if (!visible && source === "idp") return hiddenIdpError("redeem_failed", idpDetails(idp.error, idp.description, 500), cause);
  return new WebAuthError({
    code: "redeem_failed",
    status: 400,
    title: "Sign-in could not be completed",
    detail: "The app could not exchange the sign-in response for tokens (it may have expired or been used already). Start the sign-in again.",
    ...(visible ? { idp } : { loggedIdp: idp }),
    cause,
  });
}

export function idpUnavailable(cause: unknown): WebAuthError {
  return new WebAuthError({
    code: "idp_unavailable",
    status: 503,
    title: "Identity provider unavailable",
    detail: "The app could not reach the identity provider. Wait a moment and try again.",
    cause,
  });
}

export function crossSiteRequest(): WebAuthError {
  return new WebAuthError({
    code: "cross_site_request",
    status: 403,
    title: "Sign-out request rejected",
    detail: "Sign-out only accepts requests sent by this app's own pages (the Sign out button), so another site cannot sign you out. Use the Sign out button on the page.",
  });
}

/** Signed in at organizations, but the user's tenant is not on AZURE_ALLOWED_TENANTS. */
export function tenantNotAllowed(tenantId: string): WebAuthError {
  return new WebAuthError({
    code: "tenant_not_allowed",
    status: 403,
    title: "Your organization can't use this app yet",
    detail: `You signed in with an account of tenant ${tenantId}, which this app does not serve, so you are not signed in here. Ask the people who run the app to add tenant ${tenantId} to its allowed tenants (AZURE_ALLOWED_TENANTS), or sign in with an account of an allowed organization.`,
  });
}

export function internalError(cause: unknown): WebAuthError {
  return new WebAuthError({
    code: "internal_error",
    status: 500,
    title: "Something went wrong",
    detail: "The sign-in could not be completed because of an unexpected error. Try again; if it persists, report the correlation id below.",
    cause,
  });
}

export function sessionStoreUnavailable(cause: unknown): WebAuthError {
  return new WebAuthError({
    code: "session_store_unavailable",
    status: 503,
    title: "Sessions cannot be checked right now",
    detail:
      "The app could not reach the store that records signed-out sessions, so it cannot tell whether your session is still valid and will not trust it until it can. Wait a moment and try again.",
    cause,
  });
}
