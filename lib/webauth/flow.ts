import "server-only";
import { randomBytes, timingSafeEqual } from "node:crypto";
import { AuthError, CryptoProvider, InteractionRequiredAuthError, ServerError } from "@azure/msal-node";
import { LOGIN_TRANSACTION_TTL_MS, MAX_LOGIN_HINT, MAX_PENDING_LOGINS, newSessionId, type LoginTransaction, type SessionUser } from "@/lib/session";
import { describeError, log } from "@/lib/http/log";
import { createWebClient, isAllowedTenant, redirectUri, tenantMetadata, type WebAppConfig } from "./client";
import { WebAuthError, idpUnavailable, internalError, redeemFailed, tenantNotAllowed } from "./errors";
import { DEFAULT_RETURN_TO } from "./return-to";
import { deletePartition } from "./token-cache";

/** `prompt` values a caller may pass through to the identity provider. */
export const ALLOWED_PROMPTS = ["login", "select_account", "consent"] as const;
export type AllowedPrompt = (typeof ALLOWED_PROMPTS)[number];

export function allowedPrompt(value: string | null): AllowedPrompt | undefined {
  return ALLOWED_PROMPTS.find((p) => p === value);
}

/**
 * Extra scopes for incremental consent, limited to the configured Graph scopes and this app's own
 * API scope (space or comma separated; anything else is dropped: a link must not make the app ask
 * for arbitrary permissions).
 */
export function allowedScopes(value: string | null, config: WebAppConfig): string[] {
  if (!value) return [];
  const allowed = new Map([...config.web.scopes, ...config.downstream.graph.scopes, config.api.scope].map((s) => [s.toLowerCase(), s]));
  const picked = value
    .split(/[\s,]+/)
    .map((s) => allowed.get(s.toLowerCase()))
    .filter((s): s is string => s !== undefined);
  return [...new Set(picked)];
}

const MAX_CLAIMS_LENGTH = 1024;

/** A claims challenge (JSON object) to pass to /authorize, or undefined when absent or malformed. */
export function allowedClaims(value: string | null): string | undefined {
  if (!value || value.length > MAX_CLAIMS_LENGTH) return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The scopes the web app signs in with and calls Graph with. A sign-in for this app's API (a
 * step-up for one of its views) asks for the API scope alone: one authorization request, one
 * resource; Graph tokens then come from the refresh token.
 */
export function webScopes(config: WebAppConfig, extra: readonly string[] = []): string[] {
  if (extra.includes(config.api.scope)) return [config.api.scope];
  return [...new Set([...config.web.scopes, ...extra])];
}

function randomToken(): string {
  return randomBytes(32).toString("base64url");
}

export interface BeginLoginInput {
  origin: string;
  returnTo: string;
  extraScopes?: string[];
  prompt?: AllowedPrompt;
  claims?: string;
  /** The signed-in user's name, to skip the account picker when asking for more consent. */
  loginHint?: string;
  /** Sign in at the home tenant's authority (a B2B guest of the app's organization). */
  homeTenant?: boolean;
  correlationId: string;
}

/**
 * Starts the authorization code flow: a fresh state, nonce and PKCE pair, and the /authorize URL
 * carrying them. The caller keeps the returned transaction in the session cookie.
 */
export async function beginLogin(config: WebAppConfig, input: BeginLoginInput): Promise<{ authorizeUrl: string; transaction: LoginTransaction }> {
  const pkce = await new CryptoProvider().generatePkceCodes();
  const transaction: LoginTransaction = {
    state: randomToken(),
    nonce: randomToken(),
    codeVerifier: pkce.verifier,
    returnTo: input.returnTo,
    scopes: webScopes(config, input.extraScopes),
    claims: input.claims,
    ...(input.homeTenant ? { tenant: "home" as const } : {}),
    createdAt: Date.now(),
  };
  const client = await createWebClient(config, undefined, loginAuthority(config, transaction));
  try {
    const authorizeUrl = await client.getAuthCodeUrl({
      scopes: transaction.scopes,
      redirectUri: redirectUri(input.origin),
      responseMode: "query",
      state: transaction.state,
      nonce: transaction.nonce,
      codeChallenge: pkce.challenge,
      codeChallengeMethod: "S256",
      prompt: input.prompt,
      claims: transaction.claims,
      loginHint: input.loginHint,
      correlationId: input.correlationId,
    });
    return { authorizeUrl, transaction };
  } catch (e) {
    throw mapMsalError(e, "login");
  }
}

/** Where a login happens: the sign-in authority, or the home tenant's for a guest ("home"). */
function loginAuthority(config: WebAppConfig, transaction: Pick<LoginTransaction, "tenant">): string {
  return transaction.tenant === "home" ? config.authority : config.signInAuthority;
}

