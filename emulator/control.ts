// Test control API under /_control (Bearer <control secret>, JSON in/out):
// reset, MFA flags, consent, tenant settings, registrations, key rotation,
// faults, minted tokens, synthetic users, counters and lifetimes. Never part of what an app talks to.
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { revokeSession } from "./cae";
import type { EmulatorContext } from "./context";
import { EntraError } from "./errors";
import { FAULT_MODES, FAULT_TARGETS, type Fault, type FaultMode, type FaultTarget } from "./faults";
import { NEXT_LINK_TARGETS, type NextLinkTarget, type PlantedNextLink } from "./next-links";
import { BodyTooLargeError, header, parseJsonObject, readBody, sendJson } from "./http";
import { resolveScopes } from "./scopes";
import { acrsForToken } from "./mfa";
import { JWT_GROUPS_LIMIT, OIDC_SCOPES } from "./tenant-store";
import { ID_TOKEN_OPTIONAL_CLAIMS, mintAppAccessToken, mintUserAccessToken, newSid } from "./tokens";
import type { AppRegistration, ResourceDefinition, SessionRevocation } from "./types";

class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Json = Record<string, unknown>;

function authorized(ctx: EmulatorContext, req: IncomingMessage): boolean {
  const auth = header(req, "authorization") ?? "";
  const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
  if (!m || !m[1]) return false;
  const a = createHash("sha256").update(m[1]).digest();
  const b = createHash("sha256").update(ctx.controlSecret).digest();
  return timingSafeEqual(a, b);
}

function str(body: Json, key: string, required = false): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) {
    if (required) throw new ControlError(400, `'${key}' is required`);
    return undefined;
  }
  if (typeof v !== "string" || !v.trim()) throw new ControlError(400, `'${key}' must be a non-empty string`);
  return v.trim();
}

function int(body: Json, key: string, min: number, max: number): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new ControlError(400, `'${key}' must be an integer between ${min} and ${max}`);
  }
  return v;
}

function strings(body: Json, key: string): string[] | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((s): s is string => typeof s === "string" && s.trim() !== "")) {
    throw new ControlError(400, `'${key}' must be an array of strings`);
  }
  return v.map((s) => s.trim());
}

function userOrFail(ctx: EmulatorContext, username: string) {
  const user = ctx.store.userByName(username);
  if (!user) throw new ControlError(404, `unknown user '${username}' (load users exist once POST /_control/users created them)`);
  return user;
}

function tenantOrFail(ctx: EmulatorContext, idOrDomain: string): string {
  const tenant = ctx.store.tenantById(idOrDomain);
  if (!tenant) throw new ControlError(404, `unknown tenant '${idOrDomain}'`);
  return tenant.id;
}

/** Changes the registration properties consent and sign-in depend on (reset restores the seed). */
function patchRegistration(ctx: EmulatorContext, body: Json): Json {
  const client = clientOrFail(ctx, str(body, "clientId", true) ?? "");
  const audience = str(body, "signInAudience");
  if (audience !== undefined && audience !== "AzureADMyOrg" && audience !== "AzureADMultipleOrgs") {
    throw new ControlError(400, "'signInAudience' must be AzureADMyOrg or AzureADMultipleOrgs");
  }
  const known = body["knownClientApplications"] === undefined ? undefined : (strings(body, "knownClientApplications") ?? []);
  const pre = body["preAuthorizedApplications"];
  let preAuthorized: { appId: string; scopes: string[] }[] | undefined;
  if (pre !== undefined) {
    const ok = Array.isArray(pre) && pre.every((p) => typeof p === "object" && p !== null && typeof (p as Json).appId === "string" && Array.isArray((p as Json).scopes) && ((p as Json).scopes as unknown[]).every((x) => typeof x === "string"));
    if (!ok) throw new ControlError(400, "'preAuthorizedApplications' must be an array of { appId, scopes: string[] }");
    preAuthorized = pre as { appId: string; scopes: string[] }[];
  }
  const required = body["requiredResourceAccess"] === undefined ? undefined : (strings(body, "requiredResourceAccess") ?? []);
  for (const scope of required ?? []) {
    const slash = scope.lastIndexOf("/");
    if (OIDC_SCOPES.includes(scope.toLowerCase() as (typeof OIDC_SCOPES)[number])) continue;
    if (slash <= 0 || !ctx.store.resourceByIdentifier(scope.slice(0, slash))) {
      throw new ControlError(400, `'requiredResourceAccess' entries are full scope names of a known resource, e.g. https://graph.microsoft.com/User.Read (got '${scope}')`);
    }
  }
  const idTokenClaims = body["idTokenOptionalClaims"] === undefined ? undefined : (strings(body, "idTokenOptionalClaims") ?? []);
  for (const claim of idTokenClaims ?? []) {
    if (!ID_TOKEN_OPTIONAL_CLAIMS.includes(claim)) throw new ControlError(400, `'idTokenOptionalClaims' may hold ${ID_TOKEN_OPTIONAL_CLAIMS.join(", ")} (got '${claim}')`);
  }
  const app = ctx.store.patchRegistration(client.clientId, {
    knownClientApplications: known,
    preAuthorizedApplications: preAuthorized,
    signInAudience: audience as "AzureADMyOrg" | "AzureADMultipleOrgs" | undefined,
    requiredResourceAccess: required,
    idTokenOptionalClaims: idTokenClaims,
  });
  return {
    clientId: client.clientId,
    signInAudience: app?.signInAudience,
    knownClientApplications: app?.knownClientApplications,
    preAuthorizedApplications: app?.preAuthorizedApplications,
    requiredResourceAccess: app?.requiredResourceAccess,
    idTokenOptionalClaims: app?.idTokenOptionalClaims,
  };
}

