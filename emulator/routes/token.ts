// POST /{tenant}/oauth2/v2.0/token: every grant the app uses, with Entra's
// checks and error codes. Each grant validates, then delegates minting to
// tokens.ts so all grants issue identical token shapes.
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { accessTokenClaimsRequest, revokedGrantError, type AccessTokenClaimsRequest } from "../cae";
import { knownIssuers, type EmulatorContext } from "../context";
import type { GrantName } from "../counters";
import { audienceError } from "../audience";
import { unlistedResourceError } from "../consent";
import { EntraError } from "../errors";
import { nowSeconds, type AuthContext } from "../grants";
import { BodyTooLargeError, header, parseForm, readBody, sendJson } from "../http";
import { stringClaim, numberClaim, type JwtPayload } from "../jwt";
import { authContextError, authContextsNeedMfa, mfaError, mfaRequiredFor, parseClaimsParameter } from "../mfa";
import { sendEntraError } from "../respond";
import { resolveScopes } from "../scopes";
import {
  consentRequiredError,
  grantedScopes,
  mintAppAccessToken,
  newSid,
  userTokenResponse,
  type TokenResponseBody,
} from "../tokens";
import type { ResourceDefinition, User } from "../types";
import { authenticateClient, presentedClientId, type AuthenticatedClient } from "./client-auth";
import { resolveTenantSegment } from "./discovery";

const GRANTS: Record<string, GrantName> = {
  authorization_code: "authorization_code",
  refresh_token: "refresh_token",
  password: "password",
  client_credentials: "client_credentials",
  device_code: "device_code",
  "urn:ietf:params:oauth:grant-type:device_code": "device_code",
  "urn:ietf:params:oauth:grant-type:jwt-bearer": "on_behalf_of",
};

interface TokenRequest {
  ctx: EmulatorContext;
  req: IncomingMessage;
  form: Map<string, string>;
  tenantId?: string;
  origin?: string;
}

function corsHeaders(origin: string | undefined): Record<string, string> {
  return origin ? { "access-control-allow-origin": origin, vary: "Origin" } : {};
}

/** Answers a CORS preflight; msal-browser avoids them, but other clients may not. */
export function corsPreflight(req: IncomingMessage, res: ServerResponse): void {
  const origin = header(req, "origin");
  res.writeHead(204, {
    ...(origin ? corsHeaders(origin) : { "access-control-allow-origin": "*" }),
    "access-control-allow-methods": "GET, POST, OPTIONS",
    "access-control-allow-headers": header(req, "access-control-request-headers") ?? "content-type",
    "access-control-max-age": "86400",
  });
  res.end();
}

export async function token(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, segment: string): Promise<void> {
  const origin = header(req, "origin");
  const cors = corsHeaders(origin);
  try {
    if (req.method !== "POST") {
      throw new EntraError(400, "invalid_request", 900561, `The endpoint only accepts POST, OPTIONS requests. Received a ${req.method ?? ""} request.`);
    }
    const { tenantId } = resolveTenantSegment(ctx, segment);
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (e) {
      if (e instanceof BodyTooLargeError) throw new EntraError(400, "invalid_request", 90014, "The request body is too large.");
      throw e;
    }
    const form = parseForm(body);
    const grantType = form.get("grant_type");
    if (!grantType) throw new EntraError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.");
    const grant = GRANTS[grantType] ?? "unsupported";
    ctx.counters.countToken(grant, (presentedClientId(req, form) ?? "unknown").toLowerCase(), tenantId ?? segment.toLowerCase());
    const presented = ctx.store.appByClientId(presentedClientId(req, form) ?? "");
    const wrongAudience = presented && audienceError(ctx, presented, tenantId);
    if (wrongAudience) throw wrongAudience;
    const tr: TokenRequest = { ctx, req, form, tenantId, origin };
    let result: TokenResponseBody | Record<string, unknown>;
    switch (grant) {
      case "authorization_code":
        result = authorizationCode(tr);
        break;
      case "refresh_token":
        result = refreshToken(tr);
        break;
      case "password":
        result = password(tr);
        break;
      case "device_code":
        result = deviceCodeGrant(tr);
        break;
      case "client_credentials":
        result = clientCredentials(tr);
        break;
      case "on_behalf_of":
        result = onBehalfOf(tr);
        break;
      default:
        throw new EntraError(400, "unsupported_grant_type", 70003, `The app requested an unsupported grant type '${grantType}'.`);
    }
    sendJson(res, 200, result, { ...cors, pragma: "no-cache" });
  } catch (e) {
    if (e instanceof EntraError) return sendEntraError(ctx, req, res, e, cors);
    throw e;
  }
}

