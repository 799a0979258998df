import { ConfigError } from "./errors";
import { parseConfig, type Env } from "./parse";

const TENANT = "11111111-2222-4333-8444-555555555555";
const base: Env = {
  AZURE_TENANT_ID: TENANT,
  AZURE_SPA_CLIENT_ID: "aaaaaaaa-0000-4000-8000-000000000001",
  AZURE_API_CLIENT_ID: "aaaaaaaa-0000-4000-8000-000000000002",
  AZURE_API_MANAGED_IDENTITY_CLIENT_ID: "aaaaaaaa-0000-4000-8000-000000000004",
  IDENTITY_ENDPOINT: "http://localhost:4141/msi/token",
  IDENTITY_HEADER: "h",
  AZURE_WEB_CLIENT_ID: "aaaaaaaa-0000-4000-8000-000000000003",
  AZURE_WEB_CLIENT_SECRET: "web-secret",
  SESSION_PASSWORD: "x".repeat(32),
};

function problems(env: Env): { variable: string; message: string }[] {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

function exchangeAudience(env: Env): string {
  const credential = parseConfig(env).api.credential;
  if (credential.kind !== "managedIdentity") throw new Error("expected the managed identity credential");
  return credential.tokenExchangeAudience;
}

// One row per Microsoft cloud: what a deployer sets, and what the app must then ask for.
describe.each([
  {
    cloud: "public",
    authority: "https://login.microsoftonline.com",
    graph: "https://graph.microsoft.com/v1.0",
    arm: "https://management.azure.com",
    graphScope: "https://graph.microsoft.com/User.Read",
    armScope: "https://management.azure.com/user_impersonation",
    exchange: "api://AzureADTokenExchange",
  },
  {
    cloud: "US Government",
    authority: "https://login.microsoftonline.us",
    graph: "https://graph.microsoft.us/v1.0",
    arm: "https://management.usgovcloudapi.net",
    graphScope: "https://graph.microsoft.us/User.Read",
    armScope: "https://management.usgovcloudapi.net/user_impersonation",
    exchange: "api://AzureADTokenExchangeUSGov",
  },
  {
    cloud: "China (21Vianet)",
    authority: "https://login.chinacloudapi.cn",
    graph: "https://microsoftgraph.chinacloudapi.cn/v1.0",
    arm: "https://management.chinacloudapi.cn",
    graphScope: "https://microsoftgraph.chinacloudapi.cn/User.Read",
    armScope: "https://management.chinacloudapi.cn/user_impersonation",
    exchange: "api://AzureADTokenExchangeChina",
  },
])("national clouds: $cloud", ({ authority, graph, arm, graphScope, armScope, exchange }) => {
  const env: Env = { ...base, AZURE_AUTHORITY_HOST: authority, GRAPH_BASE_URL: graph, ARM_BASE_URL: arm };

  it("derives the Graph and ARM scopes from the configured endpoints", () => {
    const config = parseConfig(env);
    expect(config.downstream.graph.scopes).toEqual([graphScope]);
    expect(config.downstream.arm.scopes).toEqual([armScope]);
    expect(config.web?.scopes).toEqual([graphScope]);
  });

  it("derives the managed identity token-exchange audience from the sign-in host", () => {
    expect(exchangeAudience(env)).toBe(exchange);
  });

  it("takes the cloud's Graph and ARM endpoints when only the sign-in host is set", () => {
    const config = parseConfig({ ...base, AZURE_AUTHORITY_HOST: authority });
    expect(config.downstream.graph.baseUrl).toBe(graph);
    expect(config.downstream.arm.baseUrl).toBe(arm);
    expect(config.downstream.graph.scopes).toEqual([graphScope]);
  });

  it("keeps explicit scopes and an explicit exchange audience as written", () => {
    const config = parseConfig({ ...env, GRAPH_SCOPES: `${graphScope} ${graphScope.replace("User.Read", "Mail.Read")}`, AZURE_TOKEN_EXCHANGE_AUDIENCE: "api://contoso-exchange" });
    expect(config.downstream.graph.scopes).toEqual([graphScope, graphScope.replace("User.Read", "Mail.Read")]);
    expect(exchangeAudience({ ...env, AZURE_TOKEN_EXCHANGE_AUDIENCE: "api://contoso-exchange" })).toBe("api://contoso-exchange");
  });
});

describe("mixed clouds", () => {
  it("names a China sign-in host with the public Graph host, and says what to use", () => {
    const found = problems({ ...base, AZURE_AUTHORITY_HOST: "https://login.chinacloudapi.cn", GRAPH_BASE_URL: "https://graph.microsoft.com/v1.0" });
    expect(found.map((p) => p.variable)).toEqual(["GRAPH_BASE_URL"]);
    expect(found[0]?.message).toMatch(/public cloud.*China.*https:\/\/microsoftgraph\.chinacloudapi\.cn\/v1\.0/);
  });

  it.each([
    ["ARM_BASE_URL", { AZURE_AUTHORITY_HOST: "https://login.microsoftonline.us", ARM_BASE_URL: "https://management.chinacloudapi.cn" }],
    ["GRAPH_SCOPES", { AZURE_AUTHORITY_HOST: "https://login.microsoftonline.us", GRAPH_SCOPES: "https://graph.microsoft.com/User.Read" }],
    ["ARM_SCOPES", { AZURE_AUTHORITY_HOST: "https://login.partner.microsoftonline.cn", ARM_SCOPES: "https://management.azure.com/user_impersonation" }],
    ["AZURE_TOKEN_EXCHANGE_AUDIENCE", { AZURE_AUTHORITY_HOST: "https://login.microsoftonline.us", AZURE_TOKEN_EXCHANGE_AUDIENCE: "api://AzureADTokenExchange" }],
  ])("names %s when it points at another cloud than the sign-in host", (variable, overrides) => {
    expect(problems({ ...base, ...overrides }).map((p) => p.variable)).toEqual([variable]);
  });

  it("accepts a proxy in front of Graph and still asks for the sign-in cloud's Graph audience", () => {
    const config = parseConfig({ ...base, AZURE_AUTHORITY_HOST: "https://login.microsoftonline.us", GRAPH_BASE_URL: "https://apim.contoso.us/graph/v1.0" });
    expect(config.downstream.graph.scopes).toEqual(["https://graph.microsoft.us/User.Read"]);
  });

  it("treats a non-Microsoft sign-in host (emulator, CIAM) as the public cloud unless told otherwise", () => {
    const env = { ...base, IDENTITY_MODE: "emulator", AZURE_AUTHORITY_HOST: "https://localhost:8443", GRAPH_BASE_URL: "https://localhost:8443/graph/v1.0", ARM_BASE_URL: "https://localhost:8443/arm" };
    const config = parseConfig(env);
    expect(config.downstream.graph.scopes).toEqual(["https://graph.microsoft.com/User.Read"]);
    expect(config.downstream.arm.scopes).toEqual(["https://management.azure.com/user_impersonation"]);
    expect(exchangeAudience(env)).toBe("api://AzureADTokenExchange");
    expect(exchangeAudience({ ...env, AZURE_TOKEN_EXCHANGE_AUDIENCE: "api://AzureADTokenExchangeUSGov/.default" })).toBe("api://AzureADTokenExchangeUSGov");
  });
});
