import "server-only";
import { ConfidentialClientApplication, LogLevel } from "@azure/msal-node";
import { getOpenIdMetadataCache, type OpenIdMetadata } from "@/lib/auth";
import type { AppConfig } from "@/lib/config";
import { log } from "@/lib/http/log";
import { processSingleton } from "@/lib/http/process-singleton";
import { FetchNetworkClient } from "@/lib/tokens/network";
import { idpUnavailable, notConfigured } from "./errors";
import { webCachePlugin, type WebPartition } from "./token-cache";

/** An AppConfig whose web app is configured. */
export type WebAppConfig = AppConfig & { web: NonNullable<AppConfig["web"]> };

export function requireWebConfig(config: AppConfig): WebAppConfig {
  if (!config.web) throw notConfigured();
  return config as WebAppConfig;
}

/** The redirect URI registered for the web app: `<public origin>/auth/callback`. */
export function redirectUri(origin: string): string {
  return `${origin}/auth/callback`;
}

/** The identity provider's OpenID metadata for the home tenant (cached per process). */
export async function tenantMetadata(config: AppConfig): Promise<OpenIdMetadata> {
  try {
    return await getOpenIdMetadataCache(config).get(config.tenantId);
  } catch (e) {
    throw idpUnavailable(e);
  }
}

/** Metadata of an authority (the sign-in one: the home tenant's, or organizations' with issuer `{tenantid}`). */
async function signInMetadata(config: AppConfig, authority = config.signInAuthority): Promise<OpenIdMetadata> {
  const tenant = new URL(authority).pathname.replace(/^\/+|\/+$/g, "");
  try {
    return await getOpenIdMetadataCache(config).get(tenant);
  } catch (e) {
    throw idpUnavailable(e);
  }
}

/** Whether users of `tenantId` may sign in here (AZURE_ALLOWED_TENANTS; the home tenant always). */
export function isAllowedTenant(config: AppConfig, tenantId: string): boolean {
  const tid = tenantId.toLowerCase();
  return tid === config.tenantId.toLowerCase() || config.allowedTenants.some((t) => t.toLowerCase() === tid);
}

function network(config: AppConfig): FetchNetworkClient {
  return processSingleton("webauth-network", config, () => new FetchNetworkClient(Math.min(config.http.timeoutMs, 15_000)));
}

/**
 * A ConfidentialClientApplication for ONE request, at the sign-in authority unless told otherwise
 * (a B2B guest's sign-in and renewals happen at the inviting tenant's authority). Its only cache is the sign-in's partition
 * (`homeAccountId` is undefined while redeeming a code, when the account is known only from the
 * result), loaded and saved by the DistributedCachePlugin, so nothing accumulates in process
 * memory across users. Construction is cheap: the authority's metadata comes from the process-wide
 * OpenID metadata cache (no discovery request per client), and `knownAuthorities` keeps msal-node
 * from asking login.microsoftonline.com about a non-Microsoft host (the emulator, CIAM).
 */
export async function createWebClient(config: WebAppConfig, partition: WebPartition | undefined, authority = config.signInAuthority): Promise<ConfidentialClientApplication> {
  const metadata = await signInMetadata(config, authority);
  return new ConfidentialClientApplication({
    auth: {
      clientId: config.web.clientId,
      clientSecret: config.web.clientSecret,
      authority,
      knownAuthorities: config.knownAuthorities,
      authorityMetadata: metadata.raw,
    },
    cache: { cachePlugin: webCachePlugin(config, config.web.clientId, partition) },
    system: {
      networkClient: network(config),
      loggerOptions: {
        logLevel: LogLevel.Warning,
        piiLoggingEnabled: false,
        loggerCallback: (level, message) => {
          if (level <= LogLevel.Warning) log(level === LogLevel.Error ? "error" : "warn", "msal.web", { message: message.slice(0, 500) });
        },
      },
    },
  });
}
