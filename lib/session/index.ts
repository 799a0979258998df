export {
  isLoginTransaction,
  isSessionUser,
  newSessionId,
  openRouteSession,
  readSession,
  sessionCookieName,
  sessionOptions,
  type ReadonlyCookieStore,
  type RouteSession,
  type SessionCheck,
  type SessionCookieSettings,
  type WebSession,
} from "./session";
export { LOGIN_TRANSACTION_TTL_MS, MAX_LOGIN_HINT, MAX_PENDING_LOGINS, type LoginTransaction, type SessionUser, type WebSessionData } from "./types";
export { SessionRevocations } from "./revocation";
