/**
 * Microsoft's clouds and the hosts each one uses. A national cloud is a separate deployment of
 * Entra ID, Graph and ARM: tokens from one are worthless in another, so the sign-in host decides
 * which Graph/ARM audiences and which token-exchange audience the app asks for.
 *
 * Sources (Microsoft Learn):
 * - Graph: https://learn.microsoft.com/graph/deployments
 * - ARM / Entra hosts: https://learn.microsoft.com/azure/azure-government/compare-azure-government-global-azure
 *   and https://learn.microsoft.com/azure/china/resources-developer-guide
 * - Token-exchange audiences: https://learn.microsoft.com/entra/workload-id/workload-identity-federation-config-app-trust-managed-identity
 */
export interface MicrosoftCloud {
  /** Stable name, as Azure CLI and Bicep's environment().name spell it. */
  name: "AzureCloud" | "AzureUSGovernment" | "AzureChinaCloud";
  /** For messages, e.g. "US Government". */
  displayName: string;
  authorityHosts: readonly string[];
  /** First entry = the default Graph endpoint of the cloud. */
  graphHosts: readonly string[];
  /** First entry = the default ARM endpoint of the cloud. */
  armHosts: readonly string[];
  /** Audience of the managed identity token presented as a federated client assertion. */
  tokenExchangeAudience: string;
}

export const MICROSOFT_CLOUDS: readonly MicrosoftCloud[] = [
  {
    name: "AzureCloud",
    displayName: "public cloud",
    authorityHosts: ["login.microsoftonline.com"],
    graphHosts: ["graph.microsoft.com"],
    armHosts: ["management.azure.com"],
    tokenExchangeAudience: "api://AzureADTokenExchange",
  },
  {
    name: "AzureUSGovernment",
    displayName: "US Government",
    authorityHosts: ["login.microsoftonline.us"],
    // L4 (GCC High) and L5 (DoD) have their own Graph hosts.
    graphHosts: ["graph.microsoft.us", "dod-graph.microsoft.us"],
    armHosts: ["management.usgovcloudapi.net"],
    tokenExchangeAudience: "api://AzureADTokenExchangeUSGov",
  },
  {
    name: "AzureChinaCloud",
    displayName: "China (21Vianet)",
    authorityHosts: ["login.chinacloudapi.cn", "login.partner.microsoftonline.cn"],
    graphHosts: ["microsoftgraph.chinacloudapi.cn"],
    armHosts: ["management.chinacloudapi.cn"],
    tokenExchangeAudience: "api://AzureADTokenExchangeChina",
  },
];

export const PUBLIC_CLOUD = MICROSOFT_CLOUDS[0]!;

const find = (host: string, pick: (c: MicrosoftCloud) => readonly string[]) =>
  MICROSOFT_CLOUDS.find((c) => pick(c).includes(host.toLowerCase()));

/** The cloud whose Entra ID signs in at `host` (e.g. login.microsoftonline.us); undefined for the emulator or CIAM. */
export const cloudOfAuthorityHost = (host: string) => find(host, (c) => c.authorityHosts);
/** The cloud whose Microsoft Graph answers at `host`; undefined for any other host (a proxy, the emulator). */
export const cloudOfGraphHost = (host: string) => find(host, (c) => c.graphHosts);
/** The cloud whose Azure Resource Manager answers at `host`; undefined for any other host. */
export const cloudOfArmHost = (host: string) => find(host, (c) => c.armHosts);

export interface CloudInputs {
  /** Host of AZURE_AUTHORITY_HOST, e.g. login.microsoftonline.us. */
  authorityHost: string;
  /** GRAPH_BASE_URL / ARM_BASE_URL, already validated as https URLs. */
  graphBaseUrl: string;
  armBaseUrl: string;
  /** GRAPH_SCOPES / ARM_SCOPES as configured (empty = derive). */
  graphScopes: readonly string[];
  armScopes: readonly string[];
  /** AZURE_TOKEN_EXCHANGE_AUDIENCE, when set. */
  tokenExchangeAudience: string | undefined;
}

export interface CloudSettings {
  graphScopes: string[];
  armScopes: string[];
  tokenExchangeAudience: string;
  /** Graph's and ARM's audience (the prefix of their scopes), e.g. https://graph.microsoft.us. */
  graphResource: string;
  armResource: string;
}

