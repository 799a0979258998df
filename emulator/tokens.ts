// Token minting: v2 access tokens, ID tokens, client_info and the token
// endpoint response body. One place decides claims so every grant issues
// identical shapes.
import { randomUUID } from "node:crypto";
import { requestedAccessTokenClaims, type AccessTokenClaimsRequest } from "./cae";
import { isPreAuthorized } from "./consent";
import { issuerFor, v1IssuerFor, type EmulatorContext } from "./context";
import { EntraError } from "./errors";
import { nowSeconds, randomToken, REFRESH_LIFETIME_S, SPA_REFRESH_LIFETIME_S, type AuthContext } from "./grants";
import { acrsForToken } from "./mfa";
import { JWT_GROUPS_LIMIT } from "./tenant-store";

import { sha256Base64url } from "./jwt";
import { formatScopes, fullScopeName, type ResolvedScopes } from "./scopes";
import type { AppRegistration, ResourceDefinition, User } from "./types";

/** How the client proved its identity: "0" public, "1" secret, "2" certificate/assertion. */
export type Azpacr = "0" | "1" | "2";

export interface TokenResponseBody {
  token_type: "Bearer";
  scope: string;
  expires_in: number;
  ext_expires_in: number;
  access_token: string;
  refresh_token?: string;
  refresh_token_expires_in?: number;
  id_token?: string;
  client_info?: string;
}

/**
 * `client_info`: the HOME account (uid, utid), which MSAL turns into the account's homeAccountId.
 * For a guest that is the account in its own tenant, not the guest object the tokens describe.
 */
export function clientInfo(ctx: EmulatorContext, user: User): string {
  const home = ctx.store.homeUser(user);
  return Buffer.from(JSON.stringify({ uid: home.id, utid: home.tenantId })).toString("base64url");
}

/** The v1 issuer of a tenant, which Entra uses as `idp` for a guest homed there. */
function stsIssuer(tenantId: string): string {
  return `https://sts.windows.net/${tenantId}/`;
}

/**
 * Claims about the user that come from the directory, for a token FOR `app` (an access token's
 * resource, an ID token's client):
 * - `roles`: the app roles assigned to the user (or a group they are a direct member of) on `app`;
 * - `groups`: by the registration's groupMembershipClaims; more than 200 in a JWT is an OVERAGE:
 *   no `groups`, and `_claim_names`/`_claim_sources` pointing at a directory endpoint instead
 *   (access token claims reference, "Groups overage claim"; the endpoint is Azure AD Graph's, which
 *   apps must never call: they ask Microsoft Graph themselves). `hasgroups` is Entra's indicator
 *   for the implicit flow only, which the emulator does not serve;
 * - for a guest, `idp` (the home tenant's issuer) and the home sign-in name as preferred_username.
 */
export function directoryClaims(ctx: EmulatorContext, user: User, app: { appId: string; userRoles?: string[]; groupMembershipClaims?: ResourceDefinition["groupMembershipClaims"] }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (app.userRoles?.length) {
    const roles = ctx.store.userAppRoles(user, app.appId);
    if (roles.length) out["roles"] = roles;
  }
  const groups = ctx.store.groupsForToken(user, app.groupMembershipClaims, app.appId);
  if (groups && groups.length > JWT_GROUPS_LIMIT) {
    out["_claim_names"] = { groups: "src1" };
    out["_claim_sources"] = { src1: { endpoint: `https://graph.windows.net/${user.tenantId}/users/${user.id}/getMemberObjects` } };
  } else if (groups?.length) {
    out["groups"] = groups;
  }
  if (user.guestOf) {
    const home = ctx.store.homeUser(user);
    out["idp"] = stsIssuer(home.tenantId);
    out["preferred_username"] = home.userPrincipalName;
  }
  return out;
}

/** Pairwise subject: stable per (user, application), different across applications. */
export function pairwiseSub(oid: string, appId: string): string {
  return sha256Base64url(`${oid}|${appId}`).slice(0, 43);
}

export interface GrantedScopes {
  resource: ResourceDefinition;
  /** Resource scope names that go into `scp`. */
  scp: string[];
  /** Requested scopes (full names or OIDC) that the user has not consented to. */
  missing: string[];
}

/**
 * Entra puts every consented (or pre-authorized) scope of the resource into `scp`, not just the
 * requested ones. `.default` asks for exactly the consented set.
 */
