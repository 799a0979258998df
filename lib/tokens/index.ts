import "server-only";
import { getOpenIdMetadataCache } from "@/lib/auth";
import { createCacheStore, type CacheStore, type SharedRecords } from "@/lib/cache";
import { getConfig, type AppConfig } from "@/lib/config";
import { processSingleton } from "@/lib/http/process-singleton";
import { OboTokenService } from "./obo";

export { OboTokenService, type OboRequest, type OboToken, type TokenServiceOptions } from "./obo";
export { PartitionCachePlugin, prune, type PartitionPluginOptions } from "./partition-plugin";
export { mapMsalError, type MsalErrorContext } from "./errors";
export { msalCredential, managedIdentityAssertion, TOKEN_EXCHANGE_RESOURCE } from "./credentials";
export { FetchNetworkClient } from "./network";

/** Token partitions per user: one per downstream API. */
const partitionsOf = (config: AppConfig) => config.tokenCache.maxUsers * Math.max(1, Object.keys(config.downstream).length);

/**
 * The process-wide cache store (Redis when configured, else an in-memory LRU): the On-Behalf-Of
 * partitions and the group memberships Graph answered (lib/authz). The in-memory cap is the
 * partitions the heap budget allows (lib/config/memory.ts); a group answer, far smaller than a
 * partition, takes one of those places rather than adding places of its own, so the store never
 * holds more partitions than the heap was sized for (users of one API would otherwise fill the
 * extra places with partitions).
 */
export function getCacheStore(config: AppConfig = getConfig()): CacheStore & SharedRecords {
  return processSingleton("cache-store", config, () => createCacheStore(config, partitionsOf(config)));
}

/** The process-wide On-Behalf-Of service for a configuration (its cache store included). */
export function getTokenService(config: AppConfig = getConfig()): OboTokenService {
  return processSingleton("obo-token-service", config, () => {
    const partitions = partitionsOf(config);
    return new OboTokenService(config, { store: getCacheStore(config), metadata: getOpenIdMetadataCache(config), hotEntries: partitions });
  });
}
