import "server-only";
import { createHash } from "node:crypto";
import { createRemoteJWKSet, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from "jose";
import type { AppConfig } from "@/lib/config";
import { LruCache } from "@/lib/cache/lru";
import { appOnlyToken, clientNotAllowed, insufficientScope, invalidToken, keySetUnavailable, tenantNotAllowed, type ApiError } from "@/lib/errors";
import { describeError, log } from "@/lib/http/log";
import { BackingOff, FailureBackoff } from "./backoff";
import { DiscoveryError, type OpenIdMetadataCache } from "./discovery";

/** The verified caller of the API. Built only from a token whose signature and claims checked out. */
export interface Caller {
  /** Object id of the user in their tenant (`oid`). */
  readonly oid: string;
  /** The user's tenant (`tid`); On-Behalf-Of goes to this tenant's authority. */
  readonly tid: string;
  readonly sub: string;
  readonly name?: string;
  readonly username?: string;
  /** Delegated scopes granted to the client (`scp`, split). */
  readonly scopes: readonly string[];
  /** The client application that requested the token (`azp`). */
  readonly clientId?: string;
  /** Client capabilities the caller declared (`xms_cc`), e.g. ["cp1"] for CAE-capable clients. */
  readonly clientCapabilities: readonly string[];
  /** The API's app roles assigned to the user, directly or through a group (`roles`). */
  readonly roles: readonly string[];
  /** Group object ids the token lists (`groups`), lower case; empty when it lists none. */
  readonly groups: readonly string[];
  /**
   * How far `groups` can be trusted: "listed" = the token lists the user's groups; "overage" = the
   * user is in more groups than a token holds (`_claim_names.groups`, or `hasgroups`), so only
   * Microsoft Graph can say; "absent" = the token says nothing about groups.
   */
  readonly groupClaims: "listed" | "overage" | "absent";
  /** Conditional Access authentication contexts the token satisfies (`acrs`), lower case. */
  readonly authContexts: readonly string[];
  /** Token expiry, seconds since epoch. */
  readonly expiresAt: number;
  /**
   * The raw access token, needed as the On-Behalf-Of assertion. Non-enumerable: it does not
   * appear in JSON.stringify, object spread or console.log of a Caller.
   */
  readonly assertion: string;
}

export interface VerifyResult {
  caller: Caller;
  /** True when the answer came from the per-token memo (no signature check this time). */
  memoized: boolean;
}

export interface VerifyOptions {
  /**
   * Client applications (`azp`) accepted for this use of the token. Default: the API's own
   * (AppConfig.allowedClientIds). Checked at every call, memoized or not.
   */
  allowedClientIds?: readonly string[];
}

export interface VerifierOptions {
  /** Allowed clock skew for exp/nbf, seconds. Default 60. */
  clockToleranceSeconds?: number;
  /** Max verified tokens remembered. Default 10 000. */
  memoMaxEntries?: number;
  /** Minimum time between JWKS refetches triggered by an unknown `kid`. Default 30 s. */
  jwksCooldownMs?: number;
  /** Background JWKS refresh interval (stale keys keep serving if it fails). Default 1 h. */
  jwksRefreshMs?: number;
  /** JWKS fetch timeout. Default 5 s. */
  jwksTimeoutMs?: number;
  /** Wait after a failed JWKS fetch before the next one, doubling per failure. Default 1 s up to 30 s. */
  jwksBackoffMs?: { initial: number; max: number };
  /** Test seam: the back-off's clock. */
  clock?: () => number;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface KeySetState {
  jwks: ReturnType<typeof createRemoteJWKSet>;
  /** Issuer with `{tid}` in place of the tenant id, e.g. https://login.microsoftonline.com/{tid}/v2.0 */
  issuerTemplate: string;
  homeTenantId: string;
  lastRefresh: number;
  /** When a refetch for an unknown `kid` last failed (jose's cooldown only follows successes). */
  lastFailedRefetch: number;
  /**
   * Every JWKS fetch goes through this: after a failure the next one waits (1 s, 2 s, … 30 s), so
   * requests anyone can send (any `kid`, /api/health) never drive one fetch each.
   */
  fetches: FailureBackoff;
}

/**
 * Verifies access tokens for this API (jose): RS256 signatures against the tenant's JWKS, exact
 * issuer per tenant, the tenant allow-list (403 tenant_not_allowed), audience = API client id or
 * App ID URI, v2.0 tokens, exp/nbf with a small skew, the delegated scope, no app-only tokens, the
 * claims authorization reads (roles, groups or their overage, acrs), and an allowed client
 * application (`azp`, 403 client_not_allowed, checked per call). Results are memoized per token
 * until it expires, so proxy.ts and the route handler together pay for one signature check.
 */
export class TokenVerifier {
  private readonly config: AppConfig;
  private readonly discovery: OpenIdMetadataCache;
  private readonly memo: LruCache<string, Caller>;
  private readonly tolerance: number;
  private readonly cooldownMs: number;
  private readonly refreshMs: number;
  private readonly timeoutMs: number;
  private readonly backoff: { initial: number; max: number };
  private readonly clock: (() => number) | undefined;
  private state: Promise<KeySetState> | undefined;

  constructor(config: AppConfig, discovery: OpenIdMetadataCache, options: VerifierOptions = {}) {
    this.config = config;
    this.discovery = discovery;
    this.tolerance = options.clockToleranceSeconds ?? 60;
    this.memo = sharedMemo(config, options.memoMaxEntries ?? 10_000);
    this.cooldownMs = options.jwksCooldownMs ?? 30_000;
    this.refreshMs = options.jwksRefreshMs ?? 3600_000;
    this.timeoutMs = options.jwksTimeoutMs ?? 5_000;
    this.backoff = options.jwksBackoffMs ?? { initial: 1_000, max: 30_000 };
    this.clock = options.clock;
  }

  /** Verifies `token` or throws an ApiError (401 invalid_token, 403 insufficient_scope, 503). */
  async verify(token: string, options: VerifyOptions = {}): Promise<VerifyResult> {
    const allowed = options.allowedClientIds ?? this.config.allowedClientIds;
    const cached = this.memo.get(token);
    if (cached) {
      checkClient(cached, allowed);
      return { caller: cached, memoized: true };
    }
    const caller = await this.verifyFully(token);
    const ttlMs = (caller.expiresAt + this.tolerance) * 1000 - Date.now();
    // Memoized before the client check: a genuine token stays genuine; who may use it is per call.
    this.memo.set(token, caller, ttlMs);
    checkClient(caller, allowed);
    return { caller, memoized: false };
  }

  /**
   * Readiness (health checks): discovery done and signing keys loaded, loading them if needed
   * (through the back-off). Keys once loaded keep verifying while a refresh fails, so a loaded
   * set is ready; a due refresh starts in the background. Returns the number of signing keys.
   */
  async checkKeySet(): Promise<{ issuer: string; keys: number }> {
    const state = await this.keySet();
    if (!cachedKeys(state)) await state.fetches.run(() => state.jwks.reload());
    else this.refreshIfDue(state);
    return { issuer: state.issuerTemplate, keys: cachedKeys(state)?.keys.length ?? 0 };
  }

  /** The hourly refresh, in the background and never while backing off after a failure. */
  private refreshIfDue(state: KeySetState): void {
    if (Date.now() - state.lastRefresh <= this.refreshMs || state.jwks.reloading || state.fetches.waitMs() > 0) return;
    state.lastRefresh = Date.now();
    void state.fetches.run(() => state.jwks.reload()).catch((e: unknown) => log("warn", "auth.jwks_refresh_failed", { error: describeError(e) }));
  }

  private keySet(): Promise<KeySetState> {
    if (!this.state) {
      const p = this.loadKeySet();
      this.state = p;
      // a failed discovery is retried by the next request (the discovery cache rate-limits it)
      p.catch(() => {
        if (this.state === p) this.state = undefined;
      });
    }
    return this.state;
  }

  private async loadKeySet(): Promise<KeySetState> {
    const meta = await this.discovery.get(this.config.tenantId);
    const homeTenantId = GUID.test(this.config.tenantId) ? this.config.tenantId : (meta.issuer.match(GUID_IN_TEXT)?.[0] ?? "");
    if (!homeTenantId || !meta.issuer.includes(homeTenantId)) {
      throw new DiscoveryError(`the home tenant's issuer ${meta.issuer} does not contain its tenant id`);
    }
    return {
      jwks: createRemoteJWKSet(new URL(meta.jwks_uri), {
        cooldownDuration: this.cooldownMs,
        // Keys are refreshed on an unknown kid and in the background; never block a request on a
        // routine refresh, and keep verifying with the last good set when the IdP is down.
        cacheMaxAge: Infinity,
        timeoutDuration: this.timeoutMs,
      }),
      issuerTemplate: meta.issuer.replace(homeTenantId, "{tid}"),
      homeTenantId,
      lastRefresh: Date.now(),
      lastFailedRefetch: 0,
      fetches: new FailureBackoff({ initialMs: this.backoff.initial, maxMs: this.backoff.max, now: this.clock }),
    };
  }

  private allowedTenants(state: KeySetState): Set<string> {
    const set = new Set(this.config.allowedTenants.filter((t) => GUID.test(t)).map((t) => t.toLowerCase()));
    set.add(state.homeTenantId.toLowerCase());
    return set;
  }

  private async verifyFully(token: string): Promise<Caller> {
    if (token.split(".").length !== 3) throw invalidToken("The token is not a signed JWT.");
    let header;
    try {
      header = decodeProtectedHeader(token);
    } catch (e) {
      throw invalidToken("The token header cannot be decoded.", e);
    }
    if (header.alg !== "RS256") throw invalidToken(`The token algorithm ${String(header.alg ?? "(none given)").slice(0, 20)} is not accepted; RS256 is required.`);
    if (typeof header.kid !== "string" || !header.kid) throw invalidToken("The token header has no key id (kid).");

    let state: KeySetState;
    try {
      state = await this.keySet();
    } catch (e) {
      log("error", "auth.discovery_failed", { error: describeError(e) });
      throw keySetUnavailable(e);
    }
    // Never loaded (the JWKS endpoint was down so far): one fetch per back-off step, not per request.
    if (!cachedKeys(state)) {
      try {
        await state.fetches.run(() => state.jwks.reload());
      } catch (e) {
        if (!(e instanceof BackingOff)) log("error", "auth.jwks_unavailable", { error: describeError(e) });
        throw keySetUnavailable(e, Math.max(1, Math.ceil(state.fetches.waitMs() / 1000)));
      }
    }
    this.refreshIfDue(state);

    // A kid the cached key set lacks means a refetch (a rotated key), unless the set was fetched
    // within jose's cooldown. While the JWKS endpoint fails, that would be one fetch per such
    // token, and each would answer 503: after a failed refetch, answer 401 for unknown kids until
    // the cooldown and the back-off have passed. Known keys keep verifying either way.
    const cached = cachedKeys(state);
    const unknownKid = cached !== undefined && !cached.keys.some((k) => k.kid === header.kid);
    if (unknownKid && Date.now() - state.lastFailedRefetch < this.cooldownMs) throw invalidToken("The token was signed with an unknown key.");
    if (unknownKid && !state.jwks.coolingDown) {
      try {
        await state.fetches.run(() => state.jwks.reload());
      } catch (e) {
        if (!(e instanceof BackingOff)) {
          state.lastFailedRefetch = Date.now();
          log("warn", "auth.jwks_refresh_failed", { error: describeError(e) });
        }
        throw invalidToken("The token was signed with an unknown key.", e);
      }
    }

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, state.jwks, {
        algorithms: ["RS256"],
        clockTolerance: this.tolerance,
        requiredClaims: ["exp", "iss", "aud", "tid", "oid"],
      }));
    } catch (e) {
      if (unknownKid && isKeySetFetchFailure(e)) {
        state.lastFailedRefetch = Date.now();
        log("warn", "auth.jwks_refresh_failed", { error: describeError(e) });
        throw invalidToken("The token was signed with an unknown key.", e);
      }
      throw mapJoseError(e);
    }

    const claims = payload as JWTPayload & Record<string, unknown>;
    if (claims.ver !== "2.0") throw invalidToken(`Token version ${String(claims.ver ?? "(none given)").slice(0, 10)} is not accepted; request a v2.0 token (accessTokenAcceptedVersion: 2).`);

    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    const validAudiences = [this.config.api.clientId, this.config.api.appIdUri];
    if (!audiences.some((a) => typeof a === "string" && validAudiences.includes(a))) {
      throw invalidToken("The token was issued for a different audience.");
    }

    const tid = typeof claims.tid === "string" ? claims.tid.toLowerCase() : "";
    if (!GUID.test(tid)) throw invalidToken("The token has no valid tenant id (tid).");
    if (claims.iss !== state.issuerTemplate.replace("{tid}", String(claims.tid))) throw invalidToken("The token was issued by an unexpected issuer.");
    // Only a genuine token (signature, audience, issuer of its own tenant) learns that its tenant is not served.
    if (!this.allowedTenants(state).has(tid)) throw tenantNotAllowed(tid);

    const scp = typeof claims.scp === "string" ? claims.scp.split(" ").filter(Boolean) : [];
    // App-only tokens (client credentials) carry `roles` and no `scp`; Entra also marks them idtyp=app.
    if (claims.idtyp === "app" || typeof claims.scp !== "string") throw appOnlyToken(this.config.api.scope);
    if (!scp.includes(this.config.api.scopeName)) {
      throw insufficientScope(`The token lacks the ${this.config.api.scopeName} scope.`, this.config.api.scope);
    }

    // The client application (v2 `azp`): checked per call against the allowed clients (checkClient).
    const azp = typeof claims.azp === "string" ? claims.azp.toLowerCase() : "";
    if (!azp) throw invalidToken("The token does not name its client application (azp).");

    const oid = String(claims.oid);
    if (!GUID.test(oid)) throw invalidToken("The token has no valid object id (oid).");
    const { roles, groups, groupClaims, authContexts } = authorizationClaims(claims);

    const caller = {
      oid: oid.toLowerCase(),
      tid,
      sub: typeof claims.sub === "string" ? claims.sub : "",
      name: typeof claims.name === "string" ? claims.name : undefined,
      username: typeof claims.preferred_username === "string" ? claims.preferred_username : undefined,
      scopes: Object.freeze(scp),
      clientId: azp,
      clientCapabilities: Object.freeze(Array.isArray(claims.xms_cc) ? claims.xms_cc.filter((c): c is string => typeof c === "string") : []),
      roles,
      groups,
      groupClaims,
      authContexts,
      expiresAt: claims.exp as number,
    } as Omit<Caller, "assertion">;
    Object.defineProperty(caller, "assertion", { value: token, enumerable: false });
    return Object.freeze(caller) as Caller;
  }
}

