/**
 * The small key-value contract the token cache needs. Values are opaque strings; every entry has a
 * TTL (tokens expire, so nothing is stored forever).
 */
export interface CacheStore {
  /** "memory", "redis" or "redis+memory" (Redis with in-memory fallback), for logs and health. */
  readonly kind: string;
  get(key: string): Promise<string | undefined>;
  /** Stores `value` for `ttlSeconds` (> 0). */
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Releases connections (Redis); a no-op in memory. */
  close(): Promise<void>;
  /**
   * Entries this process's memory dropped so far: expired, or beyond the size cap (Redis expires
   * its own keys and counts them itself: INFO stats expired_keys / evicted_keys).
   */
  evictionCounts(): EvictionCounts;
}

export interface EvictionCounts {
  expired: number;
  overCap: number;
}

/**
 * Records that must hold for every instance of the app at once (session revocations): a set of
 * keys with a TTL, kept only in the store all instances share. Unlike CacheStore, never answered
 * from a process-local copy that another instance cannot see or may have deleted.
 *
 * A record is never deleted before its TTL, so one this process wrote is known to exist
 * (`hasAnyWrittenHere`) even while the shared store cannot be asked; a miss there proves nothing.
 */
export interface SharedRecords {
  /**
   * True when any of `keys` is recorded. Throws StoreUnavailableError when the shared store cannot
   * answer: the caller decides what an unknown answer means (session checks fail closed).
   */
  hasAnyShared(keys: readonly string[]): Promise<boolean>;
  /** True when this process wrote one of `keys` (stored or waiting for the store) and it has not expired. */
  hasAnyWrittenHere(keys: readonly string[]): boolean;
  /**
   * Records `key` for `ttlSeconds`, for a signed-in user's own action (a sign-out, a sign-in).
   * "deferred": the shared store is unreachable; the record waits in this process and is written as
   * soon as the store is back (lost only if the process ends first). Such records are never
   * dropped to make room: their number is bounded by real sign-ins.
   */
  markShared(key: string, ttlSeconds: number): Promise<"stored" | "deferred">;
  /**
   * Like markShared, for a record written on behalf of an unauthenticated request (the front-channel
   * logout URL): while the store is unreachable it waits in a separate, bounded queue, and when
   * that is full it is "refused" — never written in place of another record.
   */
  markSharedBounded(key: string, ttlSeconds: number): Promise<"stored" | "deferred" | "refused">;
}

/** The shared store (Redis) cannot answer right now. */
export class StoreUnavailableError extends Error {
  readonly code = "store_unavailable";
  constructor(options?: { cause?: unknown }) {
    super("the shared store (Redis) is unreachable", options);
    this.name = "StoreUnavailableError";
  }
}

/**
 * True for a StoreUnavailableError thrown by any bundle's copy of this module. The web app's store
 * is one per process, shared by every Next.js bundle (lib/webauth/token-cache.ts), and Next.js
 * bundles route handlers and Server Components apart: the error a page catches may come from
 * another bundle's class, which `instanceof` does not recognise. The name and code do.
 */
export function isStoreUnavailable(e: unknown): e is StoreUnavailableError {
  return e instanceof StoreUnavailableError || (e instanceof Error && e.name === "StoreUnavailableError" && (e as { code?: unknown }).code === "store_unavailable");
}
