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
}

/**
 * Records that must hold for every instance of the app at once (session revocations): a set of
 * keys with a TTL, kept only in the store all instances share. Unlike CacheStore, never answered
 * from a process-local copy that another instance cannot see or may have deleted.
 */
export interface SharedRecords {
  /**
   * True when any of `keys` is recorded. Throws StoreUnavailableError when the shared store cannot
   * answer: the caller decides what an unknown answer means (session checks fail closed).
   */
  hasAnyShared(keys: readonly string[]): Promise<boolean>;
  /**
   * Records `key` for `ttlSeconds`. "deferred": the shared store is unreachable; the record is kept
   * in this process and written as soon as the store is back (lost only if the process ends first).
   */
  markShared(key: string, ttlSeconds: number): Promise<"stored" | "deferred">;
}

/** The shared store (Redis) cannot answer right now. */
export class StoreUnavailableError extends Error {
  readonly code = "store_unavailable";
  constructor(options?: { cause?: unknown }) {
    super("the shared store (Redis) is unreachable", options);
    this.name = "StoreUnavailableError";
  }
}