function clientOrFail(ctx: EmulatorContext, clientId: string): AppRegistration {
  const client = ctx.store.appByClientId(clientId);
  if (!client) throw new ControlError(404, `unknown clientId '${clientId}'`);
  return client;
}

export async function control(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, subPath: string): Promise<void> {
  try {
    if (!authorized(ctx, req)) throw new ControlError(401, "missing or wrong control secret (Authorization: Bearer <control.secret from tenant.json>)");
    let body: Json = {};
    if (req.method === "POST") {
      let raw: Buffer;
      try {
        raw = await readBody(req, 2 * 1024 * 1024);
      } catch (e) {
        if (e instanceof BodyTooLargeError) throw new ControlError(413, "request body too large");
        throw e;
      }
      const parsed = parseJsonObject(raw);
      if (!parsed) throw new ControlError(400, "body must be a JSON object");
      body = parsed;
    }
    const route = `${req.method ?? "GET"} ${subPath.replace(/\/+$/, "")}`;
    const result = await dispatch(ctx, route, body, req);
    sendJson(res, 200, result);
  } catch (e) {
    if (e instanceof ControlError) return sendJson(res, e.status, { error: e.status === 401 ? "unauthorized" : "invalid_request", message: e.message });
    if (e instanceof EntraError) return sendJson(res, 400, { error: e.error, message: `AADSTS${e.code}: ${e.description}` });
    throw e;
  }
}