export function grantedScopes(ctx: EmulatorContext, client: AppRegistration, user: User, resolved: ResolvedScopes): GrantedScopes {
  const resource = resolved.resource ?? ctx.store.graph;
  const consented = ctx.store.consentedKeys(client.clientId, user.id);
  const has = (name: string) => consented.has(`${resource.appId}/${name.toLowerCase()}`) || isPreAuthorized(ctx, client, resource, name);
  const missing: string[] = [];
  for (const n of resolved.names) if (!has(n)) missing.push(fullScopeName(resource, n));
  for (const o of resolved.oidc) if (!consented.has(o)) missing.push(o);
  if (resolved.isDefault) {
    // .default without any consent for the resource: the app's configured permissions are what would be consented.
    const anyConsented = resource.scopes.some((s) => has(s.value));
    if (!anyConsented) {
      for (const s of ctx.store.configuredPermissions(client.clientId, resource.appId)) {
        if (!consented.has(ctx.store.canonicalConsentKey(s))) missing.push(s);
      }
    }
  }
  const scp = resource.scopes.filter((s) => has(s.value)).map((s) => s.value);
  if (!resolved.resource) {
    // Sign-in only: Entra issues a Graph token that also carries the OIDC scopes.
    for (const o of resolved.oidc) if (o !== "offline_access" && !scp.includes(o)) scp.push(o);
  }
  return { resource, scp, missing };
}

export function consentRequiredError(client: AppRegistration): EntraError {
  return new EntraError(
    400,
    "invalid_grant",
    65001,
    `The user or administrator has not consented to use the application with ID '${client.clientId}' named '${client.displayName}'. Send an interactive authorization request for this user and resource.`,
    { suberror: "consent_required" },
  );
}

export interface UserTokenInput {
  user: User;
  client: AppRegistration;
  resource: ResourceDefinition;
  scp: string[];
  auth: Pick<AuthContext, "amr" | "acrs" | "sid" | "authTime">;
  azpacr: Azpacr;
  lifetime?: number;
  extraClaims?: Record<string, unknown>;
}

/** Graph and ARM take v1.0 tokens (their manifests leave accessTokenAcceptedVersion unset); our API v2.0. */
export const isV1Resource = (resource: ResourceDefinition): boolean => resource.accessTokenAcceptedVersion === 1;

/**
 * A v1.0 user access token, as Graph and ARM get them (Microsoft Learn, "Access token claims
 * reference": `appid`/`appidacr` instead of `azp`/`azpacr`, `acr`, `amr`, `unique_name` and `upn`
 * instead of `preferred_username`, the v1.0 basic claims `given_name`/`family_name`, issuer
 * `https://sts.windows.net/<tid>/`, `ver` "1.0").
 */
function v1UserClaims(ctx: EmulatorContext, p: UserTokenInput, times: { iat: number; nbf: number; exp: number }): Record<string, unknown> {
  return {
    aud: p.resource.tokenAudience,
    iss: v1IssuerFor(ctx, p.user.tenantId),
    ...times,
    acr: "1",
    aio: randomToken(24),
    amr: p.auth.amr,
    appid: p.client.clientId,
    appidacr: p.azpacr,
    ...(p.user.surname ? { family_name: p.user.surname } : {}),
    ...(p.user.givenName ? { given_name: p.user.givenName } : {}),
    idtyp: "user",
    name: p.user.displayName,
    oid: p.user.id,
    rh: randomToken(16),
    scp: p.scp.join(" "),
    sub: pairwiseSub(p.user.id, p.client.clientId),
    tid: p.user.tenantId,
    unique_name: p.user.userPrincipalName,
    upn: p.user.userPrincipalName,
    uti: randomToken(16),
    ver: "1.0",
    ...(p.auth.acrs && p.auth.acrs.length ? { acrs: p.auth.acrs } : {}),
    ...(p.extraClaims ?? {}),
  };
}

export function mintUserAccessToken(ctx: EmulatorContext, p: UserTokenInput): { token: string; expiresIn: number; expiresOn: number } {
  const now = nowSeconds();
  const lifetime = p.lifetime ?? ctx.settings.tokenLifetimeSeconds;
  const exp = now + lifetime;
  const past = lifetime <= 0;
  if (isV1Resource(p.resource)) {
    const start = past ? exp - 3600 : now;
    return { token: ctx.keys.sign(v1UserClaims(ctx, p, { iat: start, nbf: start, exp })), expiresIn: lifetime, expiresOn: exp };
  }
  const claims: Record<string, unknown> = {
    aud: p.resource.tokenAudience,
    iss: issuerFor(ctx, p.user.tenantId),
    iat: past ? exp - 3600 : now,
    nbf: past ? exp - 3600 : now,
    exp,
    aio: randomToken(24),
    azp: p.client.clientId,
    azpacr: p.azpacr,
    name: p.user.displayName,
    oid: p.user.id,
    preferred_username: p.user.userPrincipalName,
    rh: randomToken(16),
    scp: p.scp.join(" "),
    sid: p.auth.sid,
    sub: pairwiseSub(p.user.id, p.client.clientId),
    tid: p.user.tenantId,
    uti: randomToken(16),
    ver: "2.0",
    amr: p.auth.amr,
    ...(p.auth.acrs && p.auth.acrs.length ? { acrs: p.auth.acrs } : {}),
    ...directoryClaims(ctx, p.user, p.resource),
    ...(p.extraClaims ?? {}),
  };
  return { token: ctx.keys.sign(claims), expiresIn: lifetime, expiresOn: exp };
}

