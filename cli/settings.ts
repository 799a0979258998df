import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { cloudOfAuthorityHost, cloudSettings, homeCloudOf } from "../lib/config/clouds";
import { ConfigError, type ConfigProblem } from "../lib/config/errors";
import { CLI_ENV, type Env } from "./env";
import { CliError } from "./errors";

/** Everything a command needs to know about where to sign in and what to call. */
export interface CliSettings {
  mode: "emulator" | "tenant";
  /** e.g. https://login.microsoftonline.com/<tenant> or the emulator's authority. */
  authority: string;
  /** Hosts MSAL must trust without instance discovery (emulator); empty for Microsoft clouds. */
  knownAuthorities: string[];
  /** The public client registration the CLI signs in with. */
  clientId: string;
  /** e.g. https://graph.microsoft.com/v1.0 (no trailing slash). */
  graphBaseUrl: string;
  /** Prefix of Graph scopes, e.g. https://graph.microsoft.com (scopes are `${graphResource}/User.Read`). */
  graphResource: string;
  /** Extra CA certificate (PEM) to trust for the identity provider and Graph; the emulator's local CA. */
  caPem: string | undefined;
  /** The persistent token cache file for this authority and client. */
  cacheFile: string;
}

const APP_DIR = "ms-identity-nextjs";
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9-]{1,63}\.)+[a-z]{2,63}$/i;
// Clouds MSAL knows (lib/config/clouds.ts); any other authority host needs knownAuthorities.
const isMicrosoftAuthorityHost = (host: string) => cloudOfAuthorityHost(host) !== undefined;
const GRAPH_RESOURCE = "https://graph.microsoft.com";

export interface ResolveOptions {
  /** The project root: .emulator/tenant.json is looked up under it. */
  projectRoot: string;
  platform?: NodeJS.Platform;
  readFile?: (p: string) => string;
}

/**
 * Tenant mode when AZURE_TENANT_ID is set (unless IDENTITY_MODE=emulator); otherwise the bundled
 * identity emulator, found through its tenant.json.
 */
export function resolveSettings(env: Env, options: ResolveOptions): CliSettings {
  const readFile = options.readFile ?? ((p: string) => readFileSync(p, "utf8"));
  const text = (name: string) => env[name]?.trim() || undefined;
  const identityMode = text("IDENTITY_MODE");
  if (identityMode && identityMode !== "emulator" && identityMode !== "tenant") {
    throw new ConfigError([{ variable: "IDENTITY_MODE", message: 'must be "emulator" or "tenant"' }]);
  }
  const useTenant = identityMode === "tenant" || (identityMode !== "emulator" && text("AZURE_TENANT_ID") !== undefined);
  const base = useTenant ? tenantSettings(env) : emulatorSettings(env, options.projectRoot, readFile);
  const dir = cacheDir(env, options.platform ?? process.platform);
  const key = createHash("sha256").update(`${base.authority}|${base.clientId}`).digest("hex").slice(0, 16);
  return { ...base, cacheFile: path.join(dir, `msal-cache-${key}.json`) };
}

/** The user's config folder for this app: CLI_CACHE_DIR, else %APPDATA% / $XDG_CONFIG_HOME / ~/.config. */
export function cacheDir(env: Env, platform: NodeJS.Platform): string {
  const override = env[CLI_ENV.cacheDir]?.trim();
  if (override) return path.resolve(override);
  if (platform === "win32") {
    const appData = env.APPDATA?.trim();
    if (appData) return path.join(appData, APP_DIR);
  }
  const xdg = env.XDG_CONFIG_HOME?.trim();
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, APP_DIR); // the XDG spec says to ignore relative paths
  const home = env.HOME?.trim() || env.USERPROFILE?.trim() || homedir();
  return path.join(home, ".config", APP_DIR);
}

type BaseSettings = Omit<CliSettings, "cacheFile">;