/** Only this app's own clients may use its tokens as a relay to Graph and ARM (`azp`, 403 client_not_allowed). */
function checkClient(caller: Caller, allowed: readonly string[]): void {
  const azp = caller.clientId ?? "";
  if (!allowed.some((c) => c.toLowerCase() === azp)) throw clientNotAllowed(azp);
}

const MAX_LIST_CLAIM = 1000;
const MAX_CLAIM_VALUE = 256;

/** A claim that must be an array of non-empty strings when present; anything else is a malformed token. */
function stringList(claims: Record<string, unknown>, name: string): string[] | undefined {
  const value = claims[name];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length > MAX_LIST_CLAIM || !value.every((v): v is string => typeof v === "string" && v.length > 0 && v.length <= MAX_CLAIM_VALUE)) {
    throw invalidToken(`The token's ${name} claim is malformed: it must be an array of strings.`);
  }
  return value;
}

/**
 * The claims authorization reads, validated (a malformed one is a 401, never ignored):
 * - `roles`: array of strings (app roles);
 * - `groups`: array of strings, or the overage indicators instead: `_claim_names.groups` (JWTs
 *   over 200 groups, with `_claim_sources`) or `hasgroups: true` (implicit-flow tokens). A token
 *   with both a list and an indicator contradicts itself and is refused. The overage claim's URL
 *   is never followed: the API asks Microsoft Graph itself (lib/authz);
 * - `acrs`: array of authentication context ids (c1 … c99).
 * https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference
 */
