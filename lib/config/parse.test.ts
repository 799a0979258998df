import { execFileSync } from "node:child_process";
import { X509Certificate, generateKeyPairSync } from "node:crypto";
import { ConfigError } from "./errors";
import { parseConfig, type Env } from "./parse";

const TENANT = "11111111-2222-4333-8444-555555555555";
const SPA = "aaaaaaaa-0000-4000-8000-000000000001";
const API = "aaaaaaaa-0000-4000-8000-000000000002";
const SECRET = "s3cr3t-value-that-must-never-be-printed";

const valid: Env = {
  AZURE_TENANT_ID: TENANT,
  AZURE_SPA_CLIENT_ID: SPA,
  AZURE_API_CLIENT_ID: API,
  AZURE_API_CLIENT_SECRET: SECRET,
  SESSION_PASSWORD: "x".repeat(32),
};

function problemsOf(env: Env, readFile?: (p: string) => string): string[] {
  try {
    parseConfig(env, readFile);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => p.variable);
    throw error;
  }
  return [];
}

describe("parseConfig", () => {
  it("fills Entra defaults for a minimal tenant configuration", () => {
    const config = parseConfig(valid);
    expect(config.mode).toBe("tenant");
    expect(config.authority).toBe(`https://login.microsoftonline.com/${TENANT}`);
    expect(config.knownAuthorities).toEqual([]);
    expect(config.api.scope).toBe(`api://${API}/access_as_user`);
    expect(config.api.appIdUri).toBe(`api://${API}`);
    expect(config.api.scopeName).toBe("access_as_user");
    expect(config.allowedTenants).toEqual([TENANT]);
    expect(config.downstream.arm.scopes).toEqual(["https://management.azure.com/user_impersonation"]);
    expect(config.web).toBeNull();
    expect(config.redis).toBeNull();
  });

  it("signs users in at the home tenant, or at organizations when other tenants are allowed", () => {
    const single = parseConfig(valid);
    expect(single.signInAuthority).toBe(`https://login.microsoftonline.com/${TENANT}`);
    const other = "22222222-2222-4333-8444-555555555555";
    const multi = parseConfig({ ...valid, AZURE_ALLOWED_TENANTS: `${TENANT},${other}` });
    expect(multi.signInAuthority).toBe("https://login.microsoftonline.com/organizations");
    // the home tenant stays the API's own: verification, discovery and logs use it
    expect(multi.authority).toBe(`https://login.microsoftonline.com/${TENANT}`);
    // listing only the home tenant is still single-tenant
    expect(parseConfig({ ...valid, AZURE_ALLOWED_TENANTS: TENANT }).signInAuthority).toBe(`https://login.microsoftonline.com/${TENANT}`);
  });

  it("names every missing variable at once when nothing is configured", () => {
    expect(problemsOf({})).toEqual(
      expect.arrayContaining(["AZURE_TENANT_ID", "AZURE_SPA_CLIENT_ID", "AZURE_API_CLIENT_ID", "AZURE_API_CLIENT_SECRET", "SESSION_PASSWORD"]),
    );
  });

  it("explains how to get started when no tenant is configured", () => {
    expect(() => parseConfig({})).toThrow(/npm run dev/);
  });

  it("never echoes a secret's value, even when the value is the problem", () => {
    const env = { ...valid, SESSION_PASSWORD: "short-secret-value", AZURE_API_SCOPE: SECRET };
    try {
      parseConfig({ ...env, AZURE_API_CLIENT_SECRET: SECRET, AZURE_API_CERTIFICATE_PATH: "/x.pem" });
      throw new Error("expected a ConfigError");
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      expect(message).not.toContain(SECRET);
      expect(message).not.toContain("short-secret-value");
      expect(message).toContain("SESSION_PASSWORD");
    }
  });

  it.each([
    ["AZURE_TENANT_ID", "common"],
    ["AZURE_SPA_CLIENT_ID", "not-a-guid"],
    ["AZURE_AUTHORITY_HOST", "http://login.microsoftonline.com"],
    ["GRAPH_BASE_URL", "graph.microsoft.com"],
    ["AZURE_ALLOWED_TENANTS", `${TENANT},contoso`],
    ["TOKEN_CACHE_MAX_USERS", "-5"],
    ["IDENTITY_MODE", "azure"],
    ["REDIS_URL", "http://cache:6379"],
  ])("rejects a malformed %s", (variable, value) => {
    expect(problemsOf({ ...valid, [variable]: value })).toContain(variable);
  });

  it("reports an unresolved App Service Key Vault reference instead of using it as a secret", () => {
    const reference = "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/session-password/)";
    expect(problemsOf({ ...valid, SESSION_PASSWORD: reference })).toEqual(["SESSION_PASSWORD"]);
  });

  it("takes the public origin from APP_BASE_URL and trusts forwarded headers only when told to (issue #14 item 4)", () => {
    expect(parseConfig(valid).publicUrl).toEqual({ baseUrl: undefined, trustForwardedHeaders: false });
    expect(parseConfig({ ...valid, TRUST_FORWARDED_HEADERS: "true" }).publicUrl).toEqual({ baseUrl: undefined, trustForwardedHeaders: true });
    expect(parseConfig({ ...valid, APP_BASE_URL: "https://Contoso.azurewebsites.net/", TRUST_FORWARDED_HEADERS: "false" }).publicUrl).toEqual({
      baseUrl: "https://contoso.azurewebsites.net",
      trustForwardedHeaders: false,
    });
    expect(problemsOf({ ...valid, APP_BASE_URL: "https://contoso.azurewebsites.net/app" })).toEqual(["APP_BASE_URL"]);
    expect(problemsOf({ ...valid, TRUST_FORWARDED_HEADERS: "yes" })).toEqual(["TRUST_FORWARDED_HEADERS"]);
  });

  it("normalises GUIDs to lower case: tenant, client ids and allow-list entries (issue #14 item 8)", () => {
    const other = "99999999-2222-4333-8444-555555555555";
    const config = parseConfig({
      ...valid,
      AZURE_TENANT_ID: TENANT.toUpperCase(),
      AZURE_SPA_CLIENT_ID: SPA.toUpperCase(),
      AZURE_API_CLIENT_ID: API.toUpperCase(),
      AZURE_ALLOWED_TENANTS: `${other.toUpperCase()},${other}`,
      AZURE_WEB_CLIENT_ID: SPA.toUpperCase(),
      AZURE_WEB_CLIENT_SECRET: SECRET,
      AZURE_CLI_CLIENT_ID: API.toUpperCase(),
    });
    expect(config.tenantId).toBe(TENANT);
    expect(config.authority).toBe(`https://login.microsoftonline.com/${TENANT}`);
    expect(config.allowedTenants).toEqual([TENANT, other]);
    expect(config.spa.clientId).toBe(SPA);
    expect(config.api.clientId).toBe(API);
    expect(config.api.scope).toBe(`api://${API}/access_as_user`);
    expect(config.api.appIdUri).toBe(`api://${API}`);
    expect(config.web?.clientId).toBe(SPA);
    expect(config.cli?.clientId).toBe(API);
    // an explicit App ID URI of the api://<guid> form names the same app in any case
    expect(parseConfig({ ...valid, AZURE_API_SCOPE: `api://${API.toUpperCase()}/access_as_user` }).api.appIdUri).toBe(`api://${API}`);
    // a verified domain is a host name: case-insensitive too
    expect(parseConfig({ ...valid, AZURE_TENANT_ID: "Contoso.OnMicrosoft.com" }).tenantId).toBe("contoso.onmicrosoft.com");
    const mi = parseConfig({ ...valid, AZURE_API_CLIENT_SECRET: "", AZURE_API_MANAGED_IDENTITY_CLIENT_ID: API.toUpperCase(), IDENTITY_ENDPOINT: "http://localhost:4141/msi/token", IDENTITY_HEADER: "h" });
    expect(mi.api.credential).toMatchObject({ kind: "managedIdentity", managedIdentityClientId: API });
  });

  it("allows the SPA and the CLI to call the API by default; AZURE_ALLOWED_CLIENT_IDS replaces the others (issue #14 item 10)", () => {
    const CLI = "aaaaaaaa-0000-4000-8000-000000000004";
    const PARTNER_APP = "bbbbbbbb-0000-4000-8000-000000000005";
    expect(parseConfig(valid).allowedClientIds).toEqual([SPA]);
    expect(parseConfig({ ...valid, AZURE_CLI_CLIENT_ID: CLI }).allowedClientIds).toEqual([SPA, CLI]);
    // the SPA is this app's own front end: always allowed, like the home tenant
    expect(parseConfig({ ...valid, AZURE_CLI_CLIENT_ID: CLI, AZURE_ALLOWED_CLIENT_IDS: PARTNER_APP.toUpperCase() }).allowedClientIds).toEqual([SPA, PARTNER_APP]);
    expect(problemsOf({ ...valid, AZURE_ALLOWED_CLIENT_IDS: `${PARTNER_APP},api://partner` })).toEqual(["AZURE_ALLOWED_CLIENT_IDS"]);
  });

  it("in production (npm start, App Service) requires APP_BASE_URL, https unless on this machine (issue #14 item 4)", () => {
    const production = { ...valid, NODE_ENV: "production", AZURE_APP_ROLES_ENFORCED: "true" };
    expect(problemsOf(production)).toEqual(["APP_BASE_URL"]);
    expect(() => parseConfig(production)).toThrow(/APP_BASE_URL: is not set: in production the app's public origin must be configured/);
    expect(parseConfig({ ...production, APP_BASE_URL: "https://contoso.azurewebsites.net" }).publicUrl.baseUrl).toBe("https://contoso.azurewebsites.net");
    expect(problemsOf({ ...production, APP_BASE_URL: "http://contoso.azurewebsites.net" })).toEqual(["APP_BASE_URL"]);
    for (const local of ["http://localhost:3000", "http://127.0.0.1:3410", "http://[::1]:3000"]) {
      expect(parseConfig({ ...production, APP_BASE_URL: local }).publicUrl.baseUrl).toBe(local);
    }
    // development and tests derive the origin from each request, as before
    expect(problemsOf({ ...valid, NODE_ENV: "development" })).toEqual([]);
    expect(problemsOf({ ...valid, NODE_ENV: "test" })).toEqual([]);
  });

  it("in production refuses IDENTITY_MODE=emulator, naming the variable (issue #22 §4 finding 6); next dev and tests keep it", () => {
    const production = { ...valid, NODE_ENV: "production", APP_BASE_URL: "https://contoso.azurewebsites.net", AZURE_APP_ROLES_ENFORCED: "true" };
    expect(problemsOf({ ...production, IDENTITY_MODE: "emulator" })).toEqual(["IDENTITY_MODE"]);
    expect(() => parseConfig({ ...production, IDENTITY_MODE: "emulator" })).toThrow(/IDENTITY_MODE: is "emulator", which is for `npm run dev` only/);
    expect(parseConfig({ ...production, IDENTITY_MODE: "tenant" }).mode).toBe("tenant");
    expect(parseConfig(production).mode).toBe("tenant");
    expect(parseConfig({ ...valid, NODE_ENV: "development", IDENTITY_MODE: "emulator" }).mode).toBe("emulator");
    expect(parseConfig({ ...valid, NODE_ENV: "test", IDENTITY_MODE: "emulator" }).mode).toBe("emulator");
  });

  it("enforces the views' app roles by default; production must say so explicitly, naming the variable (issue #21)", () => {
    const config = parseConfig(valid);
    expect(config.authorization.rolesEnforced).toBe(true);
    expect(config.authorization.views.subscriptions).toEqual({ role: "Subscriptions.Read", groupIds: [], authContext: undefined });
    expect(config.authorization.views.directory).toEqual({ role: "Directory.Read", groupIds: [], authContext: undefined });
    const production = { ...valid, NODE_ENV: "production", APP_BASE_URL: "https://contoso.azurewebsites.net" };
    expect(problemsOf(production)).toEqual(["AZURE_APP_ROLES_ENFORCED"]);
    expect(() => parseConfig(production)).toThrow(/AZURE_APP_ROLES_ENFORCED: is not set: in production say whether the Subscriptions and Directory views need the API's app roles/);
    expect(parseConfig({ ...production, AZURE_APP_ROLES_ENFORCED: "false" }).authorization.rolesEnforced).toBe(false);
    expect(parseConfig({ ...production, AZURE_APP_ROLES_ENFORCED: "TRUE" }).authorization.rolesEnforced).toBe(true);
    expect(problemsOf({ ...valid, AZURE_APP_ROLES_ENFORCED: "yes" })).toEqual(["AZURE_APP_ROLES_ENFORCED"]);
  });

  it("takes group object ids and authentication contexts per view, refusing names where ids belong (issue #21)", () => {
    const group = "7AECBC7B-1023-441D-9A1A-3B12F43441EA";
    const config = parseConfig({ ...valid, AZURE_DIRECTORY_GROUP_IDS: ` ${group}, ${group.toLowerCase()} `, AZURE_SUBSCRIPTIONS_AUTH_CONTEXT: "C1" });
    expect(config.authorization.views.directory.groupIds).toEqual([group.toLowerCase()]);
    expect(config.authorization.views.subscriptions.authContext).toBe("c1");
    expect(config.authorization.views.directory.authContext).toBeUndefined();
    expect(problemsOf({ ...valid, AZURE_DIRECTORY_GROUP_IDS: "Directory viewers" })).toEqual(["AZURE_DIRECTORY_GROUP_IDS"]);
    expect(() => parseConfig({ ...valid, AZURE_SUBSCRIPTIONS_GROUP_IDS: "sg-readers@contoso.com" })).toThrow(/AZURE_SUBSCRIPTIONS_GROUP_IDS: must be a comma-separated list of security group object IDs .*not group names/);
    for (const bad of ["c0", "c100", "acr1", "urn:c1", "1"]) expect(problemsOf({ ...valid, AZURE_SUBSCRIPTIONS_AUTH_CONTEXT: bad })).toEqual(["AZURE_SUBSCRIPTIONS_AUTH_CONTEXT"]);
    expect(() => parseConfig({ ...valid, AZURE_DIRECTORY_AUTH_CONTEXT: "mfa" })).toThrow(/AZURE_DIRECTORY_AUTH_CONTEXT: must be an authentication context id from c1 to c99/);
  });

  it("requires an encryption key when tokens go to Redis", () => {
    expect(problemsOf({ ...valid, REDIS_URL: "redis://localhost:6379" })).toEqual(["TOKEN_CACHE_ENCRYPTION_KEY"]);
    expect(problemsOf({ ...valid, REDIS_URL: "rediss://h:6380", TOKEN_CACHE_ENCRYPTION_KEY: "k".repeat(32) })).toEqual([]);
  });

  it("refuses two API credentials at once rather than guessing", () => {
    expect(problemsOf({ ...valid, AZURE_API_MANAGED_IDENTITY_CLIENT_ID: API })).toHaveLength(1);
  });

  it("refuses a system-assigned managed identity: only a user-assigned one can be an app registration's federated credential (issue #20 item 3)", () => {
    const managed = { ...valid, AZURE_API_CLIENT_SECRET: "", IDENTITY_ENDPOINT: "http://localhost:4141/msi/token", IDENTITY_HEADER: "h" };
    const message = (env: Env): string => {
      try {
        parseConfig(env);
      } catch (error) {
        if (error instanceof ConfigError) return error.message;
        throw error;
      }
      return "";
    };
    expect(problemsOf({ ...managed, AZURE_API_MANAGED_IDENTITY_CLIENT_ID: "system" })).toEqual(["AZURE_API_MANAGED_IDENTITY_CLIENT_ID"]);
    expect(message({ ...managed, AZURE_API_MANAGED_IDENTITY_CLIENT_ID: "System" })).toMatch(
      /AZURE_API_MANAGED_IDENTITY_CLIENT_ID: .*only a user-assigned managed identity can be a federated identity credential of an app registration/,
    );
    // anything else that is not a client id is refused too, instead of reaching App Service's endpoint
    expect(problemsOf({ ...managed, AZURE_API_MANAGED_IDENTITY_CLIENT_ID: "my-identity" })).toEqual(["AZURE_API_MANAGED_IDENTITY_CLIENT_ID"]);
    expect(parseConfig({ ...managed, AZURE_API_MANAGED_IDENTITY_CLIENT_ID: API.toUpperCase() }).api.credential).toMatchObject({ managedIdentityClientId: API });
  });

  it("asks for the web app's secret when only its client id is set", () => {
    expect(problemsOf({ ...valid, AZURE_WEB_CLIENT_ID: SPA })).toEqual(["AZURE_WEB_CLIENT_SECRET"]);
  });

  it("adds a non-Microsoft authority host to knownAuthorities (emulator, CIAM)", () => {
    const config = parseConfig({ ...valid, IDENTITY_MODE: "emulator", AZURE_AUTHORITY_HOST: "https://localhost:8443/" });
    expect(config.mode).toBe("emulator");
    expect(config.authority).toBe(`https://localhost:8443/${TENANT}`);
    expect(config.knownAuthorities).toEqual(["localhost:8443"]);
  });

  it("keeps the home tenant first among allowed tenants", () => {
    const other = "99999999-2222-4333-8444-555555555555";
    expect(parseConfig({ ...valid, AZURE_ALLOWED_TENANTS: other }).allowedTenants).toEqual([TENANT, other]);
  });

  it("loads a certificate credential and computes its SHA-256 thumbprint", () => {
    // key + certificate in one PEM, the shape App Service and Key Vault exports use
    const pem = execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=api-test", "-days", "1", "-keyout", "-", "-out", "-"], {
      stdio: ["ignore", "pipe", "ignore"],
    }).toString();
    const config = parseConfig({ ...valid, AZURE_API_CLIENT_SECRET: "", AZURE_API_CERTIFICATE_PATH: "/certs/api.pem" }, () => pem);
    const certificatePem = pem.slice(pem.indexOf("-----BEGIN CERTIFICATE-----"));
    expect(config.api.credential).toMatchObject({
      kind: "certificate",
      thumbprintSha256: new X509Certificate(certificatePem).fingerprint256.replaceAll(":", "").toLowerCase(),
    });
  });

  it("refuses a certificate file that is unreadable or lacks the key or the certificate", () => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const keyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    // A real certificate is needed for the thumbprint; a garbage one must be refused.
    const env = { ...valid, AZURE_API_CLIENT_SECRET: "", AZURE_API_CERTIFICATE_PATH: "/certs/api.pem" };
    expect(problemsOf(env, () => `${keyPem}\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`)).toEqual([
      "AZURE_API_CERTIFICATE_PATH",
    ]);
    expect(problemsOf(env, () => keyPem)).toEqual(["AZURE_API_CERTIFICATE_PATH"]);
    expect(problemsOf(env, () => {
      throw new Error("ENOENT");
    })).toEqual(["AZURE_API_CERTIFICATE_PATH"]);
  });

  it("needs App Service's identity endpoint for the managed identity credential", () => {
    const env = { ...valid, AZURE_API_CLIENT_SECRET: "", AZURE_API_MANAGED_IDENTITY_CLIENT_ID: API };
    expect(problemsOf(env)).toEqual(["IDENTITY_ENDPOINT"]);
    const config = parseConfig({ ...env, IDENTITY_ENDPOINT: "http://localhost:4141/msi/token", IDENTITY_HEADER: "h" });
    expect(config.api.credential).toEqual({
      kind: "managedIdentity",
      managedIdentityClientId: API,
      endpoint: "http://localhost:4141/msi/token",
      header: "h",
      tokenExchangeAudience: "api://AzureADTokenExchange",
    });
  });
});

