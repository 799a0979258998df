/**
 * What the web app's session cookie holds: who is signed in, and the short-lived state of logins in
 * progress. Never tokens: those stay in the server-side token cache partition (lib/webauth).
 */

/** The signed-in user, as far as the pages need to know. */
export interface SessionUser {
  /** MSAL's home account id (`<oid>.<tid>`): with sessionId, the key of the user's token cache partition. */
  homeAccountId: string;
  /** Display name from the ID token (`name`). */
  name: string;
  /** Sign-in name from the ID token (`preferred_username`). */
  username: string;
  /** The user's tenant (`tid`). */
  tenantId: string;
  /** When the user signed in (ms since epoch); lets /web avoid a redirect loop right after sign-in. */
  signedInAt: number;
  /**
   * Random id of this sign-in (32 bytes, base64url), new at every sign-in: with homeAccountId the
   * key of the token cache partition, and what sign-out records as revoked (./revocation).
   */
  sessionId: string;
  /**
   * The identity provider's session (the ID token's `sid`), when it sent one: its front-channel
   * logout names it, and every app session established under it ends then.
   */
  idpSessionId?: string;
  /**
   * The ID token's `login_hint` claim (an opaque value, when the registration asks for that
   * optional claim): sign-out sends it as `logout_hint`, so the identity provider does not ask
   * which account to sign out.
   */
  loginHint?: string;
}

/**
 * One authorization request in flight, bound to this browser by the encrypted cookie. The callback
 * accepts a response only when its `state` matches one of these, within LOGIN_TRANSACTION_TTL_MS.
 */
export interface LoginTransaction {
  /** Random value sent as `state`; the callback must bring it back (CSRF / login-injection defence). */
  state: string;
  /** PKCE code verifier: the code can only be redeemed by whoever started the flow. */
  codeVerifier: string;
  /** Sent as `nonce`; msal-node checks the ID token carries it (replay defence). */
  nonce: string;
  /** Where to go after sign-in: an already sanitized same-origin path. */
  returnTo: string;
  /** Scopes requested at /authorize; the code is redeemed for the same ones. */
  scopes: string[];
  /** A claims challenge (Conditional Access) requested at /authorize, if any. */
  claims?: string;
  /**
   * "home": sign in at the home tenant's authority even when users sign in at `organizations`
   * (a B2B guest of the app's organization); the code is redeemed there too.
   */
  tenant?: "home";
  /** ms since epoch. */
  createdAt: number;
}

export interface WebSessionData {
  user?: SessionUser;
  /** Logins in progress, oldest first (several tabs may sign in at once); at most MAX_PENDING_LOGINS. */
  logins?: LoginTransaction[];
}

/** A login transaction is valid this long: enough to type a password and do MFA, short enough to be useless when stolen. */
export const LOGIN_TRANSACTION_TTL_MS = 10 * 60 * 1000;

/** Pending logins kept per browser; the oldest is dropped beyond this (keeps the cookie small). */
export const MAX_PENDING_LOGINS = 3;

/** The longest `login_hint` claim kept in the cookie (Entra's are a few hundred characters). */
export const MAX_LOGIN_HINT = 1024;