async function dispatch(ctx: EmulatorContext, route: string, body: Json, req: IncomingMessage): Promise<unknown> {
  switch (route) {
    case "GET /health":
      return { status: "ok" };
    case "POST /reset":
      ctx.counters.reset();
      ctx.faults.clear();
      ctx.nextLinks.clear();
      ctx.store.reset();
      ctx.mfaRequired.clear();
      ctx.keys.reset();
      Object.assign(ctx.settings, ctx.defaultSettings);
      // Sessions and issued tokens survive by default so a running browser stays signed in.
      if (body["sessions"] === true) for (const grants of ctx.allGrants) grants.reset();
      return { reset: true, currentKid: ctx.keys.currentKid };
    case "POST /mfa": {
      const user = userOrFail(ctx, str(body, "username", true) ?? "");
      if (body["required"] === false) ctx.mfaRequired.delete(user.id);
      else ctx.mfaRequired.add(user.id);
      return { username: user.userPrincipalName, oid: user.id, mfaRequired: ctx.mfaRequired.has(user.id) };
    }
    case "POST /consent/revoke":
    case "POST /consent/grant": {
      const client = clientOrFail(ctx, str(body, "clientId", true) ?? "");
      const username = str(body, "username");
      const user = username ? userOrFail(ctx, username) : undefined;
      const scopes = strings(body, "scopes");
      // Grants live in one tenant: the user's, else `tenantId`, else the client's home tenant.
      const tenantId = user?.tenantId ?? tenantOrFail(ctx, str(body, "tenantId") ?? client.homeTenantId);
      if (route.endsWith("revoke")) ctx.store.revokeConsent(client.clientId, scopes, user?.id, tenantId);
      else ctx.store.grantConsent(client.clientId, scopes ?? ctx.store.seedConsentScopes(client.clientId), user?.id, tenantId);
      const probe = user ?? ctx.store.allUsers(tenantId)[0];
      return { clientId: client.clientId, tenantId, username: user?.userPrincipalName ?? null, consented: probe ? [...ctx.store.consentedKeys(client.clientId, probe.id)] : [] };
    }
    case "POST /tenants/settings": {
      const tenantId = tenantOrFail(ctx, str(body, "tenantId") ?? ctx.store.primaryTenant.id);
      const allowed = body["usersMayConsent"];
      if (allowed !== undefined && typeof allowed !== "boolean") throw new ControlError(400, "'usersMayConsent' must be true or false");
      if (allowed !== undefined) ctx.store.setUsersMayConsent(tenantId, allowed);
      return { tenantId, usersMayConsent: ctx.store.usersMayConsent(tenantId) };
    }
    case "POST /apps/registration":
      return patchRegistration(ctx, body);
    case "POST /keys/rotate": {
      const key = await ctx.keys.rotate(body["dropPrevious"] === true);
      return { kid: key.kid, publishedKids: ctx.keys.publishedKids };
    }
    case "GET /keys":
      return { currentKid: ctx.keys.currentKid, publishedKids: ctx.keys.publishedKids };
    case "GET /faults":
      return { faults: ctx.faults.list() };
    case "POST /faults":
      return { fault: body["mode"] === "session_revoked" ? await setSessionRevoked(ctx, body) : setFault(ctx, body) };
    case "DELETE /faults": {
      const target = new URL(req.url ?? "/", ctx.baseUrl).searchParams.get("target");
      if (target && !(FAULT_TARGETS as readonly string[]).includes(target)) throw new ControlError(400, `unknown target '${target}'`);
      ctx.faults.clear((target as FaultTarget | null) ?? undefined);
      return { faults: ctx.faults.list() };
    }
    case "GET /next-link":
      return { nextLinks: ctx.nextLinks.list() };
    case "POST /next-link":
      return { nextLink: plantNextLink(ctx, body) };
    case "DELETE /next-link": {
      const target = new URL(req.url ?? "/", ctx.baseUrl).searchParams.get("target");
      if (target && !(NEXT_LINK_TARGETS as readonly string[]).includes(target)) throw new ControlError(400, `unknown target '${target}'`);
      ctx.nextLinks.clear((target as NextLinkTarget | null) ?? undefined);
      return { nextLinks: ctx.nextLinks.list() };
    }
    case "POST /tokens": {
      // Load tests mint thousands: a batch saves one HTTPS round trip per token.
      const batch = body["batch"];
      if (batch === undefined) return mintForTest(ctx, body);
      if (!Array.isArray(batch) || batch.length > 5000 || !batch.every((b) => typeof b === "object" && b !== null && !Array.isArray(b))) {
        throw new ControlError(400, "'batch' must be an array of at most 5000 token requests");
      }
      return { tokens: (batch as Json[]).map((b) => mintForTest(ctx, b)) };
    }
    case "POST /users":
      return createUsers(ctx, body);
    case "GET /counters":
      return ctx.counters.snapshot();
    case "DELETE /counters":
      ctx.counters.reset();
      return ctx.counters.snapshot();
    case "POST /token-lifetime": {
      const seconds = int(body, "seconds", 1, 7 * 24 * 3600);
      if (seconds === undefined) throw new ControlError(400, "'seconds' is required");
      ctx.settings.tokenLifetimeSeconds = seconds;
      return { ...ctx.settings };
    }
    case "POST /settings": {
      const lifetime = int(body, "tokenLifetimeSeconds", 1, 7 * 24 * 3600);
      const interval = int(body, "deviceCodeIntervalSeconds", 0, 60);
      const deviceLifetime = int(body, "deviceCodeLifetimeSeconds", 1, 3600);
      // 0 = already expired: a test's way to say "a day has passed". Entra's SPA refresh tokens
      // cannot outlive 24 h, so neither can the emulator's.
      const spaRefresh = int(body, "spaRefreshTokenLifetimeSeconds", 0, 24 * 3600);
      const sessionLifetime = int(body, "sessionLifetimeSeconds", 0, 90 * 24 * 3600);
      if (spaRefresh !== undefined) ctx.settings.spaRefreshTokenLifetimeSeconds = spaRefresh;
      if (sessionLifetime !== undefined) ctx.settings.sessionLifetimeSeconds = sessionLifetime;
      if (deviceLifetime !== undefined) ctx.settings.deviceCodeLifetimeSeconds = deviceLifetime;
      if (lifetime !== undefined) ctx.settings.tokenLifetimeSeconds = lifetime;
      if (interval !== undefined) ctx.settings.deviceCodeIntervalSeconds = interval;
      return { ...ctx.settings };
    }
    case "GET /settings":
      return { ...ctx.settings };
    default:
      throw new ControlError(404, `no control endpoint '${route}'`);
  }
}