describe("the in-memory token caches fit the heap (the heap-limit rule: scripts/lib/heap.mjs)", () => {
  const heap = (heapLimitMb: number) => ({ heapLimitMb });
  const messageOf = (env: Env, heapLimitMb: number): string => {
    try {
      parseConfig(env, undefined, heap(heapLimitMb));
    } catch (error) {
      if (error instanceof ConfigError) return error.message;
      throw error;
    }
    return "";
  };

  it("defaults TOKEN_CACHE_MAX_USERS to what the heap holds, at most 10 000", () => {
    // the smallest App Service plan under the heap-limit rule (B1, 1.75 GB: 176 MB old space +
    // 3 × 32 MB young generation = V8's heap limit of 272 MB): a few thousand users, not 10 000
    const small = parseConfig(valid, undefined, heap(272)).tokenCache.maxUsers;
    expect(small).toBeGreaterThan(3_000);
    expect(small).toBeLessThan(6_000);
    expect(parseConfig(valid, undefined, heap(2_048)).tokenCache.maxUsers).toBe(10_000);
    // the web app's partitions share the same heap: fewer users fit when it is configured
    const withWeb = { ...valid, AZURE_WEB_CLIENT_ID: "aaaaaaaa-0000-4000-8000-000000000003", AZURE_WEB_CLIENT_SECRET: SECRET };
    expect(parseConfig(withWeb, undefined, heap(272)).tokenCache.maxUsers).toBeLessThan(small);
  });

  it("refuses an explicit TOKEN_CACHE_MAX_USERS the heap cannot hold, naming the variable and what fits", () => {
    const message = messageOf({ ...valid, TOKEN_CACHE_MAX_USERS: "10000" }, 176);
    expect(message).toContain("TOKEN_CACHE_MAX_USERS");
    expect(message).toMatch(/heap limit of 176 MB holds about \d+ users/);
    expect(message).toContain("REDIS_URL");
    expect(messageOf({ ...valid, TOKEN_CACHE_MAX_USERS: "2000" }, 176)).toBe("");
  });
});