function required(form: Map<string, string>, name: string): string {
  const v = form.get(name);
  if (!v) throw new EntraError(400, "invalid_request", 900144, `The request body must contain the following parameter: '${name}'.`);
  return v;
}

function userOrFail(ctx: EmulatorContext, oid: string): NonNullable<ReturnType<EmulatorContext["store"]["userById"]>> {
  const user = ctx.store.userById(oid);
  if (!user) throw new EntraError(400, "invalid_grant", 50034, "The user account does not exist in the directory. To sign into this application, the account must be added to the directory.");
  return user;
}

// ---------- authorization_code ----------

function authorizationCode({ ctx, req, form, origin }: TokenRequest): TokenResponseBody {
  const { client, azpacr } = authenticateClient(ctx, req, form, undefined);
  const code = required(form, "code");
  const grant = ctx.grants.codes.get(code);
  if (!grant) throw new EntraError(400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid. The provided authorization code is not valid.");
  if (grant.redeemed) {
    throw new EntraError(400, "invalid_grant", 54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.");
  }
  if (grant.expiresAt < nowSeconds()) {
    throw new EntraError(400, "invalid_grant", 70008, "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.");
  }
  if (grant.clientId !== client.clientId) {
    throw new EntraError(400, "invalid_grant", 70000, "The provided value for the 'code' parameter is not valid. The code was issued to a different client.");
  }
  const redirectUri = form.get("redirect_uri");
  if (redirectUri !== grant.redirectUri) {
    throw new EntraError(
      400,
      "invalid_grant",
      50011,
      `The redirect URI '${redirectUri ?? ""}' specified in the request does not match the redirect URI used to obtain the authorization code for the application '${client.clientId}'.`,
    );
  }
  if (grant.platform === "spa" && !origin) {
    throw new EntraError(400, "invalid_request", 9002327, "Tokens issued for the 'Single-Page Application' client-type may only be redeemed via cross-origin requests.");
  }
  if (grant.platform !== "spa" && origin) {
    throw new EntraError(400, "invalid_request", 9002326, `Cross-origin token redemption is permitted only for the 'Single-Page Application' client-type. Request origin: '${origin}'.`);
  }
  if (grant.codeChallenge) {
    const verifier = form.get("code_verifier") ?? "";
    const computed = createHash("sha256").update(verifier).digest("base64url");
    if (!verifier || computed !== grant.codeChallenge) {
      throw new EntraError(400, "invalid_grant", 501481, "The Code_Verifier does not match the code_challenge supplied in the authorization request.");
    }
  }
  grant.redeemed = true;
  const user = userOrFail(ctx, grant.userOid);
  const claimsRequest = accessTokenClaimsRequest(form.get("claims"));
  refuseUnsatisfiedAuthContexts(ctx, user, grant.scopes.resource ?? ctx.store.graph, claimsRequest, grant.amr);
  return userTokenResponse(ctx, {
    user,
    client,
    resolved: grant.scopes,
    auth: grant,
    azpacr,
    nonce: grant.nonce,
    spa: grant.platform === "spa",
    claimsRequest,
  });
}

// ---------- refresh_token ----------

function refreshToken({ ctx, req, form, origin, tenantId }: TokenRequest): TokenResponseBody {
  const { client, azpacr } = authenticateClient(ctx, req, form, undefined);
  const rt = required(form, "refresh_token");
  const grant = ctx.grants.refreshTokens.get(rt);
  if (!grant || grant.clientId !== client.clientId) {
    throw new EntraError(400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid. The refresh token is not valid for this client.");
  }
  const now = nowSeconds();
  const spaLifetime = ctx.settings.spaRefreshTokenLifetimeSeconds;
  if (grant.spa && grant.spaChainStartedAt !== undefined && now >= grant.spaChainStartedAt + spaLifetime) {
    // Entra's wording (AADSTS700084), with the lifetime as a .NET TimeSpan (1.00:00:00 = 24 h).
    throw new EntraError(
      400,
      "invalid_grant",
      700084,
      `The refresh token was issued to a single page app (SPA), and therefore has a fixed, limited lifetime of ${timeSpan(spaLifetime)}, which cannot be extended. It is now expired and a new sign in request must be sent by the SPA to the sign in page. The token was issued on ${new Date(grant.spaChainStartedAt * 1000).toISOString()}.`,
    );
  }
  if (grant.expiresAt < now) {
    throw new EntraError(400, "invalid_grant", 700082, "The refresh token has expired due to inactivity. The token was issued and was inactive for too long.");
  }
  const revoked = revokedGrantError(ctx, grant.userOid, grant.issuedAt);
  if (revoked) throw revoked;
  if (grant.spa && !origin) {
    throw new EntraError(400, "invalid_request", 9002327, "Tokens issued for the 'Single-Page Application' client-type may only be redeemed via cross-origin requests.");
  }
  const resolved = resolveScopes(ctx.store, required(form, "scope"));
  const unlisted = unlistedResourceError(ctx, client, resolved);
  if (unlisted) throw unlisted;
  let user = userOrFail(ctx, grant.userOid);
  // organizations/common is the user's HOME tenant: a guest's refresh token redeemed there gets
  // the home account's token; only the inviting tenant's authority gets the guest's.
  if (!tenantId && user.guestOf) user = ctx.store.homeUser(user);
  else if (tenantId && user.tenantId !== tenantId) user = ctx.store.userInTenant(ctx.store.homeUser(user), tenantId) ?? notInTenant(ctx, user, client, tenantId);
  const resource = resolved.resource ?? ctx.store.graph;
  if (grantedScopes(ctx, client, user, resolved).missing.length) throw consentRequiredError(client);
  if (mfaRequiredFor(ctx, user, resource) && !grant.amr.includes("mfa")) throw mfaError(ctx, resource);
  const claimsRequest = accessTokenClaimsRequest(form.get("claims"));
  refuseUnsatisfiedAuthContexts(ctx, user, resource, claimsRequest, grant.amr);
  return userTokenResponse(ctx, {
    user,
    client,
    resolved,
    // Authentication contexts are never inherited: a refreshed token carries them only when asked
    // again or when the resource opted in to the acrs optional claim (mfa.ts, acrsForToken).
    auth: { ...grant, tenantId: user.tenantId, userOid: user.id, acrs: undefined },
    azpacr,
    spa: grant.spa,
    spaChainStartedAt: grant.spaChainStartedAt,
    claimsRequest,
  });
}

// ---------- password (ROPC) ----------

function password({ ctx, req, form, tenantId }: TokenRequest): TokenResponseBody {
  const { client, azpacr } = authenticateClient(ctx, req, form, tenantId);
  if (client.redirects.some((r) => r.platform === "spa")) {
    throw new EntraError(400, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
  }
  const username = required(form, "username");
  const pwd = required(form, "password");
  const resolved = resolveScopes(ctx.store, required(form, "scope"));
  const unlisted = unlistedResourceError(ctx, client, resolved);
  if (unlisted) throw unlisted;
  const account = ctx.store.accountByName(username);
  // A guest signs in with the home account, at the inviting tenant's authority.
  const user = account ? ctx.store.userInTenant(account, tenantId) : undefined;
  const tenant = ctx.store.tenantById(tenantId ?? ctx.store.primaryTenant.id);
  if (!user) {
    throw new EntraError(
      400,
      "invalid_grant",
      50034,
      `The user account {EUII Hidden} does not exist in the ${tenant?.displayName ?? "tenant"} directory. To sign into this application, the account must be added to the directory.`,
    );
  }
  if (pwd !== ctx.store.homeUser(user).password) throw new EntraError(400, "invalid_grant", 50126, "Error validating credentials due to invalid username or password.");
  const resource = resolved.resource ?? ctx.store.graph;
  // ROPC cannot do MFA at all: an MFA user is always refused, whatever the resource.
  if (user.requiresMfa) throw mfaError(ctx, resource, false);
  const claimsRequest = accessTokenClaimsRequest(form.get("claims"));
  const auth: AuthContext = { userOid: user.id, tenantId: user.tenantId, amr: ["pwd"], authTime: nowSeconds(), sid: newSid() };
  refuseUnsatisfiedAuthContexts(ctx, user, resource, claimsRequest, auth.amr);
  return userTokenResponse(ctx, { user, client, resolved, auth, azpacr, spa: false, claimsRequest });
}

// ---------- device_code ----------

function deviceCodeGrant({ ctx, req, form, tenantId }: TokenRequest): TokenResponseBody {
  const { client, azpacr } = authenticateClient(ctx, req, form, tenantId);
  const code = form.get("device_code") ?? form.get("code");
  if (!code) throw new EntraError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'device_code'.");
  const grant = ctx.grants.deviceCodes.get(code);
  if (!grant || grant.clientId !== client.clientId) {
    throw new EntraError(400, "bad_verification_code", 70000, "The provided value for the input parameter 'device_code' is not valid.");
  }
  if (grant.status === "redeemed") {
    throw new EntraError(400, "invalid_grant", 70000, "The provided value for the input parameter 'device_code' is not valid. The device code has already been redeemed.");
  }
  if (grant.expiresAt < nowSeconds()) {
    throw new EntraError(400, "expired_token", 70020, "The provided value for the input parameter 'device_code' is not valid. This device code has expired.");
  }
  if (grant.status === "declined") {
    throw new EntraError(400, "authorization_declined", 70000, "The user has declined the authorization request.");
  }
  if (grant.status === "pending" || !grant.auth) {
    throw new EntraError(400, "authorization_pending", 70016, "OAuth 2.0 device flow error. Authorization is pending. Continue polling.");
  }
  grant.status = "redeemed";
  const user = userOrFail(ctx, grant.auth.userOid);
  return userTokenResponse(ctx, { user, client, resolved: grant.scopes, auth: grant.auth, azpacr, spa: false });
}

// ---------- client_credentials ----------

function clientCredentials({ ctx, req, form, tenantId }: TokenRequest): Record<string, unknown> {
  const authd: AuthenticatedClient = authenticateClient(ctx, req, form, tenantId);
  const { client, azpacr } = authd;
  if (client.publicClient) {
    throw new EntraError(401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
  }
  const raw = required(form, "scope");
  const resolved = resolveScopes(ctx.store, raw);
  if (!resolved.isDefault || resolved.names.length > 0 || !resolved.resource) {
    throw new EntraError(
      400,
      "invalid_scope",
      1002012,
      `The provided value for scope ${raw} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    );
  }
  const roles = ctx.store.appRoles(client.clientId, resolved.resource.appId);
  const at = mintAppAccessToken(ctx, {
    client,
    tenantId: tenantId ?? client.homeTenantId,
    resource: resolved.resource,
    roles,
    azpacr,
  });
  return { token_type: "Bearer", expires_in: at.expiresIn, ext_expires_in: at.expiresIn, access_token: at.token };
}

// ---------- on_behalf_of ----------

function onBehalfOf({ ctx, req, form, tenantId }: TokenRequest): TokenResponseBody {
  const { client, azpacr } = authenticateClient(ctx, req, form, tenantId);
  if (client.publicClient) {
    throw new EntraError(401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
  }
  if (form.get("requested_token_use") !== "on_behalf_of") {
    throw new EntraError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'requested_token_use' with the value 'on_behalf_of'.");
  }
  const assertion = required(form, "assertion");
  const verified = ctx.keys.verify(assertion);
  if (!verified) {
    throw new EntraError(400, "invalid_grant", 50013, "Assertion failed signature validation. [Reason - The key was not found or the signature does not match a published key.]");
  }
  const p: JwtPayload = verified.payload;
  const iss = stringClaim(p, "iss") ?? "";
  if (!knownIssuers(ctx).has(iss)) throw new EntraError(400, "invalid_grant", 50013, `Assertion issuer '${iss}' is not valid.`);
  const aud = stringClaim(p, "aud") ?? "";
  if (aud.toLowerCase() !== client.clientId && aud.toLowerCase() !== `api://${client.clientId}`) {
    throw new EntraError(
      400,
      "invalid_grant",
      50013,
      `Assertion audience does not match the Client app presenting the assertion. The audience in the assertion was '${aud}' and the expected audience is '${client.clientId}' or one of the Application Uris of this client.`,
    );
  }
  const now = nowSeconds();
  const exp = numberClaim(p, "exp") ?? 0;
  const nbf = numberClaim(p, "nbf");
  if (exp <= now || (nbf !== undefined && nbf - 300 > now)) {
    throw new EntraError(
      400,
      "invalid_grant",
      500133,
      `Assertion is not within its valid time range. Ensure that the access token is not expired before using it for user assertion, or request a new token. Current time: ${new Date(now * 1000).toISOString()}, expiry time of assertion ${new Date(exp * 1000).toISOString()}.`,
    );
  }
  const oid = stringClaim(p, "oid");
  if (!oid || stringClaim(p, "idtyp") === "app" || p["scp"] === undefined) {
    throw new EntraError(400, "invalid_grant", 50013, "Assertion is not a delegated user token; the on-behalf-of flow needs an access token issued to a user.");
  }
  const user = userOrFail(ctx, oid);
  // An assertion from before the user's sessions were revoked cannot be exchanged (TokensValidFrom).
  const revoked = revokedGrantError(ctx, user.id, numberClaim(p, "iat") ?? 0);
  if (revoked) throw revoked;
  if (tenantId && user.tenantId !== tenantId) {
    throw new EntraError(400, "invalid_grant", 50020, `User account '${user.userPrincipalName}' from identity provider does not exist in tenant and cannot access the application '${client.clientId}' in that tenant.`);
  }
  // The user signed in already (the assertion): an OBO needs consent for the resource's scopes only,
  // not for the OIDC scopes MSAL adds; those the API was not granted are simply not issued.
  const requested = resolveScopes(ctx.store, required(form, "scope"));
  const unlisted = unlistedResourceError(ctx, client, requested);
  if (unlisted) throw unlisted;
  const consented = ctx.store.consentedKeys(client.clientId, user.id);
  const resolved = { ...requested, oidc: requested.oidc.filter((o) => consented.has(o)) };
  const granted = grantedScopes(ctx, client, user, resolved);
  if (granted.missing.length) throw consentRequiredError(client);
  const amr = Array.isArray(p["amr"]) ? p["amr"].filter((v): v is string => typeof v === "string") : ["pwd"];
  const flagged = ctx.mfaRequired.has(user.id);
  if ((flagged || mfaRequiredFor(ctx, user, granted.resource)) && !amr.includes("mfa")) throw mfaError(ctx, granted.resource);
  if (flagged) ctx.mfaRequired.delete(user.id);
  // A downstream API's claims challenge (acrs) passed on by the middle tier: the user's sign-in
  // behind the assertion must satisfy it, or only the user can (interaction_required + claims).
  const claimsRequest = accessTokenClaimsRequest(form.get("claims"));
  refuseUnsatisfiedAuthContexts(ctx, user, granted.resource, claimsRequest, amr);
  const auth: AuthContext = {
    userOid: user.id,
    tenantId: user.tenantId,
    amr,
    authTime: numberClaim(p, "iat") ?? now,
    sid: stringClaim(p, "sid") ?? newSid(),
  };
  return userTokenResponse(ctx, { user, client, resolved, auth, azpacr, spa: false, claimsRequest });
}

function notInTenant(ctx: EmulatorContext, user: User, client: { clientId: string }, tenantId: string): never {
  throw new EntraError(400, "invalid_grant", 50020, `User account '${ctx.store.homeUser(user).userPrincipalName}' from identity provider does not exist in tenant '${ctx.store.tenantById(tenantId)?.displayName ?? tenantId}' and cannot access the application '${client.clientId}' in that tenant.`);
}

/**
 * A token request whose claims ask for more than the sign-in behind it proved: authentication
 * contexts (acrs) whose policy needs MFA, or a step-up outright (capolids, acr, amr), without MFA.
 * Only the user can satisfy it: interaction_required, the claims echoed for the interactive request.
 */
function refuseUnsatisfiedAuthContexts(ctx: EmulatorContext, user: User, resource: ResourceDefinition, request: AccessTokenClaimsRequest, amr: readonly string[]): void {
  if (!request.raw || amr.includes("mfa")) return;
  if (authContextsNeedMfa(ctx, user.tenantId, request.acrs, amr) || parseClaimsParameter(request.raw).stepUp) throw authContextError(resource, request.raw);
}

/** Seconds as a .NET TimeSpan string, the way Entra words lifetimes: 86400 → "1.00:00:00". */
function timeSpan(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${Math.floor(s / 86400)}.${pad(Math.floor((s % 86400) / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}
