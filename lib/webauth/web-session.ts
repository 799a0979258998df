import "server-only";
import { isStoreUnavailable } from "@/lib/cache";
import type { AppConfig } from "@/lib/config";
import { describeError, log } from "@/lib/http/log";
import { SessionRevocations, openRouteSession, readSession, type ReadonlyCookieStore, type RouteSession, type SessionUser, type WebSessionData } from "@/lib/session";
import { sessionStoreUnavailable } from "./errors";
import { deletePartition, getWebTokenStore } from "./token-cache";

/**
 * The web app's sessions with their revocation records, kept in the web token store (Redis when
 * configured, so every instance sees a sign-out at once).
 *
 * When the store cannot answer (Redis down), session reads fail closed: a revoked cookie must not
 * come back to life during an outage, so pages and handlers explain that sessions cannot be checked
 * (503) instead of trusting them. Sign-out alone still works (its revocation is replayed when Redis
 * returns), and the SPA and its API do not use these sessions at all.
 */
export function webSessionRevocations(config: AppConfig): SessionRevocations {
  return new SessionRevocations(getWebTokenStore(config), config.session.maxAgeSeconds);
}

/** A route handler's session, revocation-checked; a revoked session's tokens are forgotten too. */
export async function openWebSession(request: Request, config: AppConfig, secure: boolean): Promise<RouteSession> {
  let rs: RouteSession;
  try {
    rs = await openRouteSession(request, config, { secure }, { revocations: webSessionRevocations(config) });
  } catch (e) {
    throw isStoreUnavailable(e) ? sessionStoreUnavailable(e) : e;
  }
  if (rs.revokedUser && config.web) await deletePartition(config, config.web.clientId, rs.revokedUser);
  return rs;
}

/** Sign-out's read of the session it is about to end: not revocation-checked, so it works while Redis is down. */
export function openWebSessionForSignOut(request: Request, config: AppConfig, secure: boolean): Promise<RouteSession> {
  return openRouteSession(request, config, { secure }, { signingOut: true });
}

/** A Server Component's read of the session, revocation-checked. */
export async function readWebSession(cookieStore: ReadonlyCookieStore, config: AppConfig, secure: boolean): Promise<WebSessionData> {
  try {
    return await readSession(cookieStore, config, { secure }, webSessionRevocations(config));
  } catch (e) {
    throw isStoreUnavailable(e) ? sessionStoreUnavailable(e) : e;
  }
}

/**
 * Ends a web session for good: its id is recorded as revoked on every instance (a copy of the
 * cookie is refused from now on) and its tokens are deleted. Never throws: sign-out must complete.
 */
export async function endWebSession(config: AppConfig, user: SessionUser): Promise<void> {
  try {
    await webSessionRevocations(config).revokeSession(user.sessionId);
  } catch (e) {
    log("error", "webauth.session_not_revoked", { error: describeError(e) });
  }
  if (config.web) await deletePartition(config, config.web.clientId, user);
}

/**
 * At sign-in: remember the identity-provider session the new session was established under, so its
 * front-channel logout is honoured. Never throws: sign-in completes (that sign-out then goes unheard).
 */
export async function rememberIdpSession(config: AppConfig, idpSessionId: string): Promise<void> {
  try {
    await webSessionRevocations(config).rememberIdpSession(idpSessionId);
  } catch (e) {
    log("error", "webauth.idp_session_not_remembered", { error: describeError(e) });
  }
}