function setFault(ctx: EmulatorContext, body: Json): Fault {
  const target = str(body, "target", true) ?? "";
  const mode = str(body, "mode", true) ?? "";
  if (!(FAULT_TARGETS as readonly string[]).includes(target)) throw new ControlError(400, `'target' must be one of ${FAULT_TARGETS.join(", ")}`);
  if (!(FAULT_MODES as readonly string[]).includes(mode)) throw new ControlError(400, `'mode' must be one of ${FAULT_MODES.join(", ")}`);
  const fault: Fault = {
    target: target as FaultTarget,
    mode: mode as FaultMode,
    status: int(body, "status", 400, 599),
    retryAfter: int(body, "retryAfter", 0, 3600),
    delayMs: int(body, "delayMs", 0, 120_000),
    remaining: int(body, "count", 1, 1_000_000),
  };
  ctx.faults.set(fault);
  return fault;
}

function plantNextLink(ctx: EmulatorContext, body: Json): PlantedNextLink {
  const target = str(body, "target", true) ?? "";
  if (!(NEXT_LINK_TARGETS as readonly string[]).includes(target)) throw new ControlError(400, `'target' must be one of ${NEXT_LINK_TARGETS.join(", ")}`);
  // Verbatim, not trimmed: hostile spellings (" https://…", "\thttps://…") are the point.
  const nextLink = body["nextLink"];
  if (typeof nextLink !== "string" || nextLink.length > 20_000) throw new ControlError(400, "'nextLink' must be a string of at most 20000 characters");
  const planted: PlantedNextLink = { target: target as NextLinkTarget, nextLink, remaining: int(body, "count", 1, 1_000_000) };
  ctx.nextLinks.set(planted);
  return planted;
}

/**
 * `{ target: "graph"|"arm", mode: "session_revoked", username, signOut?: true }`: the user's
 * session is revoked now; `target` enforces it with its CAE challenge (cae.ts). With signOut
 * (default) the user's sign-in sessions, refresh tokens and older OBO assertions are revoked
 * too, so only signing in again helps; with `signOut: false` a fresh token carrying the
 * challenge's claims is enough. Returns once the revocation time has passed.
 */
async function setSessionRevoked(ctx: EmulatorContext, body: Json): Promise<SessionRevocation> {
  const target = str(body, "target", true) ?? "";
  if (target !== "graph" && target !== "arm") throw new ControlError(400, "'target' must be graph or arm for mode session_revoked");
  const user = userOrFail(ctx, str(body, "username", true) ?? "");
  const signOut = body["signOut"];
  if (signOut !== undefined && typeof signOut !== "boolean") throw new ControlError(400, "'signOut' must be a boolean");
  return revokeSession(ctx, target, user, signOut !== false);
}

/** Default client for a minted token: the SPA for our API, the API (as after OBO) for Graph/ARM. */
function defaultClient(ctx: EmulatorContext, resource: ResourceDefinition, appOnly: boolean): AppRegistration {
  const api = ctx.store.app("api");
  if (resource.appId === api.clientId) return appOnly ? ctx.store.app("web") : ctx.store.app("spa");
  return api;
}

