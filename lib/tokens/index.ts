import "server-only";
import { getOpenIdMetadataCache } from "@/lib/auth";
import { createCacheStore } from "@/lib/cache";
import { getConfig, type AppConfig } from "@/lib/config";
import { processSingleton } from "@/lib/http/process-singleton";
import { OboTokenService } from "./obo";

export { OboTokenService, type OboRequest, type OboToken, type TokenServiceOptions } from "./obo";
export { PartitionCachePlugin, prune, type PartitionPluginOptions } from "./partition-plugin";
export { mapMsalError, type MsalErrorContext } from "./errors";
export { msalCredential, managedIdentityAssertion, TOKEN_EXCHANGE_RESOURCE } from "./credentials";
export { FetchNetworkClient } from "./network";

/** The process-wide On-Behalf-Of service for a configuration (its cache store included). */
export function getTokenService(config: AppConfig = getConfig()): OboTokenService {
  return processSingleton("obo-token-service", config, () => {
    const partitions = config.tokenCache.maxUsers * Math.max(1, Object.keys(config.downstream).length);
    return new OboTokenService(config, { store: createCacheStore(config, partitions), metadata: getOpenIdMetadataCache(config), hotEntries: partitions });
  });
}
