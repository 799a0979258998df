import "server-only";
import { createHash } from "node:crypto";
import { isStoreUnavailable, type SharedRecords } from "@/lib/cache";
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
    return this.record("session", () => this.records.markShared(sessionKey(sessionId), this.ttlSeconds));
  }

  /** At sign-in: sessions were established under this identity-provider session, so its sign-out counts. */
  async rememberIdpSession(idpSessionId: string): Promise<"stored" | "deferred"> {
    return this.record("known_idp_session", () => this.records.markShared(knownIdpSessionKey(idpSessionId), this.ttlSeconds));
  }

  /**
   * Every session established under this identity-provider session (`sid`) is over. The front-channel
   * logout URL that asks for this is unauthenticated, so guessed ids must neither fill the store nor
   * push real records out:
   * - "unknown": no session of this app was established under it; nothing is written.
   * - "unavailable": the shared store is down, so whether any instance signed someone in under it
   *   cannot be known, and this instance did not: nothing is written (the caller answers 503).
   * - "deferred": the store is down, and this instance signed someone in under it: the record waits
   *   in a bounded queue of its own and is written when the store is back.
   * - "refused": that queue is full (nothing else was dropped for it).
   */
  async revokeIdpSession(idpSessionId: string): Promise<"stored" | "deferred" | "unknown" | "unavailable" | "refused"> {
    const known = knownIdpSessionKey(idpSessionId);
    try {
      if (!(await this.records.hasAnyShared([known]))) return "unknown";
    } catch (e) {
      if (!isStoreUnavailable(e)) throw e;
      if (!this.records.hasAnyWrittenHere([known])) return "unavailable";
    }
    return this.record("idp_session", () => this.records.markSharedBounded(idpSessionKey(idpSessionId), this.ttlSeconds));
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

  private async record<T extends "stored" | "deferred" | "refused">(kind: "session" | "idp_session" | "known_idp_session", write: () => Promise<T>): Promise<T> {
    try {
      const outcome = await write();
      if (outcome === "deferred") log("warn", "session.revocation_deferred", { kind, message: "The shared store is unreachable; the revocation is written when it returns." });
      if (outcome === "refused") log("warn", "session.revocation_refused", { kind, message: "The shared store is unreachable and too many revocations wait for it; this one was not recorded." });
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
