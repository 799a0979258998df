import "server-only";
import { createHash } from "node:crypto";
import { DistributedCachePlugin, type ICacheClient, type IPartitionManager } from "@azure/msal-node";
import { createCacheStore, type CacheStore } from "@/lib/cache";
import type { AppConfig } from "@/lib/config";
import { describeError, log } from "@/lib/http/log";

/**
 * The web app's token cache: one partition per signed-in user (keyed by MSAL's home account id),
 * loaded into and saved from a per-request ConfidentialClientApplication through msal-node's own
 * DistributedCachePlugin. The partitions live in lib/cache (an LRU capped at TOKEN_CACHE_MAX_USERS,
 * or Redis with encryption at rest), never in a process-wide MSAL cache that would grow with
 * every user who ever signed in.
 */

const STORES = Symbol.for("ms-identity-nextjs.webauth.token-stores");
type StoreHolder = { [STORES]?: Map<string, CacheStore> };

/**
 * The store for web app partitions: ONE per process and store configuration. Keyed by what
 * defines the store, not by the AppConfig object: Next.js bundles route handlers (/auth/callback
 * writes the partition) and Server Components (/web reads it) separately, each with its own
 * lib/config memo, so an object-keyed singleton would give them two different in-memory stores.
 */
export function getWebTokenStore(config: AppConfig): CacheStore {
  const holder = globalThis as StoreHolder;
  holder[STORES] ??= new Map();
  const key = createHash("sha256")
    .update(JSON.stringify([config.redis?.url ?? "", config.redis?.encryptionKey ?? "", config.tokenCache.maxUsers, config.authority, config.web?.clientId ?? ""]))
    .digest("hex");
  let store = holder[STORES].get(key);
  if (!store) {
    store = createCacheStore(config, config.tokenCache.maxUsers);
    holder[STORES].set(key, store);
  }
  return store;
}

/** Storage key of a user's partition: hashed, so Redis keys do not reveal object ids. */
export function partitionKey(clientId: string, homeAccountId: string): string {
  return `web:v1:${createHash("sha256").update(`${clientId}|${homeAccountId}`).digest("hex").slice(0, 48)}`;
}

/** Used while no user is known yet (the authorization code redemption): reads as empty, never written. */
const NO_PARTITION = "web:v1:none";

/**
 * msal-node's ICacheClient over our CacheStore. Every write refreshes the partition's TTL to the
 * session lifetime: the refresh token is useful exactly as long as the session that owns it.
 * Store failures cost a cache miss (then a sign-in), never the request.
 */
export class StoreCacheClient implements ICacheClient {
  constructor(
    private readonly store: CacheStore,
    private readonly ttlSeconds: number,
  ) {}

  async get(key: string): Promise<string> {
    if (key === NO_PARTITION) return "";
    try {
      return (await this.store.get(key)) ?? "";
    } catch (e) {
      log("warn", "web_token_cache.read_failed", { error: describeError(e) });
      return "";
    }
  }

  async set(key: string, value: string): Promise<string> {
    if (key === NO_PARTITION) return "";
    try {
      await this.store.set(key, value, this.ttlSeconds);
    } catch (e) {
      log("warn", "web_token_cache.write_failed", { error: describeError(e) });
    }
    return "";
  }
}

type AccountEntityLike = Parameters<IPartitionManager["extractKey"]>[0];

/**
 * Which partition a request reads (the session's user) and which one MSAL's result is written to
 * (the account in the cache after the call: after a code redemption, the user who just signed in).
 */
export class WebPartitionManager implements IPartitionManager {
  constructor(
    private readonly clientId: string,
    private readonly homeAccountId: string | undefined,
  ) {}

  async getKey(): Promise<string> {
    return this.homeAccountId ? partitionKey(this.clientId, this.homeAccountId) : NO_PARTITION;
  }

  async extractKey(accountEntity: AccountEntityLike): Promise<string> {
    if (!accountEntity.homeAccountId) return this.getKey();
    return partitionKey(this.clientId, accountEntity.homeAccountId);
  }
}

/** The cache plugin for one request: `homeAccountId` undefined while signing in. */
export function webCachePlugin(config: AppConfig, clientId: string, homeAccountId: string | undefined): DistributedCachePlugin {
  return new DistributedCachePlugin(new StoreCacheClient(getWebTokenStore(config), config.session.maxAgeSeconds), new WebPartitionManager(clientId, homeAccountId));
}

/** Forgets a user's tokens (sign-out, or another user signing in on this browser). */
export async function deletePartition(config: AppConfig, clientId: string, homeAccountId: string): Promise<void> {
  try {
    await getWebTokenStore(config).delete(partitionKey(clientId, homeAccountId));
  } catch (e) {
    log("warn", "web_token_cache.delete_failed", { error: describeError(e) });
  }
}
