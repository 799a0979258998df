import "server-only";
import type { AppConfig } from "@/lib/config";
import { MemoryStore } from "./memory-store";
import { RedisStore } from "./redis-store";
import type { CacheStore, SharedRecords } from "./store";

export { LruCache, type LruOptions } from "./lru";
export { MemoryStore, type MemoryStoreOptions } from "./memory-store";
export { RedisStore, type RedisStoreOptions } from "./redis-store";
export { createValueCipher, type ValueCipher } from "./crypto";
export { isStoreUnavailable, StoreUnavailableError, type CacheStore, type EvictionCounts, type SharedRecords } from "./store";

/**
 * A store for a configuration: Redis (encrypted, with a memory fallback) when REDIS_URL is set,
 * otherwise an in-memory LRU capped at `maxEntries`.
 */
export function createCacheStore(config: Pick<AppConfig, "redis">, maxEntries: number): CacheStore & SharedRecords {
  const memory = new MemoryStore({ maxEntries });
  if (!config.redis) return memory;
  return new RedisStore({ url: config.redis.url, encryptionKey: config.redis.encryptionKey, fallback: memory });
}
