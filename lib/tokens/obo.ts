import "server-only";
import { createHash } from "node:crypto";
import { ConfidentialClientApplication, LogLevel, type Configuration } from "@azure/msal-node";
import type { Caller, OpenIdMetadataCache } from "@/lib/auth";
import { LruCache, type CacheStore } from "@/lib/cache";
import type { AppConfig, DownstreamApi } from "@/lib/config";
import { describeError, log } from "@/lib/http/log";
import { msalCredential } from "./credentials";
import { mapMsalError } from "./errors";
import { FetchNetworkClient } from "./network";
import { PartitionCachePlugin } from "./partition-plugin";

export interface OboToken {
  accessToken: string;
  expiresOn: Date;
  /** "hit": served from the per-user cache, no identity provider request. */
  source: "hit" | "miss";
  durationMs: number;
}

export interface OboRequest {
  correlationId: string;
  /**
   * A claims challenge from a downstream API (CAE). Forces a token request carrying the claims,
   * bypassing the cache.
   */
  claims?: string;
}

export interface TokenServiceOptions {
  store: CacheStore;
  metadata: OpenIdMetadataCache;
  fetch?: typeof fetch;
  /** Entries of the in-process hot cache in front of MSAL (one per partition). Default 10 000. */
  hotEntries?: number;
}

/** Tokens are served from the hot cache until this long before they expire (MSAL's own renewal offset). */
const HOT_RENEWAL_OFFSET_MS = 300_000;

/**
 * On-Behalf-Of token acquisition for the middle-tier API.
 *
 * - One msal-node configuration per process (credential, capabilities, network client with
 *   timeouts); a lightweight ConfidentialClientApplication per acquisition whose only cache is
 *   the caller's partition, loaded and saved through the ICachePlugin. msal-node's OBO cache read
 *   does not consult the plugin and a shared client's in-memory cache would hold every user's
 *   tokens forever; per-acquisition clients make partitions airtight and memory bounded by the
 *   store (LRU cap or Redis TTLs).
 * - Partition = (API client id, tenant, user oid, downstream scope set), hashed into the key.
 * - Single-flight: concurrent acquisitions for the same partition, assertion and claims share one
 *   identity-provider request.
 * - Authority = the caller's tenant (`tid`), never /common or /organizations. Its OpenID metadata
 *   comes from a process cache, so a cache hit makes no network call at all.
 */
export class OboTokenService {
  private readonly config: AppConfig;
  private readonly store: CacheStore;
  private readonly metadata: OpenIdMetadataCache;
  private readonly base: Omit<Configuration, "auth"> & { auth: Omit<Configuration["auth"], "authority" | "authorityMetadata"> };
  private readonly inflight = new Map<string, Promise<OboToken>>();
  /**
   * The last token MSAL returned per partition, with the hash of the assertion it was issued
   * for: a repeat call with the same assertion is answered without building an MSAL client,
   * loading the partition and searching it (most of the cost of a cache hit).
   */
  private readonly hot: LruCache<string, { assertionHash: string; accessToken: string; expiresOn: Date }>;
  /** Identity-provider requests made by this instance (tests and metrics). */
  tokenRequests = 0;

  /** The token cache backend ("memory" or "redis+memory"). */
  get cacheKind(): string {
    return this.store.kind;
  }

  /** True when a Redis-backed cache is currently serving from its memory fallback. */
  get cacheDegraded(): boolean {
    const available = (this.store as { available?: boolean }).available;
    return available === false;
  }

  /**
   * Entries the token cache dropped so far in this process: the hot cache's and the memory store's,
   * because they expired (a token due for renewal, found when its user came back) or to stay under
   * the size cap. Tokens leave the cache as they expire (the bench's soak counts it, through
   * /api/health with HEALTH_DETAILS); Redis counts its own expired keys.
   */
  cacheEvictions(): { expired: number; overCap: number } {
    const store = this.store.evictionCounts();
    return { expired: this.hot.expirations + store.expired, overCap: this.hot.evictions + store.overCap };
  }

  /** Closes the cache store's connections (tests, graceful shutdown). */
  async close(): Promise<void> {
    await this.store.close();
  }

