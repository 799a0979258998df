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
