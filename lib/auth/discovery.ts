import "server-only";

/** The parts of an OpenID Provider Configuration (v2.0) this app uses. */
export interface OpenIdMetadata {
  issuer: string;
  jwks_uri: string;
  token_endpoint: string;
  authorization_endpoint: string;
  end_session_endpoint?: string;
  device_authorization_endpoint?: string;
  /** The document as received, for msal-node's `authorityMetadata` (saves it a network call). */
  raw: string;
}

export interface OpenIdMetadataCacheOptions {
  /** e.g. https://login.microsoftonline.com */
  authorityHost: string;
  timeoutMs?: number;
  /** How long a fetched document is reused. Entra's change rarely; default 24 h. */
  ttlMs?: number;
  /** How long a failure is remembered, so an outage is not hammered by every request. Default 5 s. */
  failureTtlMs?: number;
  fetch?: typeof fetch;
}

export class DiscoveryError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DiscoveryError";
  }
}

type Entry = { at: number; value: OpenIdMetadata } | { at: number; error: DiscoveryError };

/**
 * OpenID configuration per tenant (`{authorityHost}/{tenant}/v2.0/.well-known/openid-configuration`),
 * fetched once, shared by concurrent callers, cached with a TTL. A stale document is served when a
 * refresh fails, so an identity provider blip does not break requests that only need cached data.
 */
export class OpenIdMetadataCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<OpenIdMetadata>>();
  private readonly host: string;
  private readonly timeoutMs: number;
  private readonly ttlMs: number;
  private readonly failureTtlMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(options: OpenIdMetadataCacheOptions) {
    this.host = options.authorityHost.replace(/\/+$/, "");
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.ttlMs = options.ttlMs ?? 24 * 3600_000;
    this.failureTtlMs = options.failureTtlMs ?? 5_000;
    this.fetchImpl = options.fetch ?? fetch;
  }

  /** Metadata for a tenant (GUID or domain). Throws DiscoveryError when unavailable and not cached. */
  async get(tenant: string): Promise<OpenIdMetadata> {
    const now = Date.now();
    const entry = this.entries.get(tenant);
    if (entry && "value" in entry && now - entry.at < this.ttlMs) return entry.value;
    if (entry && "error" in entry && now - entry.at < this.failureTtlMs) throw entry.error;
    const stale = entry && "value" in entry ? entry.value : undefined;
    if (stale) {
      // refresh in the background, keep serving the stale copy
      void this.fetchOnce(tenant).catch(() => undefined);
      return stale;
    }
    return this.fetchOnce(tenant);
  }

  /** The cached document, if any, without network. */
  peek(tenant: string): OpenIdMetadata | undefined {
    const entry = this.entries.get(tenant);
    return entry && "value" in entry ? entry.value : undefined;
  }

  private fetchOnce(tenant: string): Promise<OpenIdMetadata> {
    let p = this.inflight.get(tenant);
    if (!p) {
      p = this.load(tenant).finally(() => this.inflight.delete(tenant));
      this.inflight.set(tenant, p);
    }
    return p;
  }

  private async load(tenant: string): Promise<OpenIdMetadata> {
    const url = `${this.host}/${encodeURIComponent(tenant)}/v2.0/.well-known/openid-configuration`;
    try {
      const res = await this.fetchImpl(url, { signal: AbortSignal.timeout(this.timeoutMs), headers: { accept: "application/json" } });
      if (!res.ok) throw new DiscoveryError(`OpenID configuration for tenant ${tenant} answered HTTP ${res.status}`);
      const raw = await res.text();
      const doc = JSON.parse(raw) as Partial<OpenIdMetadata>;
      for (const field of ["issuer", "jwks_uri", "token_endpoint", "authorization_endpoint"] as const) {
        if (typeof doc[field] !== "string") throw new DiscoveryError(`OpenID configuration for tenant ${tenant} lacks ${field}`);
      }
      const value = { ...(doc as OpenIdMetadata), raw };
      this.entries.set(tenant, { at: Date.now(), value });
      return value;
    } catch (e) {
      const error = e instanceof DiscoveryError ? e : new DiscoveryError(`OpenID configuration for tenant ${tenant} is unreachable`, { cause: e });
      const previous = this.entries.get(tenant);
      if (previous && "value" in previous) {
        // keep the stale copy; try again after failureTtlMs rather than on every request
        this.entries.set(tenant, { at: Date.now() - this.ttlMs + this.failureTtlMs, value: previous.value });
        return previous.value;
      }
      this.entries.set(tenant, { at: Date.now(), error });
      throw error;
    }
  }
}
