// Request counters read by tests through the control API (e.g. to prove that a
// second identical OBO was served from MSAL's cache and never reached us).

export type GrantName =
  | "authorization_code"
  | "refresh_token"
  | "on_behalf_of"
  | "password"
  | "device_code"
  | "client_credentials"
  | "unsupported";

export type CountedEndpoint =
  | "graph"
  | "arm"
  | "authorize"
  | "authorizePromptNone"
  | "deviceCode"
  | "discovery"
  | "instanceDiscovery"
  | "jwks"
  | "msi"
  | "logout"
  | "consentPrompt"
  | "adminApproval"
  | "adminConsent"
  | "logoutAccountPicker";

export interface CountersSnapshot {
  tokenRequests: Partial<Record<GrantName, Record<string, number>>>;
  /** Per grant and authority tenant (a tenant id, or "organizations"/"common"): proves OBO went to the caller's tenant. */
  tokenRequestsByTenant: Partial<Record<GrantName, Record<string, number>>>;
  total: number;
  graph: number;
  arm: number;
  authorize: number;
  deviceCode: number;
  discovery: number;
  jwks: number;
  msi: number;
  logout: number;
  /** Authorize requests with prompt=none (silent renewal in a hidden iframe), also counted in `authorize`. */
  authorizePromptNone: number;
  /** Consent pages shown (user consent, combined consent, admin consent). */
  consentPrompts: number;
  /** "Need admin approval" pages shown (user consent not allowed). */
  adminApprovalPages: number;
  /** Requests to /{tenant}/adminconsent. */
  adminConsent: number;
  /**
   * Entra instance discovery requests (`/{tenant}/discovery/instance`), at any host; also counted
   * in `discovery`. msal-js asks only for an authority it has no built-in metadata for.
   */
  instanceDiscovery: number;
  /** Requests per host served ("localhost", or a Microsoft host name); the control API is not counted. */
  requestsByHost: Record<string, number>;
  /** Sign-outs that asked "Pick an account" (no logout_hint naming the signed-in account). */
  logoutAccountPicker: number;
}

export class Counters {
  private tokenRequests = new Map<GrantName, Map<string, number>>();
  private tokenRequestsByTenant = new Map<GrantName, Map<string, number>>();
  private total = 0;
  private endpoints = new Map<CountedEndpoint, number>();
  private hosts = new Map<string, number>();

  countToken(grant: GrantName, clientId: string, tenant?: string): void {
    const byClient = this.tokenRequests.get(grant) ?? new Map<string, number>();
    byClient.set(clientId, (byClient.get(clientId) ?? 0) + 1);
    this.tokenRequests.set(grant, byClient);
    if (tenant) {
      const byTenant = this.tokenRequestsByTenant.get(grant) ?? new Map<string, number>();
      byTenant.set(tenant, (byTenant.get(tenant) ?? 0) + 1);
      this.tokenRequestsByTenant.set(grant, byTenant);
    }
    this.total += 1;
  }

  count(endpoint: CountedEndpoint): void {
    this.endpoints.set(endpoint, (this.endpoints.get(endpoint) ?? 0) + 1);
  }

  countHost(host: string): void {
    this.hosts.set(host, (this.hosts.get(host) ?? 0) + 1);
  }

  reset(): void {
    this.tokenRequests.clear();
    this.tokenRequestsByTenant.clear();
    this.total = 0;
    this.endpoints.clear();
    this.hosts.clear();
  }

  snapshot(): CountersSnapshot {
    const tokenRequests: CountersSnapshot["tokenRequests"] = {};
    for (const [grant, byClient] of this.tokenRequests) tokenRequests[grant] = Object.fromEntries(byClient);
    const tokenRequestsByTenant: CountersSnapshot["tokenRequestsByTenant"] = {};
    for (const [grant, byTenant] of this.tokenRequestsByTenant) tokenRequestsByTenant[grant] = Object.fromEntries(byTenant);
    const e = (k: CountedEndpoint) => this.endpoints.get(k) ?? 0;
    return {
      tokenRequests,
      tokenRequestsByTenant,
      total: this.total,
      graph: e("graph"),
      arm: e("arm"),
      authorize: e("authorize"),
      deviceCode: e("deviceCode"),
      discovery: e("discovery"),
      jwks: e("jwks"),
      msi: e("msi"),
      logout: e("logout"),
      authorizePromptNone: e("authorizePromptNone"),
      consentPrompts: e("consentPrompt"),
      adminApprovalPages: e("adminApproval"),
      adminConsent: e("adminConsent"),
      instanceDiscovery: e("instanceDiscovery"),
      requestsByHost: Object.fromEntries(this.hosts),
      logoutAccountPicker: e("logoutAccountPicker"),
    };
  }
}