export function mintAppAccessToken(
  ctx: EmulatorContext,
  p: { client: AppRegistration; tenantId: string; resource: ResourceDefinition; roles: string[]; azpacr: Azpacr; lifetime?: number; extraClaims?: Record<string, unknown> },
): { token: string; expiresIn: number; expiresOn: number } {
  const now = nowSeconds();
  const lifetime = p.lifetime ?? ctx.settings.tokenLifetimeSeconds;
  const exp = now + lifetime;
  const past = lifetime <= 0;
  if (isV1Resource(p.resource)) {
    // v1.0 app-only token (client credentials for Graph/ARM): appid/appidacr, idp = the issuer.
    const iss = v1IssuerFor(ctx, p.tenantId);
    const v1: Record<string, unknown> = {
      aud: p.resource.tokenAudience,
      iss,
      iat: past ? exp - 3600 : now,
      nbf: past ? exp - 3600 : now,
      exp,
      aio: randomToken(24),
      appid: p.client.clientId,
      appidacr: p.azpacr,
      idp: iss,
      idtyp: "app",
      oid: p.client.servicePrincipalId,
      rh: randomToken(16),
      ...(p.roles.length ? { roles: p.roles } : {}),
      sub: p.client.servicePrincipalId,
      tid: p.tenantId,
      uti: randomToken(16),
      ver: "1.0",
      ...(p.extraClaims ?? {}),
    };
    return { token: ctx.keys.sign(v1), expiresIn: lifetime, expiresOn: exp };
  }
  const claims: Record<string, unknown> = {
    aud: p.resource.tokenAudience,
    iss: issuerFor(ctx, p.tenantId),
    iat: past ? exp - 3600 : now,
    nbf: past ? exp - 3600 : now,
    exp,
    aio: randomToken(24),
    azp: p.client.clientId,
    azpacr: p.azpacr,
    idtyp: "app",
    oid: p.client.servicePrincipalId,
    rh: randomToken(16),
    ...(p.roles.length ? { roles: p.roles } : {}),
    sub: p.client.servicePrincipalId,
    tid: p.tenantId,
    uti: randomToken(16),
    ver: "2.0",
    ...(p.extraClaims ?? {}),
  };
  return { token: ctx.keys.sign(claims), expiresIn: lifetime, expiresOn: exp };
}

/** The optional ID-token claims the emulator knows (Microsoft Learn, "Optional claims reference"). */
export const ID_TOKEN_OPTIONAL_CLAIMS = ["sid", "login_hint"];

/**
 * The `login_hint` optional claim: an opaque value naming the user, for `login_hint` and
 * `logout_hint` ("Don't use UPNs or phone numbers as the value of the logout_hint parameter").
 * Apps must not parse it; the emulator reads it back with userOfLoginHint.
 */
export function loginHintClaim(user: User): string {
  return `O.${Buffer.from(JSON.stringify({ oid: user.id, tid: user.tenantId })).toString("base64url")}`;
}

/** The user a `login_hint` claim value names, or undefined for anything else (a UPN included). */
export function userOfLoginHint(ctx: EmulatorContext, hint: string | undefined): User | undefined {
  if (!hint?.startsWith("O.")) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(hint.slice(2), "base64url").toString("utf8"));
    const oid = typeof v === "object" && v !== null ? (v as { oid?: unknown }).oid : undefined;
    return typeof oid === "string" ? ctx.store.userById(oid) : undefined;
  } catch {
    return undefined;
  }
}

