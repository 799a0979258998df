import {
  AuthError,
  InteractionRequiredAuthError,
  type AccountInfo,
  type IPublicClientApplication,
  type RedirectRequest,
} from "@azure/msal-browser";

/** Thrown when the call handed control to a sign-in redirect; the page is about to unload. */
export class InteractionStartedError extends Error {
  constructor() {
    super("Redirecting to the identity provider");
    this.name = "InteractionStartedError";
  }
}

/** Silent renewal failed and signing in again did not help either (a redirect just came back). */
export class SignInRequiredError extends Error {
  constructor() {
    super("You signed in again, but the app still could not get a token for its API. Sign out, then sign in again.");
    this.name = "SignInRequiredError";
  }
}

/**
 * Errors of a silent token request that the user can fix by signing in (once):
 * - InteractionRequiredAuthError: login_required / interaction_required from the hidden iframe
 *   (the sign-in session is over), consent_required, no_tokens_found, refresh_token_expired;
 * - the hidden iframe that renews with prompt=none did not answer (`timed_out`, msal-browser 5's
 *   name for msal 2's monitor_window_timeout): third-party cookies blocked, the page not framable;
 * - `invalid_grant` from the token endpoint (refresh token past its 24 hours, AADSTS700084, or
 *   revoked, AADSTS50173) when no iframe renewal was attempted.
 * Network trouble, a busy identity provider or a misconfiguration is not fixed by signing in.
 */
export function isFixableBySignIn(error: unknown): boolean {
  if (error instanceof InteractionRequiredAuthError) return true;
  if (!(error instanceof AuthError)) return false;
  return ["timed_out", "monitor_window_timeout", "iframe_closed_prematurely", "invalid_grant"].includes(error.errorCode);
}

// A sign-in redirect made for renewal, remembered across it (sessionStorage: this tab only).
// When silent renewal fails again right after that redirect came back, a second redirect would
// loop: the user gets an explanation instead.
const RENEWAL_REDIRECT_KEY = "spa.renewal-redirect-at";
const LOOP_WINDOW_MS = 60_000;
let redirecting = false;

export interface TokenRequest {
  msal: IPublicClientApplication;
  account: AccountInfo;
  scope: string;
  /** Skip the cached access token (e.g. the API said the one we sent is no longer valid). */
  forceRefresh?: boolean;
  /** A claims challenge to satisfy (Conditional Access): asked silently first (refresh token). */
  claims?: string;
  /** e.g. https://login.microsoftonline.com: a guest's tokens come from the inviting tenant's authority. */
  authorityHost?: string;
  /** Never send the user to sign in from here (background calls such as the navigation's): fail instead. */
  silentOnly?: boolean;
  /**
   * Claims this call is known to need (a step-up it needed before, e.g. an authentication
   * context): a sign-in for renewal asks for them too, so the user is not sent round twice.
   */
  renewalClaims?: string;
}

/**
 * The authority for silent requests of `account`: for a B2B guest profile (signed in to a tenant
 * that is not the account's home, e.g. a guest of this app's organization), that tenant's own
 * authority, since `organizations` would renew at the guest's home tenant instead (msal-browser,
 * "Multi-tenant accounts"). Undefined: the configured authority, as for everyone else.
 */
export function silentAuthority(account: AccountInfo, authorityHost: string | undefined): string | undefined {
  if (!authorityHost || !account.tenantId || !account.localAccountId) return undefined;
  const homeProfile = account.homeAccountId === `${account.localAccountId}.${account.tenantId}`;
  return homeProfile ? undefined : `${authorityHost}/${account.tenantId}`;
}

/**
 * An access token for this app's API: from msal-browser's cache, its refresh token, or its hidden
 * iframe (prompt=none, through the /redirect bridge) — all without the user noticing. When none
 * of those can work and signing in would fix it, ONE redirect to sign in, which brings the user
 * back to the page they were on (msal-browser keeps the page in sessionStorage across the
 * redirect, `redirectStartPage`).
 */
export async function tokenFor({ msal, account, scope, forceRefresh, claims, authorityHost, silentOnly, renewalClaims }: TokenRequest): Promise<string> {
  try {
    const authority = silentAuthority(account, authorityHost);
    const result = await msal.acquireTokenSilent({ scopes: [scope], account, forceRefresh, ...(claims ? { claims } : {}), ...(authority ? { authority } : {}) });
    sessionStorage.removeItem(RENEWAL_REDIRECT_KEY);
    return result.accessToken;
  } catch (error) {
    // Another call of this page already started the redirect: the page is about to unload.
    if (redirecting) throw new InteractionStartedError();
    if (!isFixableBySignIn(error) || silentOnly) throw error;
    const last = Number(sessionStorage.getItem(RENEWAL_REDIRECT_KEY) ?? 0);
    if (Date.now() - last < LOOP_WINDOW_MS) {
      sessionStorage.removeItem(RENEWAL_REDIRECT_KEY);
      throw new SignInRequiredError();
    }
    sessionStorage.setItem(RENEWAL_REDIRECT_KEY, String(Date.now()));
    const authority = silentAuthority(account, authorityHost);
    return redirectToSignIn(msal, { scopes: [scope], account, ...(authority ? { authority } : {}), ...(renewalClaims ? { claims: renewalClaims } : {}) });
  }
}

/**
 * Sends the user to the identity provider and back to this page (msal-browser's redirect
 * bridge). One redirect per page: calls that fail while it starts wait for the unload.
 */
export async function redirectToSignIn(msal: IPublicClientApplication, request: Omit<RedirectRequest, "redirectStartPage">): Promise<never> {
  if (redirecting) throw new InteractionStartedError();
  redirecting = true;
  try {
    await msal.acquireTokenRedirect({ ...request, redirectStartPage: window.location.href });
  } catch (redirectError) {
    redirecting = false;
    throw redirectError;
  }
  throw new InteractionStartedError();
}
