import "server-only";
import { randomBytes } from "node:crypto";
import { getIronSession, type IronSession, type SessionOptions } from "iron-session";
import type { AppConfig } from "@/lib/config";
import { describeError, log } from "@/lib/http/log";
import type { SessionRevocations } from "./revocation";
import { MAX_LOGIN_HINT, type LoginTransaction, type SessionUser, type WebSessionData } from "./types";

/**
 * The cookie's name. `__Host-` makes the browser refuse it unless it is Secure, host-only and
 * Path=/, so a sibling subdomain cannot plant or overwrite it; browsers reject that prefix on
 * plain http, hence the unprefixed name for http://localhost.
 */
export function sessionCookieName(secure: boolean): string {
  return secure ? "__Host-web-session" : "web-session";
}

/** Lifetime of a cookie that only carries a login in progress (no user yet). */
const ANONYMOUS_TTL_SECONDS = 15 * 60;

export interface SessionCookieSettings {
  /** True when the app's public origin is https: the cookie is then Secure and `__Host-` prefixed. */
  secure: boolean;
  /** Seal and cookie lifetime; defaults to the configured session lifetime. */
  ttlSeconds?: number;
}

/**
 * iron-session options: the cookie is encrypted and authenticated (iron: AES-256-CBC +
 * HMAC-SHA-256) with SESSION_PASSWORD; HttpOnly (no script can read it), SameSite=Lax (sent on
 * the identity provider's top-level redirect back to /auth/callback, not on cross-site
 * subrequests), Secure over https, and bounded: the seal itself expires after `ttl`, so an old
 * copy of the cookie is worthless even if a browser kept it.
 */
export function sessionOptions(config: Pick<AppConfig, "session">, settings: SessionCookieSettings): SessionOptions {
  return {
    cookieName: sessionCookieName(settings.secure),
    password: config.session.password,
    ttl: settings.ttlSeconds ?? config.session.maxAgeSeconds,
    cookieOptions: { httpOnly: true, secure: settings.secure, sameSite: "lax", path: "/" },
  };
}

export type WebSession = IronSession<WebSessionData>;

/**
 * How a read treats revocation records: every read checks them (a copied cookie must stop working
 * at sign-out), except sign-out's own read, which is about to revoke the session anyway and must
 * work while the shared store is down.
 */
export type SessionCheck = { revocations: SessionRevocations } | { signingOut: true };

export interface RouteSession {
  session: WebSession;
  /** True when the request carried a session cookie that could not be read (tampered, old key, garbage). */
  discarded: boolean;
  /** The signed-in user the cookie named, when that session was revoked (it is no longer `session.user`). */
  revokedUser?: SessionUser;
  /**
   * Saves the session: with a user it lives for the configured session lifetime; a cookie that
   * only holds a login in progress lives 15 minutes; an empty session deletes the cookie.
   */
  save(): Promise<void>;
  /** Deletes the cookie. */
  destroy(): void;
  /** Copies the Set-Cookie headers produced by save/destroy onto the response to send. */
  applyTo(response: Response): Response;
}

/**
 * The session for a route handler, read from the Request (so handlers stay testable with plain
 * Request objects). A cookie iron-session cannot open is treated as no session and is deleted:
 * iron-session already answers {} for a bad HMAC or an expired seal, but throws for some malformed
 * seals, and a garbage cookie must never turn into a 500. A revoked session loses its user (logins
 * in progress in this browser are kept) and the cookie is rewritten. Throws StoreUnavailableError
 * when the revocation records cannot be read: an unknown answer is not trusted.
 */
export async function openRouteSession(request: Request, config: Pick<AppConfig, "session">, settings: SessionCookieSettings, check: SessionCheck): Promise<RouteSession> {
  const carrier = new Response(null);
  const options = sessionOptions(config, settings);
  const cookieName = options.cookieName;
  let discarded = false;
  let session: WebSession;
  try {
    session = await getIronSession<WebSessionData>(request, carrier, options);
  } catch (e) {
    log("warn", "session.unreadable", { error: describeError(e) });
    session = await getIronSession<WebSessionData>(new Request(request.url), carrier, options);
    discarded = true;
  }
  if (!discarded && hasCookie(request, cookieName) && (!isWellFormed(session) || isEmpty(session))) {
    // iron-session answers {} for a bad MAC, an expired seal or an unknown password; a readable
    // seal of the wrong shape is not ours either. Either way: no session, and drop the cookie.
    discarded = true;
  }
  if (discarded) {
    clearData(session);
    session.destroy();
  }
  let revokedUser: SessionUser | undefined;
  if (session.user && "revocations" in check && (await check.revocations.isRevoked(session.user))) {
    revokedUser = session.user;
    delete session.user;
    log("info", "session.revoked_cookie_refused", {});
    if (isEmpty(session)) session.destroy();
    else {
      session.updateConfig(sessionOptions(config, { ...settings, ttlSeconds: ANONYMOUS_TTL_SECONDS }));
      await session.save();
    }
  }
  return {
    session,
    discarded,
    revokedUser,
    async save() {
      if (isEmpty(session)) {
        // Nothing left to remember: delete the cookie rather than keep an empty one around.
        session.destroy();
        return;
      }
      const ttl = session.user ? config.session.maxAgeSeconds : ANONYMOUS_TTL_SECONDS;
      session.updateConfig(sessionOptions(config, { ...settings, ttlSeconds: ttl }));
      await session.save();
    },
    destroy() {
      session.destroy();
    },
    applyTo(response) {
      for (const cookie of carrier.headers.getSetCookie()) response.headers.append("set-cookie", cookie);
      return response;
    },
  };
}