function mintForTest(ctx: EmulatorContext, body: Json): Json {
  const scopes = strings(body, "scopes");
  if (!scopes || scopes.length === 0) throw new ControlError(400, "'scopes' is required, e.g. [\"api://<api client id>/access_as_user\"]");
  const resolved = resolveScopes(ctx.store, scopes.join(" "));
  const resource = resolved.resource ?? ctx.store.graph;
  const appOnly = body["appOnly"] === true;
  const clientId = str(body, "clientId");
  const client = clientId ? clientOrFail(ctx, clientId) : defaultClient(ctx, resource, appOnly);
  const expiresIn = int(body, "expiresIn", -10 * 365 * 24 * 3600, 365 * 24 * 3600);
  const claims = body["claims"];
  if (claims !== undefined && (typeof claims !== "object" || claims === null || Array.isArray(claims))) {
    throw new ControlError(400, "'claims' must be an object");
  }
  const extraClaims = claims as Json | undefined;
  if (appOnly) {
    const at = mintAppAccessToken(ctx, {
      client,
      tenantId: str(body, "tenantId") ?? client.homeTenantId,
      resource,
      roles: strings(body, "roles") ?? ctx.store.appRoles(client.clientId, resource.appId),
      azpacr: "1",
      lifetime: expiresIn,
      extraClaims,
    });
    return { access_token: at.token, expires_on: at.expiresOn, expires_in: at.expiresIn, token_type: "Bearer" };
  }
  const account = userOrFail(ctx, str(body, "username") ?? ctx.store.seed.users[0]?.userPrincipalName ?? "");
  // `tenantId` for a user token: the account's guest object in that tenant (B2B).
  const tenantId = str(body, "tenantId");
  const user = tenantId ? ctx.store.userInTenant(ctx.store.homeUser(account), tenantOrFail(ctx, tenantId)) : account;
  if (!user) throw new ControlError(404, `'${account.userPrincipalName}' is neither a member nor a guest of tenant '${tenantId ?? ""}'`);
  const scp = resolved.names.length ? resolved.names : resource.scopes.map((s) => s.value);
  // As Entra issues them: roles and groups from the directory (assignments, memberships, the
  // 200-group overage rule), `acrs` as asked plus what the resource gets opportunistically for
  // this sign-in's `amr`. `roles`, `groups`, `acrs`, `amr` override; `claims` wins over all.
  const amr = strings(body, "amr") ?? ["pwd"];
  const acrs = acrsForToken(ctx, user, resource.optionalClaims ?? [], amr, strings(body, "acrs")?.map((a) => a.toLowerCase()));
  const overrides: Json = {};
  const roles = strings(body, "roles");
  if (roles) overrides["roles"] = roles;
  const groups = strings(body, "groups");
  if (groups && groups.length > JWT_GROUPS_LIMIT) {
    overrides["_claim_names"] = { groups: "src1" };
    overrides["_claim_sources"] = { src1: { endpoint: `https://graph.windows.net/${user.tenantId}/users/${user.id}/getMemberObjects` } };
  } else if (groups) {
    // an explicit list replaces whatever the directory would have put (JSON drops the undefined)
    Object.assign(overrides, { groups, _claim_names: undefined, _claim_sources: undefined });
  }
  const at = mintUserAccessToken(ctx, {
    user,
    client,
    resource,
    scp,
    auth: { amr, acrs, sid: newSid(), authTime: Math.floor(Date.now() / 1000) },
    azpacr: client.publicClient ? "0" : "1",
    lifetime: expiresIn,
    extraClaims: { ...overrides, ...extraClaims },
  });
  return { access_token: at.token, expires_on: at.expiresOn, expires_in: at.expiresIn, token_type: "Bearer", oid: user.id, tid: user.tenantId };
}

/** `{ count, first?, domain? }`: load users loaduser<first>…loaduser<first+count-1> (first defaults to 1; numbers of up to seven digits). */
function createUsers(ctx: EmulatorContext, body: Json): Json {
  const count = int(body, "count", 1, 10_000);
  if (count === undefined) throw new ControlError(400, "'count' is required");
  const first = int(body, "first", 1, 9_999_999) ?? 1;
  if (first + count - 1 > 9_999_999) throw new ControlError(400, "'first' + 'count' - 1 must not exceed 9999999");
  const domain = str(body, "domain") ?? ctx.store.primaryTenant.domain;
  const tenant = ctx.store.tenants.find((t) => t.domain === domain.toLowerCase());
  if (!tenant) throw new ControlError(400, `unknown tenant domain '${domain}'`);
  const users = [];
  for (let i = first; i < first + count; i++) {
    const u = ctx.store.createSyntheticUser(i, tenant);
    users.push({ username: u.userPrincipalName, oid: u.id, tenantId: u.tenantId });
  }
  return { users, password: ctx.store.seed.users[0]?.password ?? "" };
}
