import { ConfigError } from "./errors";
import { parseConfig, signInAuthorityFor } from "./parse";
import { isTenantGuid, knownTenantId, rememberTenantId, resolveTenantId, withTenantId } from "./tenant";
import type { AppConfig, PublicConfig } from "./types";

export { ConfigError, type ConfigProblem } from "./errors";
export { parseConfig } from "./parse";
export type * from "./types";

let cached: AppConfig | undefined;

/**
 * The validated configuration, read from the environment once per process. A domain in
 * AZURE_TENANT_ID is replaced by the tenant GUID the server resolved at startup (loadConfig).
 */
export function getConfig(): AppConfig {
  cached ??= withResolvedTenant(parseConfig(process.env));
  return cached;
}

/**
 * Startup (instrumentation.ts): validates the environment and, when AZURE_TENANT_ID is a domain,
 * resolves its tenant GUID from the tenant's OpenID metadata once for the process. Throws a
 * ConfigError naming every bad variable (AZURE_TENANT_ID when the domain cannot be resolved).
 */
export async function loadConfig(fetchImpl: typeof fetch = fetch): Promise<AppConfig> {
  const parsed = parseConfig(process.env);
  if (!isTenantGuid(parsed.tenantId) && !knownTenantId(parsed.authorityHost, parsed.tenantId)) {
    rememberTenantId(parsed.authorityHost, parsed.tenantId, await resolveTenantId(parsed, fetchImpl, Math.min(parsed.http.timeoutMs, 10_000)));
  }
  cached = undefined;
  return getConfig();
}

function withResolvedTenant(config: AppConfig): AppConfig {
  if (isTenantGuid(config.tenantId)) return config;
  const tenantId = knownTenantId(config.authorityHost, config.tenantId);
  if (!tenantId) {
    // Only reachable when the startup hook did not run in this process: tokens name the GUID, so a
    // domain would refuse every home-tenant user as "not allowed".
    throw new ConfigError([
      {
        variable: "AZURE_TENANT_ID",
        message: "is a domain name, whose tenant ID the server resolves when it starts (instrumentation.ts), and this process has not done so: start the app with `npm start`/`npm run dev`, or set the tenant's GUID",
      },
    ]);
  }
  return withTenantId(config, tenantId, (tid, allowed) => signInAuthorityFor(config.authorityHost, tid, allowed));
}

/** The browser's share of the configuration: ids and URLs only, never a credential. */
export function getPublicConfig(config: AppConfig = getConfig()): PublicConfig {
  return {
    mode: config.mode,
    spaClientId: config.spa.clientId,
    authority: config.signInAuthority,
    knownAuthorities: config.knownAuthorities,
    apiScope: config.api.scope,
    redirectPath: config.spa.redirectPath,
    clientCapabilities: config.api.clientCapabilities.some((c) => c.toLowerCase() === "cp1") ? ["CP1"] : [],
    authorityHost: config.authorityHost,
    apiClientId: config.api.clientId,
    homeAuthority: config.authority,
  };
}

/** Tests only: forget the memoized config after changing process.env. */
export function resetConfigForTests(): void {
  cached = undefined;
}
