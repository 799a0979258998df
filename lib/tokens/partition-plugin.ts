import "server-only";
import type { ICachePlugin, TokenCacheContext } from "@azure/msal-node";
import type { CacheStore } from "@/lib/cache";
import { describeError, log } from "@/lib/http/log";

/** MSAL's JSON cache schema (the cross-MSAL format), as far as pruning needs it. */
interface SerializedCache {
  Account?: Record<string, unknown>;
  IdToken?: Record<string, unknown>;
  AccessToken?: Record<string, { expires_on?: string; extended_expires_on?: string }>;
  RefreshToken?: Record<string, unknown>;
  AppMetadata?: Record<string, unknown>;
}

export interface PartitionPluginOptions {
  /** Drop refresh tokens before storing (On-Behalf-Of never uses them). Default true. */
  dropRefreshTokens?: boolean;
  /** Lower bound for an entry's TTL when it holds no access token expiry (seconds). */
  minTtlSeconds?: number;
}

/**
 * msal-node ICachePlugin that keeps ONE partition of the token cache in a CacheStore:
 * `beforeCacheAccess` loads the partition into the client's (per-request) in-memory cache,
 * `afterCacheAccess` writes it back when MSAL changed it, pruned to what is still useful
 * (unexpired access tokens; no refresh tokens) with a TTL equal to the latest token expiry.
 *
 * Serves the On-Behalf-Of partitions of lib/tokens and is reusable by the web app for its
 * per-account partitions (pass dropRefreshTokens: false there, refresh tokens matter).
 */
export class PartitionCachePlugin implements ICachePlugin {
  /** Whether the last beforeCacheAccess found stored data (for diagnostics). */
  loaded = false;

  constructor(
    private readonly store: CacheStore,
    readonly partitionKey: string,
    private readonly options: PartitionPluginOptions = {},
  ) {}

  async beforeCacheAccess(context: TokenCacheContext): Promise<void> {
    let data: string | undefined;
    try {
      data = await this.store.get(this.partitionKey);
    } catch (e) {
      log("warn", "token_cache.read_failed", { error: describeError(e) });
    }
    this.loaded = data !== undefined;
    if (data) {
      try {
        context.tokenCache.deserialize(data);
      } catch (e) {
        log("warn", "token_cache.corrupt_partition", { error: describeError(e) });
      }
    }
  }

  async afterCacheAccess(context: TokenCacheContext): Promise<void> {
    if (!context.cacheHasChanged) return;
    const pruned = prune(context.tokenCache.serialize(), this.options.dropRefreshTokens ?? true);
    try {
      if (!pruned) {
        await this.store.delete(this.partitionKey);
        return;
      }
      const ttl = Math.max(pruned.maxExpiresOn - Math.floor(Date.now() / 1000), this.options.minTtlSeconds ?? 60);
      await this.store.set(this.partitionKey, pruned.json, ttl);
    } catch (e) {
      // A cache write failure costs a future token request, never this one.
      log("warn", "token_cache.write_failed", { error: describeError(e) });
    }
  }
}

/** Removes expired access tokens (and refresh tokens); undefined when nothing worth keeping is left. */
export function prune(json: string, dropRefreshTokens: boolean): { json: string; maxExpiresOn: number } | undefined {
  const cache = JSON.parse(json) as SerializedCache;
  const now = Math.floor(Date.now() / 1000);
  let maxExpiresOn = 0;
  for (const [key, at] of Object.entries(cache.AccessToken ?? {})) {
    const exp = Number(at.expires_on);
    if (!Number.isFinite(exp) || exp <= now) delete cache.AccessToken?.[key];
    else maxExpiresOn = Math.max(maxExpiresOn, exp);
  }
  if (dropRefreshTokens) cache.RefreshToken = {};
  const hasRefresh = Object.keys(cache.RefreshToken ?? {}).length > 0;
  if (maxExpiresOn === 0 && !hasRefresh) return undefined;
  return { json: JSON.stringify(cache), maxExpiresOn: maxExpiresOn || now + 24 * 3600 };
}