/** The subset of next/headers' cookie store iron-session reads. */
export interface ReadonlyCookieStore {
  get(name: string): { name: string; value: string } | undefined;
}

/**
 * The session for a Server Component (read-only: a page cannot set cookies while rendering).
 * Pass `await cookies()` from next/headers. An unreadable cookie reads as signed out, a revoked
 * session as signed out (the next route handler deletes the cookie). Throws StoreUnavailableError
 * when the revocation records cannot be read.
 */
export async function readSession(
  cookieStore: ReadonlyCookieStore,
  config: Pick<AppConfig, "session">,
  settings: SessionCookieSettings,
  revocations: SessionRevocations,
): Promise<WebSessionData> {
  const store = {
    get: (name: string) => cookieStore.get(name),
    set: () => {
      throw new Error("the session is read-only while rendering a page");
    },
  };
  let data: WebSessionData;
  try {
    const session = await getIronSession<WebSessionData>(store, sessionOptions(config, settings));
    if (!isWellFormed(session)) return {};
    data = { user: session.user, logins: session.logins };
  } catch (e) {
    log("warn", "session.unreadable", { error: describeError(e) });
    return {};
  }
  if (data.user && (await revocations.isRevoked(data.user))) {
    log("info", "session.revoked_cookie_refused", {});
    return { logins: data.logins };
  }
  return data;
}

function hasCookie(request: Request, name: string): boolean {
  const header = request.headers.get("cookie") ?? "";
  return header.split(";").some((part) => part.trim().startsWith(`${name}=`));
}

function isEmpty(session: WebSessionData): boolean {
  return session.user === undefined && (session.logins === undefined || session.logins.length === 0);
}

function clearData(session: WebSessionData): void {
  delete session.user;
  delete session.logins;
}

const str = (v: unknown): v is string => typeof v === "string";

/** 32 random bytes, base64url. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/** A new session id: 256 random bits, so nobody can guess or enumerate one. */
export function newSessionId(): string {
  return randomBytes(32).toString("base64url");
}

export function isSessionUser(v: unknown): v is SessionUser {
  const u = v as Partial<SessionUser> | null;
  return (
    typeof u === "object" &&
    u !== null &&
    str(u.homeAccountId) &&
    u.homeAccountId.length > 0 &&
    str(u.name) &&
    str(u.username) &&
    str(u.tenantId) &&
    typeof u.signedInAt === "number" &&
    // A seal from before session ids existed is not a session any more: its user signs in again.
    str(u.sessionId) &&
    SESSION_ID.test(u.sessionId) &&
    (u.idpSessionId === undefined || (str(u.idpSessionId) && u.idpSessionId.length > 0 && u.idpSessionId.length <= 256)) &&
    (u.loginHint === undefined || (str(u.loginHint) && u.loginHint.length > 0 && u.loginHint.length <= MAX_LOGIN_HINT))
  );
}

export function isLoginTransaction(v: unknown): v is LoginTransaction {
  const t = v as Partial<LoginTransaction> | null;
  return (
    typeof t === "object" &&
    t !== null &&
    str(t.state) &&
    str(t.codeVerifier) &&
    str(t.nonce) &&
    str(t.returnTo) &&
    Array.isArray(t.scopes) &&
    t.scopes.every(str) &&
    (t.claims === undefined || str(t.claims)) &&
    typeof t.createdAt === "number"
  );
}

/** Defence in depth: the seal is authenticated, but only data of the shape this app writes is used. */
function isWellFormed(data: WebSessionData): boolean {
  if (data.user !== undefined && !isSessionUser(data.user)) return false;
  if (data.logins !== undefined && !(Array.isArray(data.logins) && data.logins.every(isLoginTransaction))) return false;
  return true;
}
