// Everything a route handler needs, passed explicitly (no module singletons, so
// several emulators can run in one test process).
import type { CertificatePaths } from "./certs";
import type { EmulatorCloud } from "./clouds";
import type { Counters } from "./counters";
import type { FaultInjector } from "./faults";
import type { GrantStore } from "./grants";
import type { KeyManager } from "./keys";
import type { NextLinkOverrides } from "./next-links";
import type { TenantStore } from "./tenant-store";

export interface Settings {
  tokenLifetimeSeconds: number;
  deviceCodeIntervalSeconds: number;
  /** How long a device code stays valid (Entra: 900 s); tests shorten it to see expiry. */
  deviceCodeLifetimeSeconds: number;
  /**
   * Lifetime of a SPA's refresh tokens, from sign-in (Entra: fixed 24 h). Checked at each
   * redemption, so lowering it expires the SPA's refresh tokens at once (AADSTS700084).
   */
  spaRefreshTokenLifetimeSeconds: number;
  /** Lifetime of a sign-in session (the emulator's cookie), from sign-in; checked at each use. */
  sessionLifetimeSeconds: number;
}

/**
 * A request's handlers get a shallow copy of the context for the host the request came to
 * (emulator/hosts.ts): its origins and grant store; everything else is shared. So mutate the shared
 * objects (settings, counters, stores), never reassign a field.
 */
export interface EmulatorContext {
  /**
   * Origin of the Entra ID endpoints (issuer prefix, sign-in pages, token endpoint), e.g.
   * https://localhost:<port>. Build every Entra URL from it, never from a literal host.
   */
  baseUrl: string;
  /**
   * Microsoft Graph's versioned root, e.g. https://localhost:<port>/graph/v1.0 (or
   * https://graph.microsoft.com/v1.0 at Microsoft's host names). Build Graph links from it.
   */
  graphBaseUrl: string;
  /** Azure Resource Manager's root, e.g. https://localhost:<port>/arm (or https://management.azure.com). Build ARM links from it. */
  armBaseUrl: string;
  store: TenantStore;
  keys: KeyManager;
  /** Sessions, codes and refresh tokens of the host this request came to. */
  grants: GrantStore;
  /** Every host's grant store: what resets and sign-outs must reach. */
  allGrants: readonly GrantStore[];
  counters: Counters;
  faults: FaultInjector;
  /** Paging links planted in Graph/ARM collection responses (control API, issue #14 item 1). */
  nextLinks: NextLinkOverrides;
  settings: Settings;
  defaultSettings: Settings;
  /** Users (oid) that must present an MFA-backed assertion on their next OBO (control API). */
  mfaRequired: Set<string>;
  controlSecret: string;
  managedIdentityHeader: string;
  certs: CertificatePaths;
  /** The Microsoft cloud being emulated (public, US Government, China): audiences follow it. */
  cloud: EmulatorCloud;
}

export function issuerFor(ctx: EmulatorContext, tenantId: string): string {
  return `${ctx.baseUrl}/${tenantId}/v2.0`;
}

/** All issuers we sign for (one per tenant). */
export function knownIssuers(ctx: EmulatorContext): Map<string, string> {
  return new Map(ctx.store.tenants.map((t) => [issuerFor(ctx, t.id), t.id]));
}

/**
 * The v1.0 issuer of a tenant (`https://sts.windows.net/<tid>/`; China `https://sts.chinacloudapi.cn/<tid>/`):
 * the issuer of Graph's and ARM's access tokens, which are v1.0 tokens (Microsoft Learn, "Access
 * token claims reference": a v2.0 token's issuer ends in /v2.0, a v1.0 token's does not).
 */
export function v1IssuerFor(ctx: EmulatorContext, tenantId: string): string {
  return `${ctx.cloud.v1IssuerOrigin}/${tenantId}/`;
}

/** All v1.0 issuers we sign for (one per tenant). */
export function knownV1Issuers(ctx: EmulatorContext): Map<string, string> {
  return new Map(ctx.store.tenants.map((t) => [v1IssuerFor(ctx, t.id), t.id]));
}