function tenantSettings(env: Env): BaseSettings {
  const problems: ConfigProblem[] = [];
  const fail = (variable: string, message: string) => problems.push({ variable, message });
  const text = (name: string) => env[name]?.trim() || undefined;
  const httpsUrl = (name: string, fallback: string): string => {
    const raw = text(name) ?? fallback;
    try {
      if (new URL(raw).protocol !== "https:") fail(name, "must be an https:// URL");
    } catch {
      fail(name, "must be an absolute https:// URL");
      return fallback;
    }
    return raw.replace(/\/+$/, "");
  };

  // GUIDs and domains are case-insensitive: one spelling keeps the authority and the cache file name stable.
  const tenantId = text("AZURE_TENANT_ID")?.toLowerCase();
  if (!tenantId) {
    fail("AZURE_TENANT_ID", "is not set: the Directory (tenant) ID from Entra ID > Overview (or unset IDENTITY_MODE to use the emulator)");
  } else if (!GUID.test(tenantId) && !DOMAIN.test(tenantId) && tenantId !== "organizations") {
    fail("AZURE_TENANT_ID", "must be a tenant GUID, a verified domain such as contoso.onmicrosoft.com, or organizations");
  }
  const clientId = text("AZURE_CLI_CLIENT_ID")?.toLowerCase();
  if (!clientId) {
    fail("AZURE_CLI_CLIENT_ID", "is not set: the Application (client) ID of the CLI app registration (a public client with 'Allow public client flows' on)");
  } else if (!GUID.test(clientId)) {
    fail("AZURE_CLI_CLIENT_ID", "must be a GUID (the Application (client) ID on the app's Overview page)");
  }
  const authorityHost = httpsUrl("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.com");
  const host = new URL(authorityHost).host;
  // As the app does (lib/config/clouds.ts): an unset Graph is the sign-in cloud's, scopes follow the
  // Graph host when it is Microsoft's (the sign-in cloud's for a proxy), and a Graph of another
  // cloud than the sign-in host is refused: its tokens would not be accepted there.
  const home = homeCloudOf(host);
  const graphBaseUrl = httpsUrl("GRAPH_BASE_URL", `https://${home.graphHosts[0] ?? ""}/v1.0`);
  const cloud = problems.length === 0
    ? cloudSettings({ authorityHost: host, graphBaseUrl, armBaseUrl: `https://${home.armHosts[0] ?? ""}`, graphScopes: [], armScopes: [], tokenExchangeAudience: undefined }, fail)
    : undefined;
  if (problems.length > 0 || !cloud) throw new ConfigError(problems);

  // Users of other tenants (AZURE_ALLOWED_TENANTS, as for the web app) sign in at organizations:
  // a tenant-specific authority refuses them (AADSTS50020).
  const others = (text("AZURE_ALLOWED_TENANTS") ?? "").split(/[\s,]+/).filter((t) => t && t.toLowerCase() !== tenantId!.toLowerCase());
  return {
    mode: "tenant",
    authority: `${authorityHost}/${others.length > 0 ? "organizations" : tenantId}`,
    knownAuthorities: isMicrosoftAuthorityHost(host) ? [] : [host],
    clientId: clientId!,
    graphBaseUrl,
    graphResource: cloud.graphResource,
    caPem: undefined,
  };
}

/** The part of the emulator's tenant.json the CLI uses. */
interface EmulatorTenant {
  /** The home tenant's authority, or organizations when the CLI registration is multi-tenant. */
  authority: string;
  caCertPath: string;
  graphBaseUrl: string;
  clientId: string;
  graphResource: string;
}

function emulatorSettings(env: Env, projectRoot: string, readFile: (p: string) => string): BaseSettings {
  const file = path.resolve(projectRoot, env[CLI_ENV.tenantFile]?.trim() || path.join(".emulator", "tenant.json"));
  let raw: string;
  try {
    raw = readFile(file);
  } catch {
    throw new CliError(
      "emulator_not_running",
      `No tenant is configured and the identity emulator is not running (${path.relative(process.cwd(), file) || file} not found). ` +
        "Start it with `npm run emulator` in another terminal, or set AZURE_TENANT_ID and AZURE_CLI_CLIENT_ID in .env.local.",
    );
  }
  const tenant = parseTenantFile(raw, file);
  let caPem: string;
  try {
    caPem = readFile(path.resolve(path.dirname(file), tenant.caCertPath));
  } catch {
    throw new CliError("emulator_ca_missing", `The emulator's CA certificate (${tenant.caCertPath}) cannot be read. Restart \`npm run emulator\`.`);
  }
  return {
    mode: "emulator",
    authority: tenant.authority,
    knownAuthorities: [new URL(tenant.authority).host],
    clientId: tenant.clientId,
    graphBaseUrl: tenant.graphBaseUrl,
    graphResource: tenant.graphResource,
    caPem,
  };
}

/** Validates the fields the CLI needs from tenant.json, naming each one that is missing. */
export function parseTenantFile(raw: string, file: string): EmulatorTenant {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    throw new CliError("emulator_tenant_invalid", `${file} is not valid JSON. Restart \`npm run emulator\` to rewrite it.`);
  }
  const get = (obj: unknown, ...keys: string[]): unknown => keys.reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), obj);
  const missing: string[] = [];
  const str = (...keys: string[]): string => {
    const v = get(data, ...keys);
    if (typeof v !== "string" || !v) missing.push(keys.join("."));
    return typeof v === "string" ? v.replace(/\/+$/, "") : "";
  };
  const authority = str("authority");
  const caCertPath = str("caCertPath");
  const graphBaseUrl = str("graphBaseUrl");
  const clientId = str("apps", "cli", "clientId");
  if (missing.length > 0) {
    throw new CliError("emulator_tenant_invalid", `${file} lacks ${missing.join(", ")}. Is the emulator up to date? Restart \`npm run emulator\`.`);
  }
  for (const [name, value] of [["authority", authority], ["graphBaseUrl", graphBaseUrl]] as const) {
    let ok = false;
    try {
      ok = new URL(value).protocol === "https:";
    } catch {
      ok = false;
    }
    if (!ok) throw new CliError("emulator_tenant_invalid", `${file}: ${name} must be an https:// URL.`);
  }
  const resource = get(data, "graphResource");
  // A multi-tenant CLI registration signs in users of every emulated tenant, as with Entra.
  const multiTenant = get(data, "apps", "cli", "signInAudience") === "AzureADMultipleOrgs";
  const signInAuthority = multiTenant ? `${new URL(authority).origin}/organizations` : authority;
  return { authority: signInAuthority, caCertPath, graphBaseUrl, clientId, graphResource: typeof resource === "string" && resource ? resource.replace(/\/+$/, "") : GRAPH_RESOURCE };
}
