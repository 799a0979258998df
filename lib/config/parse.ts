import { X509Certificate, createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { cloudOfAuthorityHost, cloudSettings, PUBLIC_CLOUD } from "./clouds";
import { ConfigError, type ConfigProblem } from "./errors";
import { DEFAULT_TOKEN_CACHE_MAX_USERS, processHeapLimitMb, tokenCacheUsersThatFit } from "./memory";
import type { ApiCredential, AppConfig, IdentityMode, ProtectedView, ViewPolicy } from "./types";

export type Env = Readonly<Record<string, string | undefined>>;

/** Reads a file named by a variable; injectable so tests need no files. */
export type FileReader = (path: string) => string;

/** Facts about the process the configuration must fit; injectable so tests need no heap flags. */
export interface RuntimeLimits {
  /** V8's heap limit, MB. */
  heapLimitMb: number;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9-]{1,63}\.)+[a-z]{2,63}$/i;
// Microsoft clouds MSAL knows; any other authority host needs `knownAuthorities`.
const MICROSOFT_AUTHORITY_HOSTS = new Set([
  "login.microsoftonline.com",
  "login.microsoftonline.us",
  "login.chinacloudapi.cn",
  "login.partner.microsoftonline.cn",
]);
const MIN_SESSION_PASSWORD = 32;
// Conditional Access authentication context ids: c1 … c99 (Entra admin center, case-insensitive).
const AUTH_CONTEXT = /^c([1-9]|[1-9][0-9])$/i;

/** The API registration's app roles each view needs (README, "Authorization"; infra/app-registrations.bicep). */
export const VIEW_ROLES: Readonly<Record<ProtectedView, string>> = { subscriptions: "Subscriptions.Read", directory: "Directory.Read" };
// Hosts where plain http never leaves the machine (URL.hostname spelling).
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * Turns an environment into a validated AppConfig, or throws one ConfigError naming every bad
 * variable. Pure apart from reading the certificate file, so every branch is unit-testable.
 */
