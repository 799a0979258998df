import { ConfigError } from "./errors";
import type { AppConfig } from "./types";

/**
 * AZURE_TENANT_ID may be a verified domain (contoso.onmicrosoft.com) as well as the tenant's GUID.
 * Entra accepts either in an authority, but tokens name the tenant by its GUID (`tid`, the issuer),
 * so every comparison the app makes (allowed tenants, issuers, the web app's home tenant) needs
 * the GUID. The server reads it from the tenant's OpenID metadata when it starts
 * (instrumentation.ts → lib/config/startup.ts) and keeps it here for the process; configuration
 * built afterwards (getConfig) uses the GUID everywhere.
 */
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const REGISTRY = Symbol.for("ms-identity-nextjs.config.tenant-ids");

export const isTenantGuid = (tenant: string): boolean => GUID.test(tenant);

/**
 * Process-wide, like the verifier's memo: Next.js bundles instrumentation.ts, proxy.ts and the
 * route handlers separately, and all of them must see the GUID the startup hook found.
 */
function registry(): Map<string, string> {
  const g = globalThis as { [REGISTRY]?: Map<string, string> };
  g[REGISTRY] ??= new Map();
  return g[REGISTRY];
}

const key = (authorityHost: string, domain: string) => `${authorityHost.toLowerCase()}|${domain.toLowerCase()}`;

/** The GUID found for `domain` at this authority host in this process, if any. */
export function knownTenantId(authorityHost: string, domain: string): string | undefined {
  return registry().get(key(authorityHost, domain));
}

export function rememberTenantId(authorityHost: string, domain: string, tenantId: string): void {
  registry().set(key(authorityHost, domain), tenantId.toLowerCase());
}

/** Tests only. */
export function forgetTenantIdsForTests(): void {
  registry().clear();
}

const problem = (message: string) => new ConfigError([{ variable: "AZURE_TENANT_ID", message }]);

/**
 * Reads the tenant GUID of the domain in `config.tenantId` from the tenant's OpenID metadata
 * (`{authority host}/{domain}/v2.0/.well-known/openid-configuration`, whose issuer is
 * `…/{tenant GUID}/v2.0`). Throws a ConfigError naming AZURE_TENANT_ID when it cannot.
 */
export async function resolveTenantId(config: Pick<AppConfig, "authorityHost" | "tenantId">, fetchImpl: typeof fetch = fetch, timeoutMs = 10_000): Promise<string> {
  const url = `${config.authorityHost}/${encodeURIComponent(config.tenantId)}/v2.0/.well-known/openid-configuration`;
  const fix = "check the spelling (a verified domain of your tenant), or set the Directory (tenant) ID, a GUID from Entra ID > Overview";
  let res: Response;
  try {
    res = await fetchImpl(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: "application/json" } });
  } catch (e) {
    // A DOMException is not always an Error instance (realms), so look at its name only.
    const name = typeof e === "object" && e !== null ? (e as { name?: unknown }).name : undefined;
    const reason = name === "TimeoutError" || name === "AbortError" ? `no answer within ${timeoutMs / 1000} s` : "the request failed";
    throw problem(`is a domain name whose tenant ID could not be read from ${config.authorityHost} (${reason}): check that the identity provider is reachable, or ${fix}`);
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  const record = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
  if (!res.ok) {
    const codes = Array.isArray(record.error_codes) ? ` (AADSTS${record.error_codes.join(", AADSTS")})` : "";
    throw problem(`is a domain name whose tenant ID could not be resolved: ${config.authorityHost} does not know it as a tenant (HTTP ${res.status}${codes}): ${fix}`);
  }
  let tenantId: string | undefined;
  try {
    tenantId = new URL(String(record.issuer)).pathname.split("/")[1];
  } catch {
    tenantId = undefined;
  }
  if (!tenantId || !GUID.test(tenantId)) {
    throw problem(`is a domain name whose tenant ID could not be resolved: the OpenID metadata at ${config.authorityHost} names none in its issuer: ${fix}`);
  }
  return tenantId.toLowerCase();
}

/** `config` with the tenant GUID in place of the domain: authority, allowed tenants, sign-in authority. */
export function withTenantId(config: AppConfig, tenantId: string, signInAuthority: (tenantId: string, allowedTenants: readonly string[]) => string): AppConfig {
  const domain = config.tenantId;
  const allowedTenants = [...new Set([tenantId, ...config.allowedTenants.filter((t) => t.toLowerCase() !== domain.toLowerCase())])];
  return {
    ...config,
    tenantId,
    tenantDomain: domain,
    authority: `${config.authorityHost}/${tenantId}`,
    signInAuthority: signInAuthority(tenantId, allowedTenants),
    allowedTenants,
  };
}