function authorizationClaims(claims: Record<string, unknown>): Pick<Caller, "roles" | "groups" | "groupClaims" | "authContexts"> {
  const roles = stringList(claims, "roles") ?? [];
  const listed = stringList(claims, "groups");
  let overage = false;
  if (claims.hasgroups !== undefined) {
    if (claims.hasgroups !== true) throw invalidToken("The token's hasgroups claim is malformed: when present it is always true.");
    overage = true;
  }
  const names = claims._claim_names;
  if (names !== undefined) {
    if (typeof names !== "object" || names === null || Array.isArray(names)) throw invalidToken("The token's _claim_names claim is malformed: it must be an object.");
    const source = (names as Record<string, unknown>).groups;
    if (source !== undefined) {
      if (typeof source !== "string") throw invalidToken("The token's _claim_names.groups is malformed: it must name a claim source.");
      overage = true;
    }
  }
  if (listed && overage) throw invalidToken("The token both lists groups and says the user has too many to list (groups with hasgroups or _claim_names): it contradicts itself.");
  const acrs = stringList(claims, "acrs") ?? [];
  if (acrs.some((a) => !/^c([1-9]|[1-9][0-9])$/i.test(a))) throw invalidToken("The token's acrs claim is malformed: authentication context ids are c1 to c99.");
  return {
    roles: Object.freeze([...roles]),
    groups: Object.freeze((listed ?? []).map((g) => g.toLowerCase())),
    groupClaims: listed ? "listed" : overage ? "overage" : "absent",
    authContexts: Object.freeze(acrs.map((a) => a.toLowerCase())),
  };
}

