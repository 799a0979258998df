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
  | "internal_error";

export interface WebAuthErrorInit {
  code: WebAuthErrorCode;
  status: number;
  title: string;
  detail: string;
  /** The identity provider's error code and description, shown escaped and truncated. */
  idp?: { error: string; description?: string };
  cause?: unknown;
}

export class WebAuthError extends Error {
  readonly code: WebAuthErrorCode;
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly idp?: { error: string; description?: string };

  constructor(init: WebAuthErrorInit) {
    super(`${init.code}: ${init.detail}`, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "WebAuthError";
    this.code = init.code;
    this.status = init.status;
    this.title = init.title;
    this.detail = init.detail;
    this.idp = init.idp;
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

/** The identity provider redirected back with `error` instead of a code. */
export function idpError(error: string, description: string | null): WebAuthError {
  const code = IDP_CODE.test(error) ? error : "unknown_error";
  const idp = { error: code, description: description ? description.slice(0, 400) : undefined };
  if (code === "access_denied") {
    return new WebAuthError({
      code: "access_denied",
      status: 400,
      title: "Sign-in was cancelled",
      detail: "The sign-in was cancelled or the requested permissions were declined, so you are not signed in. You can try again at any time.",
      idp,
    });
  }
  return new WebAuthError({
    code: "idp_error",
    status: 400,
    title: "The identity provider could not sign you in",
    detail: "The identity provider answered with an error instead of signing you in. Its message is below; try again, and if it persists, give the error code to your administrator.",
    idp,
  });
}

export function redeemFailed(cause: unknown, idp?: { error: string; description?: string }): WebAuthError {
  return new WebAuthError({
    code: "redeem_failed",
    status: 400,
    title: "Sign-in could not be completed",
    detail: "The app could not exchange the sign-in response for tokens (it may have expired or been used already). Start the sign-in again.",
    idp,
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