/**
 * The Graph/ARM scopes and the token-exchange audience for a configuration, and a problem for
 * every variable that points at a different cloud than the sign-in host (such a mix can only
 * fail at run time, with an audience error far from its cause).
 *
 * Scopes come from the base URL when it is a Microsoft host (graph.microsoft.us →
 * https://graph.microsoft.us/User.Read). Any other host (a proxy, API Management, the emulator)
 * still serves the sign-in cloud's Graph, so its scopes follow the authority's cloud, and the
 * public cloud when the authority is not a Microsoft one either (emulator, CIAM).
 */
export function cloudSettings(inputs: CloudInputs, fail: (variable: string, message: string) => void): CloudSettings {
  const authorityCloud = cloudOfAuthorityHost(inputs.authorityHost);
  const home = authorityCloud ?? PUBLIC_CLOUD;
  const mismatch = (variable: string, what: string, found: MicrosoftCloud, expected: string) =>
    fail(
      variable,
      `${what} belongs to the ${found.displayName}, but AZURE_AUTHORITY_HOST (${inputs.authorityHost}) signs users in to the ${authorityCloud?.displayName ?? ""}: ` +
        `tokens of one cloud are not accepted in another. Use ${expected}`,
    );

  const resourceOf = (baseUrl: string, byHost: (h: string) => MicrosoftCloud | undefined, hosts: (c: MicrosoftCloud) => readonly string[], variable: string) => {
    const url = new URL(baseUrl);
    const cloud = byHost(url.host);
    if (cloud && authorityCloud && cloud !== authorityCloud) {
      mismatch(variable, `${url.host}`, cloud, `https://${hosts(authorityCloud)[0] ?? ""}${url.pathname === "/" ? "" : url.pathname}`);
    }
    return cloud ? url.origin : `https://${hosts(home)[0] ?? ""}`;
  };
  const graphResource = resourceOf(inputs.graphBaseUrl, cloudOfGraphHost, (c) => c.graphHosts, "GRAPH_BASE_URL");
  const armResource = resourceOf(inputs.armBaseUrl, cloudOfArmHost, (c) => c.armHosts, "ARM_BASE_URL");

  // Explicit scopes are taken as written, but one naming another cloud's Graph or ARM is a mistake.
  const checkScopes = (variable: string, scopes: readonly string[]) => {
    if (!authorityCloud) return;
    for (const scope of scopes) {
      let host: string;
      try {
        host = new URL(scope).host;
      } catch {
        continue; // bare names (User.Read) and api:// URIs belong to no cloud
      }
      const cloud = cloudOfGraphHost(host) ?? cloudOfArmHost(host);
      if (cloud && cloud !== authorityCloud) {
        const expected = cloudOfGraphHost(host) ? authorityCloud.graphHosts[0] : authorityCloud.armHosts[0];
        mismatch(variable, `the scope ${scope}`, cloud, `https://${expected ?? ""}/… scopes`);
        return;
      }
    }
  };
  checkScopes("GRAPH_SCOPES", inputs.graphScopes);
  checkScopes("ARM_SCOPES", inputs.armScopes);

  let tokenExchangeAudience = home.tokenExchangeAudience;
  if (inputs.tokenExchangeAudience !== undefined) {
    tokenExchangeAudience = inputs.tokenExchangeAudience.replace(/\/\.default$/i, "");
    const cloud = MICROSOFT_CLOUDS.find((c) => c.tokenExchangeAudience.toLowerCase() === tokenExchangeAudience.toLowerCase());
    if (/\s/.test(tokenExchangeAudience)) {
      fail("AZURE_TOKEN_EXCHANGE_AUDIENCE", "must be one audience URI such as api://AzureADTokenExchange (no spaces)");
    } else if (cloud && authorityCloud && cloud !== authorityCloud) {
      mismatch("AZURE_TOKEN_EXCHANGE_AUDIENCE", tokenExchangeAudience, cloud, `${authorityCloud.tokenExchangeAudience} (or leave it unset: it follows AZURE_AUTHORITY_HOST)`);
    }
  }

  return {
    graphScopes: inputs.graphScopes.length ? [...inputs.graphScopes] : [`${graphResource}/User.Read`],
    armScopes: inputs.armScopes.length ? [...inputs.armScopes] : [`${armResource}/user_impersonation`],
    tokenExchangeAudience,
    graphResource,
    armResource,
  };
}

/** The Microsoft cloud a sign-in host belongs to, the public cloud for any other host (the emulator, CIAM). */
export const homeCloudOf = (authorityHost: string): MicrosoftCloud => cloudOfAuthorityHost(authorityHost) ?? PUBLIC_CLOUD;