const MEMO_KEY = Symbol.for("ms-identity-nextjs.auth.verified-tokens");

/**
 * The memo of verified tokens, shared by every verifier in the process with the same
 * verification settings. Next.js bundles proxy.ts and the route handlers separately (separate
 * module instances, separate verifiers); sharing only this plain data through globalThis is what
 * makes the handler's check after proxy.ts a lookup. Entries are frozen plain objects, so no
 * class identity crosses bundles.
 */
function sharedMemo(config: AppConfig, maxEntries: number): LruCache<string, Caller> {
  const g = globalThis as { [MEMO_KEY]?: Map<string, LruCache<string, Caller>> };
  g[MEMO_KEY] ??= new Map();
  const settings = JSON.stringify([config.authorityHost, config.tenantId, [...config.allowedTenants].sort(), config.api.clientId, config.api.appIdUri, config.api.scopeName]);
  const fingerprint = createHash("sha256").update(settings).digest("hex");
  let memo = g[MEMO_KEY].get(fingerprint);
  if (!memo) {
    memo = new LruCache({ maxEntries });
    g[MEMO_KEY].set(fingerprint, memo);
  }
  return memo;
}

/** The signing keys jose holds for this set, or undefined before the first successful fetch. */
function cachedKeys(state: KeySetState): { keys: { kid?: string }[] } | undefined {
  return (state.jwks as unknown as { jwks(): { keys: { kid?: string }[] } | undefined }).jwks();
}

