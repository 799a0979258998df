import { LruCache } from "./lru";
import type { CacheStore } from "./store";

export interface MemoryStoreOptions {
  /** Size cap: the least recently used entry is evicted beyond it. */
  maxEntries: number;
  now?: () => number;
}

/** In-process LRU store with TTL: the default, and the fallback when Redis is down. */
export class MemoryStore implements CacheStore {
  readonly kind = "memory";
  private readonly lru: LruCache<string, string>;

  constructor(options: MemoryStoreOptions) {
    this.lru = new LruCache({ maxEntries: options.maxEntries, now: options.now });
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

  async close(): Promise<void> {
    this.lru.clear();
  }
}
