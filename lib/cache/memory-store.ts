import { ExpiringSet } from "./expiring-set";
import { LruCache } from "./lru";
import type { CacheStore, EvictionCounts, SharedRecords } from "./store";

export interface MemoryStoreOptions {
  /** Size cap: the least recently used entry is evicted beyond it. */
  maxEntries: number;
  now?: () => number;
}

/** Records written for unauthenticated requests (front-channel logout of a known session) one process keeps. */
const MAX_BOUNDED_RECORDS = 100_000;

/**
 * In-process LRU store with TTL: the default, and the fallback when Redis is down. Without Redis
 * there is one instance, so its shared records are simply its own, kept apart from the LRU so that
 * token partitions churning through the cache never evict a revocation, and never dropped before
 * their TTL (see SharedRecords).
 */
export class MemoryStore implements CacheStore, SharedRecords {
  readonly kind = "memory";
  private readonly lru: LruCache<string, string>;
  private readonly records: ExpiringSet;
  private readonly boundedRecords: ExpiringSet;

  constructor(options: MemoryStoreOptions) {
    this.lru = new LruCache({ maxEntries: options.maxEntries, now: options.now });
    this.records = new ExpiringSet({ now: options.now });
    this.boundedRecords = new ExpiringSet({ maxEntries: MAX_BOUNDED_RECORDS, now: options.now });
  }

  get size(): number {
    return this.lru.size;
  }

  async get(key: string): Promise<string | undefined> {
    return this.lru.get(key);
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.lru.set(key, value, ttlSeconds * 1000);
  }

  async delete(key: string): Promise<void> {
    this.lru.delete(key);
  }

  evictionCounts(): EvictionCounts {
    return { expired: this.lru.expirations, overCap: this.lru.evictions };
  }

  /** Drops every cached value (not the shared records). */
  clear(): void {
    this.lru.clear();
  }

  async hasAnyShared(keys: readonly string[]): Promise<boolean> {
    return this.hasAnyWrittenHere(keys);
  }

  hasAnyWrittenHere(keys: readonly string[]): boolean {
    return keys.some((k) => this.records.has(k) || this.boundedRecords.has(k));
  }

  async markShared(key: string, ttlSeconds: number): Promise<"stored"> {
    this.records.add(key, ttlSeconds * 1000);
    return "stored";
  }

  async markSharedBounded(key: string, ttlSeconds: number): Promise<"stored" | "refused"> {
    return this.boundedRecords.add(key, ttlSeconds * 1000) ? "stored" : "refused";
  }

  async close(): Promise<void> {
    this.lru.clear();
    this.records.clear();
    this.boundedRecords.clear();
  }
}
