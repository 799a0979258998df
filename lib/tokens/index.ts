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
 * partitions and, one entry per user more, the group memberships Graph answered (lib/authz).
 */
export function getCacheStore(config: AppConfig = getConfig()): CacheStore & SharedRecords {
  return processSingleton("cache-store", config, () => createCacheStore(config, partitionsOf(config) + config.tokenCache.maxUsers));
}

/** The process-wide On-Behalf-Of service for a configuration (its cache store included). */
export function getTokenService(config: AppConfig = getConfig()): OboTokenService {
  return processSingleton("obo-token-service", config, () => {
    const partitions = partitionsOf(config);
    return new OboTokenService(config, { store: getCacheStore(config), metadata: getOpenIdMetadataCache(config), hotEntries: partitions });
  });
}