export function mintIdToken(
  ctx: EmulatorContext,
  p: { user: User; client: AppRegistration; auth: Pick<AuthContext, "amr" | "acrs" | "sid" | "authTime">; nonce?: string },
): string {
  const now = nowSeconds();
  // Optional claims only when the registration asks for them: `sid` (per-session sign-out) and
  // `login_hint` (Microsoft Learn, "Optional claims reference"); a claims request does not add them.
  const optional = p.client.idTokenOptionalClaims;
  return ctx.keys.sign({
    aud: p.client.clientId,
    iss: issuerFor(ctx, p.user.tenantId),
    iat: now,
    nbf: now,
    exp: now + 3600,
    auth_time: p.auth.authTime,
    ...(p.user.mail ? { email: p.user.mail } : {}),
    name: p.user.displayName,
    ...(p.nonce !== undefined ? { nonce: p.nonce } : {}),
    oid: p.user.id,
    preferred_username: p.user.userPrincipalName,
    rh: randomToken(16),
    ...(optional.includes("sid") ? { sid: p.auth.sid } : {}),
    ...(optional.includes("login_hint") ? { login_hint: loginHintClaim(p.user) } : {}),
    sub: pairwiseSub(p.user.id, p.client.clientId),
    tid: p.user.tenantId,
    uti: randomToken(16),
    ver: "2.0",
    amr: p.auth.amr,
    ...(p.auth.acrs && p.auth.acrs.length ? { acrs: p.auth.acrs } : {}),
    // Roles and groups of the CLIENT app's own registration (an app that defines roles, asks for groups).
    ...directoryClaims(ctx, p.user, {
      appId: p.client.clientId,
      userRoles: ctx.store.resources.find((r) => r.appId === p.client.clientId)?.userRoles,
      groupMembershipClaims: p.client.groupMembershipClaims,
    }),
  });
}

/**
 * The full token endpoint body for a user: access token, optional refresh and
 * ID tokens, client_info. Throws consent_required when consent is missing.
 */
export function userTokenResponse(
  ctx: EmulatorContext,
  p: {
    user: User;
    client: AppRegistration;
    resolved: ResolvedScopes;
    auth: AuthContext;
    azpacr: Azpacr;
    nonce?: string;
    spa: boolean;
    /** For SPA refresh tokens: when the chain began (its lifetime counts from there). Default now. */
    spaChainStartedAt?: number;
    /** The request's `claims` parameter: requested claims go into the access token (cae.ts). */
    claimsRequest?: AccessTokenClaimsRequest;
  },
): TokenResponseBody {
  const granted = grantedScopes(ctx, p.client, p.user, p.resolved);
  if (granted.missing.length) throw consentRequiredError(p.client);
  // Authentication contexts asked for at sign-in (the code's) or in this token request, plus the
  // ones the resource gets opportunistically (mfa.ts); never inherited from an earlier token.
  const requestedAcrs = [...(p.auth.acrs ?? []), ...(p.claimsRequest?.acrs ?? [])];
  const acrs = acrsForToken(ctx, p.user, granted.resource.optionalClaims ?? [], p.auth.amr, requestedAcrs);
  const at = mintUserAccessToken(ctx, {
    user: p.user,
    client: p.client,
    resource: granted.resource,
    scp: granted.scp,
    auth: { ...p.auth, acrs },
    azpacr: p.azpacr,
    extraClaims: p.claimsRequest ? requestedAccessTokenClaims(p.claimsRequest, granted.resource.optionalClaims ?? [], nowSeconds()) : undefined,
  });
  const echoed = formatScopes(p.resolved.resource, granted.scp, p.resolved.bare);
  if (p.resolved.isDefault && p.resolved.resource) echoed.push(fullScopeName(p.resolved.resource, ".default"));
  const scope = [...echoed, ...(p.resolved.resource ? [] : granted.scp.filter((s) => !p.resolved.oidc.includes(s))), ...p.resolved.oidc];
  const body: TokenResponseBody = {
    token_type: "Bearer",
    scope: scope.join(" "),
    expires_in: at.expiresIn,
    ext_expires_in: at.expiresIn,
    access_token: at.token,
    client_info: clientInfo(ctx, p.user),
  };
  if (p.resolved.oidc.includes("offline_access")) {
    const now = nowSeconds();
    const chainStart = p.spa ? (p.spaChainStartedAt ?? now) : undefined;
    // Kept (and swept) for the longest lifetime; the SPA's is checked against the setting at use.
    const expiresAt = chainStart !== undefined ? chainStart + SPA_REFRESH_LIFETIME_S : now + REFRESH_LIFETIME_S;
    const rt = ctx.grants.issueRefreshToken({ ...p.auth, clientId: p.client.clientId, spa: p.spa, spaChainStartedAt: chainStart, expiresAt });
    body.refresh_token = rt.token;
    if (chainStart !== undefined) body.refresh_token_expires_in = Math.max(0, chainStart + ctx.settings.spaRefreshTokenLifetimeSeconds - now);
  }
  if (p.resolved.oidc.includes("openid")) {
    body.id_token = mintIdToken(ctx, { user: p.user, client: p.client, auth: p.auth, nonce: p.nonce });
  }
  return body;
}

export const newSid = () => randomUUID();
