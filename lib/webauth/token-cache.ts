import "server-only";
import { createHash } from "node:crypto";
import { DistributedCachePlugin, type ICacheClient, type IPartitionManager } from "@azure/msal-node";
import { createCacheStore, type CacheStore, type SharedRecords } from "@/lib/cache";
import type { AppConfig } from "@/lib/config";
import { describeError, log } from "@/lib/http/log";

/**
 * The web app's token cache: one partition per sign-in (keyed by MSAL's home account id and the
 * session id), loaded into and saved from a per-request ConfidentialClientApplication through
 * msal-node's own DistributedCachePlugin. The partitions live in lib/cache (an LRU capped at TOKEN_CACHE_MAX_USERS,
 * or Redis with encryption at rest), never in a process-wide MSAL cache that would grow with
 * every user who ever signed in.
 */

const STORES = Symbol.for("ms-identity-nextjs.webauth.token-stores");
type StoreHolder = { [STORES]?: Map<string, CacheStore & SharedRecords> };

/**
 * The store for web app partitions: ONE per process and store configuration. Keyed by what
 * defines the store, not by the AppConfig object: Next.js bundles route handlers (/auth/callback
 * writes the partition) and Server Components (/web reads it) separately, each with its own
 * lib/config memo, so an object-keyed singleton would give them two different in-memory stores.
 */
export function getWebTokenStore(config: AppConfig): CacheStore & SharedRecords {
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

/** Whose tokens a request reads and writes: one sign-in of one user. */
export interface WebPartition {
  /** Unknown while a code is being redeemed (the account is known only from the result). */
  homeAccountId?: string;
  sessionId: string;
}

/**
 * Storage key of a partition: one per sign-in (session id), not per user, so a cookie copied
 * before sign-out can never read the tokens of the user's next sign-in. Hashed, so Redis keys do
 * not reveal object ids or session ids.
 */
export function partitionKey(clientId: string, homeAccountId: string, sessionId: string): string {
  return `web:v2:${createHash("sha256").update(`${clientId}|${homeAccountId}|${sessionId}`).digest("hex").slice(0, 48)}`;
}

/** Used while no user is known yet (the authorization code redemption): reads as empty, never written. */
const NO_PARTITION = "web:v2:none";

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
 * Which partition a request reads (the session's) and which one MSAL's result is written to (the
 * account in the cache after the call, under this session: after a code redemption, the user who
 * just signed in).
 */
export class WebPartitionManager implements IPartitionManager {
  constructor(
    private readonly clientId: string,
    /** undefined: no sign-in involved (building an /authorize URL): nothing is read or written. */
    private readonly partition: WebPartition | undefined,
  ) {}

  async getKey(): Promise<string> {
    if (!this.partition?.homeAccountId) return NO_PARTITION;
    return partitionKey(this.clientId, this.partition.homeAccountId, this.partition.sessionId);
  }

  async extractKey(accountEntity: AccountEntityLike): Promise<string> {
    if (!this.partition || !accountEntity.homeAccountId) return this.getKey();
    return partitionKey(this.clientId, accountEntity.homeAccountId, this.partition.sessionId);
  }
}

/** The cache plugin for one request's sign-in session (undefined: no cache at all). */
export function webCachePlugin(config: AppConfig, clientId: string, partition: WebPartition | undefined): DistributedCachePlugin {
  return new DistributedCachePlugin(new StoreCacheClient(getWebTokenStore(config), config.session.maxAgeSeconds), new WebPartitionManager(clientId, partition));
}

/** Forgets a sign-in's tokens (sign-out, a revoked session, a new sign-in in this browser). */
export async function deletePartition(config: AppConfig, clientId: string, partition: Required<WebPartition>): Promise<void> {
  try {
    await getWebTokenStore(config).delete(partitionKey(clientId, partition.homeAccountId, partition.sessionId));
  } catch (e) {
    log("warn", "web_token_cache.delete_failed", { error: describeError(e) });
  }
}