export function parseConfig(env: Env, readFile: FileReader = (p) => readFileSync(p, "utf8"), runtime: RuntimeLimits = { heapLimitMb: processHeapLimitMb() }): AppConfig {
  const problems: ConfigProblem[] = [];
  const fail = (variable: string, message: string) => problems.push({ variable, message });
  const text = (name: string): string | undefined => {
    const value = env[name]?.trim();
    // App Service passes a Key Vault reference through verbatim when it cannot resolve it; a
    // 40-character "@Microsoft.KeyVault(...)" would otherwise pass as a session password.
    if (value?.startsWith("@Microsoft.KeyVault(")) {
      fail(name, "is an unresolved Key Vault reference: grant the web app's managed identity access to the secret (Key Vault Secrets User) and check the secret URI");
      return undefined;
    }
    return value ? value : undefined;
  };
  const required = (name: string, hint: string): string => {
    const value = text(name);
    if (!value) fail(name, `is not set: ${hint}`);
    return value ?? "";
  };
  // GUIDs are compared as text all over (issuer, `tid`, `azp`, cache keys): one spelling, lower case,
  // as Entra writes them in tokens and discovery documents.
  const guid = (name: string, value: string | undefined): string => {
    if (value !== undefined && !GUID.test(value)) fail(name, "must be a GUID (the Application (client) ID on the app's Overview page)");
    return normaliseGuid(value ?? "");
  };
  const httpsUrl = (name: string, fallback: string): string => {
    const raw = text(name) ?? fallback;
    try {
      const url = new URL(raw);
      if (url.protocol !== "https:") fail(name, "must be an https:// URL");
      return raw.replace(/\/+$/, "");
    } catch {
      fail(name, "must be an absolute https:// URL");
      return fallback;
    }
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = text(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      fail(name, `must be a whole number from ${min} to ${max}`);
      return fallback;
    }
    return value;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = text(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (raw !== "true" && raw !== "false") fail(name, 'must be "true" or "false"');
    return raw === "true";
  };
  const list = (name: string): string[] =>
    (text(name) ?? "")
      .split(/[\s,]+/)
      .map((s) => s.trim())
      .filter(Boolean);

  const mode = identityMode(env, fail);

  const tenantIdRaw = required(
    "AZURE_TENANT_ID",
    mode === "emulator"
      ? "the emulator launcher sets it; start the app with `npm run dev`"
      : "no tenant is configured. Run `npm run dev` to use the bundled identity emulator, or set the Directory (tenant) ID from Entra ID > Overview in .env.local",
  );
  // a tenant GUID or a domain name: both case-insensitive
  const tenantId = tenantIdRaw.toLowerCase();
  if (tenantId && !GUID.test(tenantId) && !DOMAIN.test(tenantId)) {
    fail("AZURE_TENANT_ID", "must be a tenant GUID or a verified domain such as contoso.onmicrosoft.com (not common/organizations: the API is registered in one home tenant)");
  }
  const authorityHost = httpsUrl("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.com");
  const authorityHostName = safeHost(authorityHost);
  const knownAuthorities = MICROSOFT_AUTHORITY_HOSTS.has(authorityHostName) ? [] : [authorityHostName];

  const spaClientId = guid("AZURE_SPA_CLIENT_ID", required("AZURE_SPA_CLIENT_ID", "the SPA app registration's Application (client) ID"));
  const apiClientId = guid("AZURE_API_CLIENT_ID", required("AZURE_API_CLIENT_ID", "the API app registration's Application (client) ID"));
  const apiScope = normaliseAppIdUri(text("AZURE_API_SCOPE") ?? `api://${apiClientId}/access_as_user`);
  const scopeSplit = apiScope.lastIndexOf("/");
  if (scopeSplit <= 0 || scopeSplit === apiScope.length - 1) {
    fail("AZURE_API_SCOPE", "must be the full scope, e.g. api://<api-client-id>/access_as_user");
  }
  const appIdUri = apiScope.slice(0, Math.max(scopeSplit, 0));
  const scopeName = apiScope.slice(scopeSplit + 1);

  const allowedTenants = [...new Set(list("AZURE_ALLOWED_TENANTS").map(normaliseGuid))];
  for (const t of allowedTenants) {
    if (!GUID.test(t)) fail("AZURE_ALLOWED_TENANTS", "must be a comma-separated list of tenant GUIDs (tokens carry the GUID in `tid`)");
  }
  if (tenantId && !allowedTenants.includes(tenantId)) allowedTenants.unshift(tenantId);

  const webClientId = optionalGuid(text("AZURE_WEB_CLIENT_ID"));
  const webClientSecret = text("AZURE_WEB_CLIENT_SECRET");
  if (webClientId && !webClientSecret) fail("AZURE_WEB_CLIENT_SECRET", "is not set: the web app (AZURE_WEB_CLIENT_ID) is a confidential client and needs its client secret");
  if (webClientSecret && !webClientId) fail("AZURE_WEB_CLIENT_ID", "is not set, but AZURE_WEB_CLIENT_SECRET is: set the web app registration's client ID");
  guid("AZURE_WEB_CLIENT_ID", webClientId);
  const cliClientId = optionalGuid(text("AZURE_CLI_CLIENT_ID"));
  guid("AZURE_CLI_CLIENT_ID", cliClientId);

  // Which client apps may call the API (the token's `azp`). The SPA always; by default also the CLI.
  const listedClients = list("AZURE_ALLOWED_CLIENT_IDS").map(normaliseGuid);
  for (const c of listedClients) {
    if (!GUID.test(c)) fail("AZURE_ALLOWED_CLIENT_IDS", "must be a comma-separated list of application (client) IDs (GUIDs, as tokens carry them in `azp`)");
  }
  const allowedClientIds = [...new Set([spaClientId, ...(text("AZURE_ALLOWED_CLIENT_IDS") === undefined ? [cliClientId ?? ""] : listedClients)])].filter(Boolean);

  // Unset endpoints follow the sign-in host's cloud (US Government, China), like the scopes.
  const homeCloud = cloudOfAuthorityHost(authorityHostName) ?? PUBLIC_CLOUD;
  const graphBase = httpsUrl("GRAPH_BASE_URL", `https://${homeCloud.graphHosts[0] ?? ""}/v1.0`);
  const armBase = httpsUrl("ARM_BASE_URL", `https://${homeCloud.armHosts[0] ?? ""}`);
  const cloud = cloudSettings(
    {
      authorityHost: authorityHostName,
      graphBaseUrl: graphBase,
      armBaseUrl: armBase,
      graphScopes: list("GRAPH_SCOPES"),
      armScopes: list("ARM_SCOPES"),
      tokenExchangeAudience: text("AZURE_TOKEN_EXCHANGE_AUDIENCE"),
    },
    fail,
  );
  const credential = apiCredential(env, text, fail, readFile, cloud.tokenExchangeAudience);

  const sessionPassword = text("SESSION_PASSWORD") ?? "";
  if (sessionPassword.length < MIN_SESSION_PASSWORD) {
    fail(
      "SESSION_PASSWORD",
      `${sessionPassword ? "is too short" : "is not set"}: it must be at least ${MIN_SESSION_PASSWORD} characters (generate one with \`openssl rand -base64 32\`)`,
    );
  }

  const redisUrl = text("REDIS_URL");
  const cacheKey = text("TOKEN_CACHE_ENCRYPTION_KEY");
  if (redisUrl) {
    try {
      const u = new URL(redisUrl);
      if (u.protocol !== "redis:" && u.protocol !== "rediss:") fail("REDIS_URL", "must start with redis:// or rediss:// (TLS, as Azure Cache for Redis requires)");
    } catch {
      fail("REDIS_URL", "must be a URL such as rediss://:<access-key>@<name>.redis.cache.windows.net:6380");
    }
    if (!cacheKey || cacheKey.length < MIN_SESSION_PASSWORD) {
      fail("TOKEN_CACHE_ENCRYPTION_KEY", `must be at least ${MIN_SESSION_PASSWORD} characters when REDIS_URL is set: tokens are encrypted at rest in Redis`);
    }
  }

  // The public origin. In production (`npm start`, App Service: NODE_ENV=production) it is fixed
  // configuration, never derived from request headers a client can set.
  const production = env.NODE_ENV === "production";
  let baseUrl = text("APP_BASE_URL");
  if (baseUrl) {
    try {
      const u = new URL(baseUrl);
      if ((u.protocol !== "https:" && u.protocol !== "http:") || u.pathname !== "/" || u.search || u.hash || u.username || u.password) throw new Error("not an origin");
      baseUrl = u.origin;
      if (production && u.protocol === "http:" && !LOOPBACK_HOSTS.has(u.hostname)) {
        fail("APP_BASE_URL", "must be an https:// origin in production (plain http only for localhost): cookies are Secure only on https");
      }
    } catch {
      fail("APP_BASE_URL", "must be the app's public origin, e.g. https://contoso.azurewebsites.net (no path)");
      baseUrl = undefined;
    }
  } else if (production) {
    fail(
      "APP_BASE_URL",
      "is not set: in production the app's public origin must be configured, e.g. https://<app>.azurewebsites.net (the Bicep template sets it), or http://localhost:3000 for `npm start` on this machine",
    );
  }
  const trustRaw = text("TRUST_FORWARDED_HEADERS")?.toLowerCase() ?? "false";
  if (trustRaw !== "true" && trustRaw !== "false") fail("TRUST_FORWARDED_HEADERS", 'must be "true" or "false"');

  const healthDetails = bool("HEALTH_DETAILS", false);

  // Authorization. In production the operator says whether roles are enforced: silently open
  // (a forgotten variable) and silently closed (every user refused until an admin assigns roles)
  // are both worse than a start-up error that names the choice.
  const rolesRaw = text("AZURE_APP_ROLES_ENFORCED")?.toLowerCase();
  if (rolesRaw === undefined && production) {
    fail(
      "AZURE_APP_ROLES_ENFORCED",
      "is not set: in production say whether the Subscriptions and Directory views need the API's app roles: true once users (or their groups) are assigned Subscriptions.Read and Directory.Read (README, \"Authorization\"), false to let every signed-in user of an allowed tenant use every view",
    );
  } else if (rolesRaw !== undefined && rolesRaw !== "true" && rolesRaw !== "false") {
    fail("AZURE_APP_ROLES_ENFORCED", 'must be "true" or "false"');
  }
  const groupIds = (name: string): string[] => {
    const ids = [...new Set(list(name).map(normaliseGuid))];
    if (ids.some((id) => !GUID.test(id))) {
      fail(name, "must be a comma-separated list of security group object IDs (GUIDs, as tokens carry them in `groups`; Entra admin center > Groups > the group > Object ID), not group names");
    }
    return ids;
  };
  const authContext = (name: string): string | undefined => {
    const raw = text(name);
    if (raw === undefined) return undefined;
    if (!AUTH_CONTEXT.test(raw)) {
      fail(name, "must be an authentication context id from c1 to c99 (Entra admin center > Conditional Access > Authentication contexts), e.g. c1");
      return undefined;
    }
    return raw.toLowerCase();
  };
  const view = (prefix: "SUBSCRIPTIONS" | "DIRECTORY", key: ProtectedView): ViewPolicy => ({
    role: VIEW_ROLES[key],
    groupIds: groupIds(`AZURE_${prefix}_GROUP_IDS`),
    authContext: authContext(`AZURE_${prefix}_AUTH_CONTEXT`),
  });
  const views = { subscriptions: view("SUBSCRIPTIONS", "subscriptions"), directory: view("DIRECTORY", "directory") };

  // The in-memory token caches (On-Behalf-Of: one partition per downstream API; the web app: one
  // more) must fit this process's heap, or V8 stops the process once enough users signed in.
  const partitionsPerUser = 2 + (webClientId && webClientSecret ? 1 : 0);
  const usersThatFit = tokenCacheUsersThatFit(runtime.heapLimitMb, partitionsPerUser);
  const tokenCacheMaxUsers = int("TOKEN_CACHE_MAX_USERS", Math.min(DEFAULT_TOKEN_CACHE_MAX_USERS, usersThatFit), 1, 10_000_000);
  if (tokenCacheMaxUsers > usersThatFit) {
    fail(
      "TOKEN_CACHE_MAX_USERS",
      `is ${tokenCacheMaxUsers}, but this process's heap limit of ${runtime.heapLimitMb} MB holds about ${usersThatFit} users' cached tokens: lower it (or leave it unset), raise the heap (NODE_HEAP_LIMIT_MB, or a larger App Service plan), or share tokens in Redis (REDIS_URL) and keep this small`,
    );
  }

  const config: AppConfig = {
    mode,
    publicUrl: { baseUrl, trustForwardedHeaders: trustRaw === "true" },
    tenantId,
    authorityHost,
    authority: `${authorityHost}/${tenantId}`,
    signInAuthority: signInAuthorityFor(authorityHost, tenantId, allowedTenants),
    knownAuthorities,
    allowedTenants,
    allowedClientIds,
    spa: { clientId: spaClientId, redirectPath: "/redirect" },
    api: {
      clientId: apiClientId,
      appIdUri,
      scope: apiScope,
      scopeName,
      credential,
      clientCapabilities: list("AZURE_API_CLIENT_CAPABILITIES"),
    },
    web: webClientId && webClientSecret
      ? { clientId: webClientId, clientSecret: webClientSecret, scopes: cloud.graphScopes }
      : null,
    cli: cliClientId ? { clientId: cliClientId } : null,
    downstream: {
      graph: { name: "graph", baseUrl: graphBase, scopes: cloud.graphScopes },
      arm: { name: "arm", baseUrl: armBase, scopes: cloud.armScopes },
    },
    session: { password: sessionPassword, maxAgeSeconds: int("SESSION_MAX_AGE_SECONDS", 8 * 3600, 300, 30 * 24 * 3600) },
    redis: redisUrl ? { url: redisUrl, encryptionKey: cacheKey ?? "" } : null,
    tokenCache: { maxUsers: tokenCacheMaxUsers },
    http: {
      timeoutMs: int("DOWNSTREAM_TIMEOUT_MS", 10_000, 100, 120_000),
      maxRetries: int("DOWNSTREAM_MAX_RETRIES", 2, 0, 10),
      maxRetryAfterSeconds: int("DOWNSTREAM_MAX_RETRY_AFTER_SECONDS", 5, 0, 120),
    },
    health: { details: healthDetails },
    authorization: { rolesEnforced: rolesRaw !== "false", views },
  };

  // One line per variable: its first problem is the one to fix first.
  const firstPerVariable = problems.filter((p, i) => problems.findIndex((q) => q.variable === p.variable) === i);
  if (firstPerVariable.length > 0) throw new ConfigError(firstPerVariable);
  return config;
}

/** A GUID in its one spelling (lower case); anything else unchanged, for the validation to name. */
function normaliseGuid(value: string): string {
  return GUID.test(value) ? value.toLowerCase() : value;
}

function optionalGuid(value: string | undefined): string | undefined {
  return value === undefined ? undefined : normaliseGuid(value);
}

/** `api://<GUID>/scope` names the same app whatever the GUID's case; other App ID URIs are kept as written. */
function normaliseAppIdUri(scope: string): string {
  const m = /^api:\/\/([0-9a-f-]{36})(\/.*)?$/i.exec(scope);
  return m?.[1] && GUID.test(m[1]) ? `api://${m[1].toLowerCase()}${m[2] ?? ""}` : scope;
}

function identityMode(env: Env, fail: (v: string, m: string) => void): IdentityMode {
  const raw = env.IDENTITY_MODE?.trim();
  if (!raw) return "tenant";
  // A production server (npm start, node server.js, App Service) runs against a tenant, never the
  // emulator: the emulator's tokens are handed to anyone on the machine that runs it.
  if (raw === "emulator" && env.NODE_ENV === "production") {
    fail(
      "IDENTITY_MODE",
      'is "emulator", which is for `npm run dev` only: a production start (NODE_ENV=production: npm start, node server.js, App Service) refuses it. Remove IDENTITY_MODE and configure a tenant',
    );
    return "tenant";
  }
  if (raw === "emulator" || raw === "tenant") return raw;
  fail("IDENTITY_MODE", 'must be "emulator" or "tenant" (usually left unset: `npm run dev` sets it when no tenant is configured)');
  return "tenant";
}

/**
 * The authority users sign in at: the home tenant's, or `organizations` when other tenants are
 * allowed (a tenant-specific authority refuses their users with AADSTS50020).
 */
export function signInAuthorityFor(authorityHost: string, tenantId: string, allowedTenants: readonly string[]): string {
  const others = allowedTenants.some((t) => t.toLowerCase() !== tenantId.toLowerCase());
  return `${authorityHost}/${others ? "organizations" : tenantId}`;
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "";
  }
}

