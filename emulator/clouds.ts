// Which Microsoft cloud the emulator plays. A national cloud is its own Entra ID with its own
// Graph and ARM: tokens carry that cloud's audiences (https://graph.microsoft.us, ...) and the
// managed identity's token-exchange audience differs too, so an app that asks for public-cloud
// scopes or audiences is refused, as it would be there.
//   Graph hosts: https://learn.microsoft.com/graph/deployments
//   ARM hosts: https://learn.microsoft.com/azure/azure-government/compare-azure-government-global-azure
//   Exchange audiences: https://learn.microsoft.com/entra/workload-id/workload-identity-federation-config-app-trust-managed-identity
import type { SeedData } from "./types";

export const EMULATOR_CLOUD_NAMES = ["public", "usgov", "china"] as const;
export type EmulatorCloudName = (typeof EMULATOR_CLOUD_NAMES)[number];

export interface EmulatorCloud {
  name: EmulatorCloudName;
  displayName: string;
  /** Graph's token audience and App ID URI. */
  graph: string;
  /** ARM's token audience and App ID URI, and its classic alias. */
  arm: string;
  armClassic: string;
  /** Audience of a managed identity token presented as a federated client assertion. */
  tokenExchangeAudience: string;
  /**
   * The cloud's own host names, served (with their real paths) only when the emulator is given a
   * certificate for them (StartEmulatorOptions.microsoftHosts): Entra ID's sign-in host, Graph's
   * and ARM's, and `cloudInstanceName` as Entra's OpenID configuration names the cloud.
   */
  hosts: { login: string; graph: string; arm: string; cloudInstanceName: string };
  /** Origin of v1.0 token issuers (`<origin>/<tenant id>/`): Graph's and ARM's tokens are v1.0. */
  v1IssuerOrigin: string;
}

export const EMULATOR_CLOUDS: Record<EmulatorCloudName, EmulatorCloud> = {
  public: {
    name: "public",
    displayName: "Azure public cloud",
    graph: "https://graph.microsoft.com",
    arm: "https://management.azure.com",
    armClassic: "https://management.core.windows.net",
    tokenExchangeAudience: "api://AzureADTokenExchange",
    hosts: { login: "login.microsoftonline.com", graph: "graph.microsoft.com", arm: "management.azure.com", cloudInstanceName: "microsoftonline.com" },
    v1IssuerOrigin: "https://sts.windows.net",
  },
  usgov: {
    name: "usgov",
    displayName: "Azure US Government",
    graph: "https://graph.microsoft.us",
    arm: "https://management.usgovcloudapi.net",
    armClassic: "https://management.core.usgovcloudapi.net",
    tokenExchangeAudience: "api://AzureADTokenExchangeUSGov",
    hosts: { login: "login.microsoftonline.us", graph: "graph.microsoft.us", arm: "management.usgovcloudapi.net", cloudInstanceName: "microsoftonline.us" },
    v1IssuerOrigin: "https://sts.windows.net",
  },
  china: {
    name: "china",
    displayName: "Azure China (21Vianet)",
    graph: "https://microsoftgraph.chinacloudapi.cn",
    arm: "https://management.chinacloudapi.cn",
    armClassic: "https://management.core.chinacloudapi.cn",
    tokenExchangeAudience: "api://AzureADTokenExchangeChina",
    hosts: { login: "login.chinacloudapi.cn", graph: "microsoftgraph.chinacloudapi.cn", arm: "management.chinacloudapi.cn", cloudInstanceName: "chinacloudapi.cn" },
    v1IssuerOrigin: "https://sts.chinacloudapi.cn",
  },
};

export function emulatorCloud(raw: string | undefined): EmulatorCloud {
  const name = (raw ?? "public").trim().toLowerCase() || "public";
  if (!(EMULATOR_CLOUD_NAMES as readonly string[]).includes(name)) {
    throw new Error(`EMULATOR_CLOUD must be one of ${EMULATOR_CLOUD_NAMES.join(", ")}, got '${raw ?? ""}'`);
  }
  return EMULATOR_CLOUDS[name as EmulatorCloudName];
}

/**
 * The seed data as that cloud's directory would hold it: every public-cloud Graph/ARM identifier
 * (resources, consented scopes, role assignments, the MFA policy) and the federated credential's
 * audience rewritten to the cloud's own. The seed file itself stays written for the public cloud.
 */
export function seedForCloud(seed: SeedData, cloud: EmulatorCloud): SeedData {
  if (cloud.name === "public") return seed;
  const from = EMULATOR_CLOUDS.public;
  const rewrite = (value: string): string => {
    if (value === from.tokenExchangeAudience) return cloud.tokenExchangeAudience;
    for (const key of ["graph", "arm", "armClassic"] as const) {
      const prefix = from[key];
      if (value === prefix || value.startsWith(`${prefix}/`)) return cloud[key] + value.slice(prefix.length);
    }
    return value;
  };
  const walk = (value: unknown): unknown => {
    if (typeof value === "string") return rewrite(value);
    if (Array.isArray(value)) return value.map(walk);
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
    return value;
  };
  return walk(seed) as SeedData;
}