const GUID_IN_TEXT = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/** The key set could not be fetched (network, timeout, non-200, not JSON), as opposed to a bad token. */
function isKeySetFetchFailure(e: unknown): boolean {
  return e instanceof joseErrors.JWKSTimeout || e instanceof joseErrors.JWKSInvalid || e instanceof TypeError || (e instanceof joseErrors.JOSEError && e.code === "ERR_JOSE_GENERIC");
}

function mapJoseError(e: unknown): ApiError {
  if (e instanceof joseErrors.JWTExpired) return invalidToken("The token has expired.", e);
  if (e instanceof joseErrors.JWTClaimValidationFailed) {
    if (e.claim === "nbf") return invalidToken("The token is not valid yet (nbf is in the future).", e);
    if (e.claim === "iat") return invalidToken("The token's issue time is invalid.", e);
    return invalidToken(`The token is missing or has an invalid ${e.claim} claim.`, e);
  }
  if (e instanceof joseErrors.JOSEAlgNotAllowed) return invalidToken("The token algorithm is not accepted; RS256 is required.", e);
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return invalidToken("The token signature is invalid.", e);
  if (e instanceof joseErrors.JWKSNoMatchingKey) return invalidToken("The token was signed with an unknown key.", e);
  if (e instanceof joseErrors.JWKSMultipleMatchingKeys) return invalidToken("The token's signing key is ambiguous.", e);
  if (e instanceof joseErrors.JWSInvalid || e instanceof joseErrors.JWTInvalid) return invalidToken("The token is malformed.", e);
  if (e instanceof joseErrors.JOSENotSupported) return invalidToken("The token uses an unsupported key or algorithm.", e);
  // JWKS fetch failures (timeout, network, non-200): we cannot judge the token; it is not its fault.
  if (e instanceof joseErrors.JWKSTimeout || e instanceof joseErrors.JWKSInvalid || e instanceof joseErrors.JOSEError || e instanceof TypeError) {
    log("error", "auth.jwks_unavailable", { error: describeError(e) });
    return keySetUnavailable(e);
  }
  return invalidToken("The token could not be verified.", e);
}