/** Exactly one credential: several set at once is ambiguous, so it is an error, not a precedence rule. */
function apiCredential(
  env: Env,
  text: (name: string) => string | undefined,
  fail: (v: string, m: string) => void,
  readFile: FileReader,
  tokenExchangeAudience: string,
): ApiCredential {
  const secret = text("AZURE_API_CLIENT_SECRET");
  const certPath = text("AZURE_API_CERTIFICATE_PATH");
  const managedIdentity = optionalGuid(text("AZURE_API_MANAGED_IDENTITY_CLIENT_ID"));
  if (managedIdentity?.toLowerCase() === "system") {
    // Microsoft Learn, "Configure an application to trust a managed identity": "Only user-assigned
    // managed identities can be used as a federated credential for apps."
    fail(
      "AZURE_API_MANAGED_IDENTITY_CLIENT_ID",
      'is "system", but only a user-assigned managed identity can be a federated identity credential of an app registration (system-assigned ones are not supported): ' +
        "assign a user-assigned identity to the web app and set its client ID here (infra/main.bicep does both)",
    );
  } else if (managedIdentity !== undefined && !GUID.test(managedIdentity)) {
    fail("AZURE_API_MANAGED_IDENTITY_CLIENT_ID", "must be the client ID (a GUID) of the user-assigned managed identity assigned to the web app");
  }
  const chosen = [secret && "AZURE_API_CLIENT_SECRET", certPath && "AZURE_API_CERTIFICATE_PATH", managedIdentity && "AZURE_API_MANAGED_IDENTITY_CLIENT_ID"].filter(
    (v): v is string => Boolean(v),
  );
  const unset: ApiCredential = { kind: "secret", secret: "" };
  if (chosen.length === 0) {
    fail(
      "AZURE_API_CLIENT_SECRET",
      "no API credential is set: set one of AZURE_API_CLIENT_SECRET, AZURE_API_CERTIFICATE_PATH or AZURE_API_MANAGED_IDENTITY_CLIENT_ID (the API needs it for On-Behalf-Of)",
    );
    return unset;
  }
  if (chosen.length > 1) {
    fail(chosen.join(", "), "set only one API credential; several at once are ambiguous");
    return unset;
  }
  if (secret) return { kind: "secret", secret };
  if (certPath) {
    try {
      const pem = readFile(certPath);
      const certificatePem = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)?.[0];
      const keyPem = pem.match(/-----BEGIN (?:RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC )?PRIVATE KEY-----/)?.[0];
      if (!certificatePem || !keyPem) {
        fail("AZURE_API_CERTIFICATE_PATH", "must name a PEM file holding both the certificate and its unencrypted private key");
        return unset;
      }
      createPrivateKey(keyPem); // fails early on a corrupt key rather than at the first OBO
      const thumbprintSha256 = new X509Certificate(certificatePem).fingerprint256.replaceAll(":", "").toLowerCase();
      return { kind: "certificate", certificatePem, privateKeyPem: keyPem, thumbprintSha256 };
    } catch {
      fail("AZURE_API_CERTIFICATE_PATH", "could not be read as a PEM certificate with its private key");
      return unset;
    }
  }
  const endpoint = text("IDENTITY_ENDPOINT");
  const header = text("IDENTITY_HEADER");
  if (!endpoint || !header) {
    fail(
      "IDENTITY_ENDPOINT",
      "and IDENTITY_HEADER must be set for the managed identity credential (App Service sets both when a managed identity is assigned)",
    );
  }
  return {
    kind: "managedIdentity",
    managedIdentityClientId: managedIdentity ?? "",
    endpoint: endpoint ?? "",
    header: header ?? "",
    tokenExchangeAudience,
  };
}
