import { getHeapStatistics } from "node:v8";

/**
 * How many users' token-cache partitions the in-memory stores may hold in this process's heap.
 *
 * Every signed-in user costs one partition per downstream API in the On-Behalf-Of cache (and one
 * more in the web app's cache). Measured with `npm run bench -- --only=cache`: 27.6 MB of live
 * heap at start, 128.7 MB at 5 000 users × 2 APIs, i.e. about 10 KB per partition (serialized
 * MSAL cache, LRU bookkeeping and the hot-token entry). Under the heap-limit rule a small App
 * Service plan gets a small heap (B1: 176 MB), where 10 000 users would not fit: V8 would spend
 * its time collecting, then stop the process.
 */
export const PARTITION_HEAP_KB = 11;
/**
 * The share of V8's heap limit the token caches may fill. The limit counts the young generation
 * too (3 × 32 MB under the heap-limit rule), where no cache entry lives: 0.4 of it leaves the old
 * space room for the app itself and for garbage between collections.
 */
export const TOKEN_CACHE_HEAP_SHARE = 0.4;
/** The default cap where the heap is large enough. */
export const DEFAULT_TOKEN_CACHE_MAX_USERS = 10_000;

/** This process's V8 heap limit, MB (old and young generation: what --max-old-space-size bounds). */
export function processHeapLimitMb(): number {
  return Math.floor(getHeapStatistics().heap_size_limit / 1024 / 1024);
}

/** Users whose partitions (`partitionsPerUser` each) fit in the token caches' share of the heap. */
export function tokenCacheUsersThatFit(heapLimitMb: number, partitionsPerUser: number): number {
  return Math.floor((heapLimitMb * 1024 * TOKEN_CACHE_HEAP_SHARE) / (PARTITION_HEAP_KB * Math.max(1, partitionsPerUser)));
}