/**
 * The authority for renewing `account`'s tokens: for a B2B guest profile (signed in to a tenant that
 * is not the account's home), that tenant's, since `organizations` renews at the home tenant.
 */
function renewalAuthority(config: WebAppConfig, account: { homeAccountId: string; localAccountId: string; tenantId: string }): string | undefined {
  if (!account.tenantId || account.homeAccountId === `${account.localAccountId}.${account.tenantId}`) return undefined;
  return `${config.authorityHost}/${account.tenantId}`;
}

/** Pending logins to keep: unexpired, newest last, at most MAX_PENDING_LOGINS and small enough for a cookie. */
export function prunePendingLogins(logins: readonly LoginTransaction[], now = Date.now()): LoginTransaction[] {
  const kept = logins.filter((t) => now - t.createdAt < LOGIN_TRANSACTION_TTL_MS).slice(-MAX_PENDING_LOGINS);
  while (kept.length > 1 && JSON.stringify(kept).length > 1500) kept.shift();
  return kept;
}

/** The pending login whose state equals `state` (constant-time comparison). */
export function findLogin(logins: readonly LoginTransaction[], state: string): LoginTransaction | undefined {
  const given = Buffer.from(state);
  return logins.find((t) => {
    const expected = Buffer.from(t.state);
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}

export function isExpired(transaction: LoginTransaction, now = Date.now()): boolean {
  return now - transaction.createdAt >= LOGIN_TRANSACTION_TTL_MS || transaction.createdAt > now + 60_000;
}

/**
 * Redeems the authorization code (PKCE verifier, same redirect URI and scopes; msal-node checks
 * the ID token's signature-independent claims and that its nonce is ours) and writes the tokens to
 * a new session's cache partition. Returns who signed in, under a new session id (never the
 * previous one: a session id is not reused across sign-ins); the tokens stay on the server.
 */
export async function completeLogin(
  config: WebAppConfig,
  input: { origin: string; code: string; transaction: LoginTransaction; correlationId: string },
): Promise<SessionUser> {
  const sessionId = newSessionId();
  const client = await createWebClient(config, { sessionId }, loginAuthority(config, input.transaction));
  try {
    const result = await client.acquireTokenByCode({
      code: input.code,
      scopes: input.transaction.scopes,
      redirectUri: redirectUri(input.origin),
      codeVerifier: input.transaction.codeVerifier,
      nonce: input.transaction.nonce,
      claims: input.transaction.claims,
      correlationId: input.correlationId,
    });
    const account = result.account;
    if (!account?.homeAccountId) throw new Error("the token response carried no account");
    const tenantId = account.tenantId || result.tenantId;
    if (!isAllowedTenant(config, tenantId)) {
      // Signed in at organizations from a tenant this app does not serve: keep nothing of it.
      await deletePartition(config, config.web.clientId, { homeAccountId: account.homeAccountId, sessionId });
      throw tenantNotAllowed(tenantId);
    }
    // Optional ID-token claims, present when the registration asks for them (README): `sid` names
    // the identity provider's session (front-channel logout), `login_hint` is sign-out's logout_hint.
    const claims = (result.idTokenClaims ?? {}) as { sid?: unknown; login_hint?: unknown };
    const { sid, login_hint: loginHint } = claims;
    return {
      homeAccountId: account.homeAccountId,
      name: account.name ?? account.username,
      username: account.username,
      tenantId,
      signedInAt: Date.now(),
      sessionId,
      ...(typeof sid === "string" && sid.length > 0 && sid.length <= 256 ? { idpSessionId: sid } : {}),
      ...(typeof loginHint === "string" && loginHint.length > 0 && loginHint.length <= MAX_LOGIN_HINT ? { loginHint } : {}),
    };
  } catch (e) {
    throw mapMsalError(e, "redeem");
  }
}

/**
 * Thrown when a token cannot be had without the user: the page sends them through /auth/login.
 * `no_account`: the user's partition holds nothing (evicted, expired, lost with an instance);
 * `interaction_required`: the identity provider wants the user (consent, MFA, revoked session).
 */
export class SignInRequiredError extends Error {
  constructor(
    readonly reason: "no_account" | "interaction_required",
    readonly scopes: string[],
    readonly claims?: string,
    options?: { cause?: unknown },
  ) {
    super(`sign-in required (${reason})`, options);
    this.name = "SignInRequiredError";
  }
}

export interface WebAccessToken {
  accessToken: string;
  expiresOn: Date | null;
  scopes: string[];
  /** True when served from the user's cache partition without asking the identity provider. */
  fromCache: boolean;
}

const inflight = new Map<string, Promise<WebAccessToken>>();

/**
 * An access token for the configured Graph scopes from the user's partition: cached while fresh,
 * refreshed with the refresh token when not. Throws SignInRequiredError when the partition is gone
 * (evicted, expired, another instance without Redis) or the identity provider wants interaction
 * (consent, MFA, revoked session): the caller redirects to /auth/login.
 */
export async function acquireWebToken(
  config: WebAppConfig,
  user: Pick<SessionUser, "homeAccountId" | "sessionId">,
  correlationId: string,
  scopes: string[] = webScopes(config),
): Promise<WebAccessToken> {
  const key = `${user.sessionId}|${user.homeAccountId}|${scopes.join(" ")}`;
  const existing = inflight.get(key);
  if (existing) return existing;
  const p = acquireUncoalesced(config, user, scopes, correlationId).finally(() => inflight.delete(key));
  inflight.set(key, p);
  return p;
}

async function acquireUncoalesced(
  config: WebAppConfig,
  { homeAccountId, sessionId }: Pick<SessionUser, "homeAccountId" | "sessionId">,
  scopes: string[],
  correlationId: string,
): Promise<WebAccessToken> {
  let client = await createWebClient(config, { homeAccountId, sessionId });
  const account = await client.getTokenCache().getAccountByHomeId(homeAccountId);
  if (!account) throw new SignInRequiredError("no_account", scopes);
  const guestAuthority = renewalAuthority(config, account);
  if (guestAuthority) client = await createWebClient(config, { homeAccountId, sessionId }, guestAuthority);
  try {
    const result = await client.acquireTokenSilent({ account, scopes, correlationId });
    if (!result.accessToken) throw new SignInRequiredError("no_account", scopes);
    return { accessToken: result.accessToken, expiresOn: result.expiresOn, scopes: result.scopes, fromCache: result.fromCache };
  } catch (e) {
    if (e instanceof SignInRequiredError) throw e;
    if (e instanceof InteractionRequiredAuthError) throw new SignInRequiredError("interaction_required", scopes, e.claims || undefined, { cause: e });
    // A refresh token the identity provider no longer accepts (expired, revoked): sign in again.
    if (e instanceof ServerError && e.errorCode === "invalid_grant") throw new SignInRequiredError("interaction_required", scopes, undefined, { cause: e });
    throw mapMsalError(e, "silent");
  }
}

/**
 * The identity provider's sign-out URL: ends the user's session there too (and, through the
 * front-channel logout URLs, in the other apps of that session), then comes back to `<origin>/web`,
 * which must be registered as one of the web app's redirect URIs: Entra accepts no other
 * post_logout_redirect_uri. With the ID token's `login_hint` claim as `logout_hint`, Entra signs
 * that account out without asking "Pick an account" (Microsoft Learn, "Send a sign-out request").
 */
export async function signOutUrl(config: WebAppConfig, origin: string, loginHint?: string): Promise<string> {
  let endpoint = `${config.authority}/oauth2/v2.0/logout`;
  try {
    endpoint = (await tenantMetadata(config)).end_session_endpoint ?? endpoint;
  } catch {
    // discovery down: the well-known v2 logout address is good enough to sign out
  }
  const url = new URL(endpoint);
  url.searchParams.set("post_logout_redirect_uri", `${origin}${DEFAULT_RETURN_TO}`);
  url.searchParams.set("client_id", config.web.clientId);
  if (loginHint) url.searchParams.set("logout_hint", loginHint);
  return url.toString();
}

/** Where a page sends the user to get a token interactively (incremental consent, claims challenge). */
export function signInPath(options: { returnTo: string; scopes?: readonly string[]; claims?: string; prompt?: AllowedPrompt; homeTenant?: boolean }): string {
  const params = new URLSearchParams({ returnTo: options.returnTo });
  if (options.scopes?.length) params.set("scopes", options.scopes.join(" "));
  if (options.claims) params.set("claims", options.claims);
  if (options.prompt) params.set("prompt", options.prompt);
  if (options.homeTenant) params.set("tenant", "home");
  return `/auth/login?${params.toString()}`;
}

function mapMsalError(e: unknown, step: "login" | "redeem" | "silent"): WebAuthError {
  if (e instanceof WebAuthError) return e;
  log("warn", `webauth.${step}_failed`, { error: describeError(e) });
  if (e instanceof AuthError) {
    const code = e.errorCode;
    if (code === "network_error" || code === "endpoints_resolution_error" || code === "openid_config_error" || (e instanceof ServerError && (e.status ?? 0) >= 500)) {
      return idpUnavailable(e);
    }
    if (step === "redeem") {
      const fromIdp = e instanceof ServerError || e instanceof InteractionRequiredAuthError;
      return redeemFailed(e, { error: code, description: fromIdp ? firstLine(e.errorMessage) : undefined }, fromIdp ? "idp" : "client");
    }
  }
  if (e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError" || e.message.startsWith("fetch failed"))) return idpUnavailable(e);
  return internalError(e);
}

function firstLine(text: string): string {
  return (text.split(/\r?\n/)[0] ?? "").slice(0, 300);
}
