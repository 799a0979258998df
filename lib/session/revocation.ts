import "server-only";
import { createHash } from "node:crypto";
import { StoreUnavailableError, type SharedRecords } from "@/lib/cache";
import { describeError, log } from "@/lib/http/log";
import type { SessionUser } from "./types";

/**
 * Revocation records for the web app's sessions. A seal stays cryptographically valid until it
 * expires, so signing out cannot un-issue a copied cookie; instead sign-out records the session
 * id as revoked, and every session read checks the records. They live in the store all instances
 * share (Redis when configured), so a sign-out on one instance holds on every other.
 *
 * Two kinds of record, each kept as long as a seal can live (SESSION_MAX_AGE_SECONDS):
 * - a session id: the user signed out of this app (POST /auth/logout), or signed in again in this
 *   browser (the session id rotates at every sign-in);
 * - the identity provider's session id (the ID token's `sid`): the user signed out at the identity
 *   provider from another app, which told us through the front-channel logout URL. Every session
 *   established under that identity-provider session is over.
 *
 * Keys are hashes: the store never holds a session id.
 */
export class SessionRevocations {
  constructor(
    private readonly records: SharedRecords,
    private readonly ttlSeconds: number,
  ) {}

  /** This session is over on every instance. "deferred": the shared store is down; see SharedRecords. */
  async revokeSession(sessionId: string): Promise<"stored" | "deferred"> {
    return this.record(sessionKey(sessionId), "session");
  }

  /** At sign-in: sessions were established under this identity-provider session, so its sign-out counts. */
  async rememberIdpSession(idpSessionId: string): Promise<"stored" | "deferred"> {
    return this.record(knownIdpSessionKey(idpSessionId), "known_idp_session");
  }

  /**
   * Every session established under this identity-provider session (`sid`) is over. "unknown": no
   * session of this app was established under it, so nothing is written; the front-channel logout
   * URL is unauthenticated, and guessed ids must not fill the store (or evict real records).
   * While the store is down the check cannot be made, and the record is kept for later anyway.
   */
  async revokeIdpSession(idpSessionId: string): Promise<"stored" | "deferred" | "unknown"> {
    let known = true;
    try {
      known = await this.records.hasAnyShared([knownIdpSessionKey(idpSessionId)]);
    } catch (e) {
      if (!(e instanceof StoreUnavailableError)) throw e;
    }
    if (!known) return "unknown";
    return this.record(idpSessionKey(idpSessionId), "idp_session");
  }

  /**
   * True when the session, or the identity-provider session it was established under, was
   * revoked. Throws StoreUnavailableError when the shared store cannot answer: the caller must not
   * treat an unknown answer as "not revoked".
   */
  async isRevoked(user: Pick<SessionUser, "sessionId" | "idpSessionId">): Promise<boolean> {
    const keys = [sessionKey(user.sessionId)];
    if (user.idpSessionId) keys.push(idpSessionKey(user.idpSessionId));
    return this.records.hasAnyShared(keys);
  }

  private async record(key: string, kind: "session" | "idp_session" | "known_idp_session"): Promise<"stored" | "deferred"> {
    try {
      const outcome = await this.records.markShared(key, this.ttlSeconds);
      if (outcome === "deferred") log("warn", "session.revocation_deferred", { kind, message: "The shared store is unreachable; the revocation is written when it returns." });
      return outcome;
    } catch (e) {
      log("error", "session.revocation_failed", { kind, error: describeError(e) });
      throw e;
    }
  }
}

const hash = (value: string) => createHash("sha256").update(value).digest("base64url");

function sessionKey(sessionId: string): string {
  return `session:v1:revoked:${hash(sessionId)}`;
}

function idpSessionKey(idpSessionId: string): string {
  return `session:v1:idp-signed-out:${hash(idpSessionId)}`;
}

function knownIdpSessionKey(idpSessionId: string): string {
  return `session:v1:idp-session:${hash(idpSessionId)}`;
}