  constructor(config: AppConfig, options: TokenServiceOptions) {
    this.config = config;
    this.store = options.store;
    this.metadata = options.metadata;
    this.hot = new LruCache({ maxEntries: options.hotEntries ?? 10_000 });
    const network = new FetchNetworkClient(Math.min(config.http.timeoutMs, 15_000), options.fetch);
    this.base = {
      auth: {
        clientId: config.api.clientId,
        knownAuthorities: config.knownAuthorities,
        clientCapabilities: config.api.clientCapabilities.length ? config.api.clientCapabilities : undefined,
        ...msalCredential(config.api.credential, options.fetch),
      },
      system: {
        networkClient: network,
        // Our caller retries at the HTTP layer; MSAL's internal retry would double the wait.
        disableInternalRetries: true,
        loggerOptions: {
          logLevel: LogLevel.Warning,
          piiLoggingEnabled: false,
          loggerCallback: (level, message) => {
            if (level <= LogLevel.Warning) log(level === LogLevel.Error ? "error" : "warn", "msal", { message: message.slice(0, 500) });
          },
        },
      },
    };
  }

  /** An access token for `api` on behalf of `caller` (cached per user partition). */
  async acquire(caller: Caller, api: Pick<DownstreamApi, "name" | "scopes">, request: OboRequest): Promise<OboToken> {
    const partitionKey = this.partitionKey(caller, api.scopes);
    const assertionHash = sha256(caller.assertion);
    if (!request.claims) {
      const hot = this.hot.get(partitionKey);
      if (hot && hot.assertionHash === assertionHash) return { accessToken: hot.accessToken, expiresOn: hot.expiresOn, source: "hit", durationMs: 0 };
    }
    const flightKey = `${partitionKey}|${assertionHash}|${request.claims ? sha256(request.claims) : ""}`;
    const existing = this.inflight.get(flightKey);
    if (existing) return existing;
    const p = this.acquireUncoalesced(caller, api, request, partitionKey)
      .then((t) => {
        // A token answering a claims challenge replaces the hot one: that one was just refused
        // (CAE), and serving it again would cost every later request a challenge round trip.
        this.hot.set(partitionKey, { assertionHash, accessToken: t.accessToken, expiresOn: t.expiresOn }, t.expiresOn.getTime() - Date.now() - HOT_RENEWAL_OFFSET_MS);
        return t;
      })
      .finally(() => this.inflight.delete(flightKey));
    this.inflight.set(flightKey, p);
    return p;
  }

  /** Forgets a user's cached tokens for a scope set (e.g. after a consent change). */
  async evict(caller: Pick<Caller, "tid" | "oid">, scopes: readonly string[]): Promise<void> {
    this.hot.delete(this.partitionKey(caller, scopes));
    await this.store.delete(this.partitionKey(caller, scopes));
  }

  partitionKey(caller: Pick<Caller, "tid" | "oid">, scopes: readonly string[]): string {
    const scopeKey = [...scopes].map((s) => s.toLowerCase()).sort().join(" ");
    return `obo:v1:${sha256(`${this.config.api.clientId}|${caller.tid}|${caller.oid}|${scopeKey}`, "hex").slice(0, 48)}`;
  }

  private async acquireUncoalesced(caller: Caller, api: Pick<DownstreamApi, "name" | "scopes">, request: OboRequest, partitionKey: string): Promise<OboToken> {
    const start = performance.now();
    const authority = `${this.config.authorityHost}/${caller.tid}`;
    try {
      const meta = await this.metadata.get(caller.tid);
      const plugin = new PartitionCachePlugin(this.store, partitionKey);
      const client = new ConfidentialClientApplication({
        ...this.base,
        auth: { ...this.base.auth, authority, authorityMetadata: meta.raw },
        cache: { cachePlugin: plugin },
      });
      // msal-node's OBO path reads only the in-memory cache; load the partition into it first.
      await client.getTokenCache().getAllAccounts(request.correlationId);

      const result = await client.acquireTokenOnBehalfOf({
        oboAssertion: caller.assertion,
        scopes: api.scopes,
        authority,
        correlationId: request.correlationId,
        claims: request.claims,
      });
      if (!result?.accessToken) throw new Error("msal-node returned no access token");
      const source = result.fromCache ? "hit" : "miss";
      if (source === "miss") this.tokenRequests++;
      return {
        accessToken: result.accessToken,
        expiresOn: result.expiresOn ?? new Date(Date.now() + 300_000),
        source,
        durationMs: performance.now() - start,
      };
    } catch (e) {
      const mapped = mapMsalError(e, { scopes: api.scopes, authority, api: api.name });
      log(mapped.status >= 500 ? "error" : "info", "obo.failed", {
        correlationId: request.correlationId,
        api: api.name,
        code: mapped.code,
        error: describeError(e),
      });
      throw mapped;
    }
  }
}

function sha256(text: string, encoding: "base64url" | "hex" = "base64url"): string {
  return createHash("sha256").update(text).digest(encoding);
}
