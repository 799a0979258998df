import { parseConfig } from "./parse";
import type { AppConfig, PublicConfig } from "./types";

export { ConfigError, type ConfigProblem } from "./errors";
export { parseConfig } from "./parse";
export type * from "./types";

let cached: AppConfig | undefined;

/** The validated configuration, read from the environment once per process. */
export function getConfig(): AppConfig {
  cached ??= parseConfig(process.env);
  return cached;
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
