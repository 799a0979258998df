// The slice of Microsoft Graph v1.0 the app uses: /me, /me/manager,
// /me/photo/$value, /me/checkMemberGroups, /me/transitiveMemberOf, /users (paging
// with $top/$skiptoken, $select) and /users/{id|upn}. Errors are Graph-shaped;
// every response carries request-id.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { revocationClaims, revokedTokenChallenge } from "../cae";
import type { EmulatorContext } from "../context";
import { GraphError, graphErrorBody } from "../errors";
import { BodyTooLargeError, delay, header, parseJsonObject, readBody, sendBytes, sendJson } from "../http";
import { AVATAR_SIZE, avatarPng } from "../photo";
import type { Group, User } from "../types";
import { checkBearer, hasAny, type Caller } from "./bearer";

const GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";
const ME_SCOPES = ["User.Read", "User.ReadWrite", "User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All", "Directory.Read.All"];
const USERS_SCOPES = ["User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All", "Directory.Read.All"];
const USERS_ROLES = ["User.Read.All", "User.ReadWrite.All", "Directory.Read.All"];
const DEFAULT_PROPS = [
  "businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
  "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id",
] as const;
const EXTRA_PROPS = ["department", "accountEnabled", "userType", "companyName"] as const;
// GET /me/manager (Graph "List manager"): least privileged User.Read.All, higher User.ReadWrite.All,
// Directory.Read.All, Directory.ReadWrite.All: the manager's full profile. User.ReadBasic.All may
// read other users' basic profiles (permissions reference). Anything else (User.Read alone) gets
// the relationship with "limited information": only @odata.type and id, every other property null
// (https://learn.microsoft.com/graph/permissions-overview#limited-information-returned-for-inaccessible-member-objects).
const MANAGER_FULL_SCOPES = ["User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"];
const MANAGER_BASIC_SCOPES = ["User.ReadBasic.All"];
/** What User.ReadBasic.All may read of another user; everything else comes back null. */
const BASIC_PROPS: readonly string[] = ["id", "displayName", "givenName", "surname", "mail", "userPrincipalName"];
const ALL_PROPS: readonly string[] = [...DEFAULT_PROPS, ...EXTRA_PROPS];
// POST /me/checkMemberGroups ("checkMemberGroups", group memberships for the signed-in user):
// User.Read is the least privileged delegated permission; beyond it, User.ReadBasic.All or
// User.Read.All with GroupMember.Read.All or Group.Read.All, or Directory.Read.All.
const CHECK_SELF_SCOPES = ["User.Read", "User.ReadWrite", "Directory.Read.All", "Directory.ReadWrite.All", "Directory.AccessAsUser.All"];
const GROUP_READ_SCOPES = ["GroupMember.Read.All", "Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"];
const USER_READ_ANY_SCOPES = ["User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All"];
/** Graph evaluates at most 20 group ids per checkMemberGroups request. */
const CHECK_MEMBER_GROUPS_MAX = 20;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function userProperties(ctx: EmulatorContext, u: User): Record<string, unknown> {
  const tenant = ctx.store.tenantById(u.tenantId);
  return {
    businessPhones: u.businessPhones,
    displayName: u.displayName,
    givenName: u.givenName,
    jobTitle: u.jobTitle,
    mail: u.mail,
    mobilePhone: u.mobilePhone,
    officeLocation: u.officeLocation,
    preferredLanguage: u.preferredLanguage,
    surname: u.surname,
    userPrincipalName: u.userPrincipalName,
    id: u.id,
    department: u.department,
    accountEnabled: true,
    userType: u.userType ?? "Member",
    companyName: tenant?.displayName.replace(/ \(emulated\)$/, "") ?? null,
  };
}

function parseSelect(url: URL): string[] | undefined {
  const raw = url.searchParams.get("$select");
  if (raw === null) return undefined;
  const props = raw.split(",").map((s) => s.trim()).filter(Boolean);
  for (const p of props) {
    const known = ALL_PROPS.find((k) => k.toLowerCase() === p.toLowerCase());
    if (!known) throw new GraphError(400, "BadRequest", `Could not find a property named '${p}' on type 'microsoft.graph.user'.`);
  }
  return props.map((p) => ALL_PROPS.find((k) => k.toLowerCase() === p.toLowerCase()) ?? p);
}

function shape(ctx: EmulatorContext, u: User, select: string[] | undefined): Record<string, unknown> {
  const all = userProperties(ctx, u);
  const keys = select ?? [...DEFAULT_PROPS];
  return Object.fromEntries(keys.map((k) => [k, all[k] ?? null]));
}

function contextUrl(base: string, select: string[] | undefined, entity: boolean): string {
  return `${base}/$metadata#users${select ? `(${select.join(",")})` : ""}${entity ? "/$entity" : ""}`;
}

export async function graph(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, url: URL, subPath: string): Promise<void> {
  ctx.counters.count("graph");
  const requestId = randomUUID();
  const clientRequestId = header(req, "client-request-id");
  const baseHeaders: Record<string, string> = {
    "request-id": requestId,
    "client-request-id": clientRequestId ?? requestId,
    "odata-version": "4.0",
    "access-control-allow-origin": header(req, "origin") ?? "*",
    "access-control-expose-headers": "request-id, client-request-id, retry-after, www-authenticate",
  };
  try {
    const fault = ctx.faults.take("graph");
    if (fault?.kind === "delay") await delay(fault.delayMs);
    else if (fault?.kind === "respond") {
      const retry: Record<string, string> = fault.retryAfter !== undefined ? { "retry-after": String(fault.retryAfter) } : {};
      if (fault.mode === "throttle") throw new GraphError(fault.status, "TooManyRequests", "Too many requests. Please retry after the time in the Retry-After header.", retry);
      if (fault.mode === "down") throw new GraphError(fault.status, "ServiceNotAvailable", "The service is temporarily unavailable. Please retry later.", retry);
      throw new GraphError(fault.status, "InternalServerError", "An internal server error occurred (injected fault).", retry);
    }
    const base = ctx.graphBaseUrl;
    const path = subPath.replace(/^\/v1\.0/, "");
    const segments = path.split("/").filter(Boolean).map(safeDecode);
    const [first, second, third] = segments;
    // The one action the app POSTs; everything else here is a read.
    const checkMemberGroups = first === "me" && second?.toLowerCase() === "checkmembergroups" && segments.length === 2;
    if (req.method !== (checkMemberGroups ? "POST" : "GET")) throw new GraphError(405, "BadRequest", "Specified HTTP method is not allowed for the request target.");
    if (subPath === "/oidc/userinfo") return userInfo(ctx, req, res, baseHeaders);
    if (!subPath.startsWith("/v1.0/")) throw new GraphError(400, "BadRequest", `Invalid version: ${subPath.split("/")[1] ?? ""}`);
    const caller = authenticate(ctx, req);

    if (first === "me") {
      if (caller.appOnly) throw new GraphError(400, "BadRequest", "/me request is only valid with delegated authentication flow.");
      requireScopes(caller, ME_SCOPES);
      const me = ctx.store.userById(caller.oid, caller.tenantId);
      if (!me) throw new GraphError(404, "Request_ResourceNotFound", `Resource '${caller.oid}' does not exist or one of its queried reference-property objects are not present.`);
      if (segments.length === 1) {
        const select = parseSelect(url);
        return sendJson(res, 200, { "@odata.context": contextUrl(base, select, true), ...shape(ctx, me, select) }, baseHeaders);
      }
      if (second === "manager" && segments.length === 2) {
        const full = hasAny(caller.scopes, MANAGER_FULL_SCOPES);
        const basic = hasAny(caller.scopes, MANAGER_BASIC_SCOPES);
        const manager = me.managerId ? ctx.store.userById(me.managerId, me.tenantId) : undefined;
        if (!manager) {
          throw new GraphError(404, "Request_ResourceNotFound", "Resource 'manager' does not exist or one of its queried reference-property objects are not present.");
        }
        const select = parseSelect(url);
        const shaped = shape(ctx, manager, select);
        const readable = full ? undefined : basic ? BASIC_PROPS : ["id"];
        if (readable) for (const k of Object.keys(shaped)) if (!readable.includes(k)) shaped[k] = null;
        if (!full && !basic) shaped["id"] = manager.id; // limited information: the id always
        return sendJson(
          res,
          200,
          { "@odata.context": `${base}/$metadata#directoryObjects/$entity`, "@odata.type": "#microsoft.graph.user", ...shaped },
          baseHeaders,
        );
      }
      if (checkMemberGroups) {
        if (!hasAny(caller.scopes, CHECK_SELF_SCOPES) && !(hasAny(caller.scopes, USER_READ_ANY_SCOPES) && hasAny(caller.scopes, GROUP_READ_SCOPES))) {
          throw new GraphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
        }
        return await checkMemberGroupsOf(ctx, req, res, me, base, baseHeaders);
      }
      if (second === "transitiveMemberOf" && segments.length === 2) {
        requireScopes(caller, ME_SCOPES);
        return listTransitiveMemberOf(ctx, res, url, caller, me, base, baseHeaders);
      }
      if (second === "photo") {
        if (!me.hasPhoto) {
          throw new GraphError(404, "ImageNotFound", "Exception of type 'Microsoft.Fast.Profile.Core.Exception.ImageNotFoundException' was thrown.");
        }
        if (third === "$value" && segments.length === 3) {
          return sendBytes(res, 200, avatarPng(me.id), "image/png", { ...baseHeaders, "cache-control": "private, max-age=300" });
        }
        if (segments.length === 2) {
          return sendJson(
            res,
            200,
            {
              "@odata.context": `${base}/$metadata#users('${me.id}')/photo/$entity`,
              "@odata.mediaContentType": "image/png",
              id: `${AVATAR_SIZE}X${AVATAR_SIZE}`,
              height: AVATAR_SIZE,
              width: AVATAR_SIZE,
            },
            baseHeaders,
          );
        }
      }
      throw notFoundSegment(segments[1] ?? "");
    }

    if (first === "users") {
      if (caller.appOnly) requireRoles(caller, USERS_ROLES);
      else requireScopes(caller, USERS_SCOPES);
      if (segments.length === 1) return listUsers(ctx, res, url, caller, base, baseHeaders);
      if (segments.length === 2 && second) {
        const key = second.toLowerCase();
        const user = ctx.store.allUsers(caller.tenantId).find((u) => u.id === key || u.userPrincipalName.toLowerCase() === key);
        if (!user) throw new GraphError(404, "Request_ResourceNotFound", `Resource '${second}' does not exist or one of its queried reference-property objects are not present.`);
        const select = parseSelect(url);
        return sendJson(res, 200, { "@odata.context": contextUrl(base, select, true), ...shape(ctx, user, select) }, baseHeaders);
      }
      throw notFoundSegment(segments[2] ?? "");
    }
    throw notFoundSegment(first ?? "");
  } catch (e) {
    if (e instanceof GraphError) {
      const extra: Record<string, string> = {};
      if (e.status === 401 && !e.headers["www-authenticate"]) {
        extra["www-authenticate"] = `Bearer realm="", authorization_uri="${ctx.baseUrl}/common/oauth2/authorize", client_id="${GRAPH_APP_ID}"`;
      }
      return sendJson(res, e.status, graphErrorBody(e, requestId, clientRequestId), { ...baseHeaders, ...e.headers, ...extra });
    }
    throw e;
  }
}

function notFoundSegment(segment: string): GraphError {
  return new GraphError(400, "BadRequest", `Resource not found for the segment '${segment}'.`);
}

function authenticate(ctx: EmulatorContext, req: IncomingMessage): Caller {
  const result = checkBearer(ctx, req, ctx.store.audiencesOf(ctx.store.graph), "1.0");
  if (result.ok) {
    const revoked = revokedTokenChallenge(ctx, "graph", result.caller.payload, result.caller.oid);
    if (revoked) {
      // Graph's CAE answer: the documented insufficient_claims challenge.
      const claims = Buffer.from(revocationClaims(revoked.revokedAt)).toString("base64");
      throw new GraphError(401, "InvalidAuthenticationToken", "Continuous access evaluation resulted in challenge with result: InteractionRequired and code: TokenIssuedBeforeRevocationTimestamp", {
        "www-authenticate": `Bearer realm="", authorization_uri="${ctx.baseUrl}/common/oauth2/authorize", client_id="${GRAPH_APP_ID}", error="insufficient_claims", claims="${claims}"`,
      });
    }
    return result.caller;
  }
  const messages: Record<typeof result.reason, string> = {
    missing: "Access token is empty.",
    malformed: "IDX14100: JWT is not well formed, there are no dots (.).",
    signature: "Access token validation failure. Invalid signature.",
    issuer: "Access token validation failure. Invalid issuer.",
    audience: "Access token validation failure. Invalid audience.",
    expired: "Lifetime validation failed, the token is expired.",
  };
  throw new GraphError(401, "InvalidAuthenticationToken", messages[result.reason]);
}

function requireScopes(caller: Caller, wanted: string[]): void {
  if (!hasAny(caller.scopes, wanted)) {
    throw new GraphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
  }
}

function requireRoles(caller: Caller, wanted: string[]): void {
  if (!hasAny(caller.roles, wanted)) {
    throw new GraphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
  }
}

function listUsers(
  ctx: EmulatorContext,
  res: ServerResponse,
  url: URL,
  caller: Caller,
  base: string,
  headers: Record<string, string>,
): void {
  for (const unsupported of ["$filter", "$orderby", "$search", "$expand"]) {
    if (url.searchParams.has(unsupported)) {
      throw new GraphError(400, "Request_UnsupportedQuery", `The emulator does not support '${unsupported}' on /users.`);
    }
  }
  const top = pageSize(url);
  const select = parseSelect(url);
  const offset = skipOffset(url);
  const all = ctx.store.allUsers(caller.tenantId);
  const page = all.slice(offset, offset + top);
  const body: Record<string, unknown> = {
    "@odata.context": contextUrl(base, select, false),
    value: page.map((u) => shape(ctx, u, select)),
  };
  if (url.searchParams.get("$count") === "true") body["@odata.count"] = all.length;
  if (offset + top < all.length) {
    const next = new URL(`${base}/users`);
    next.searchParams.set("$top", String(top));
    if (select) next.searchParams.set("$select", select.join(","));
    next.searchParams.set("$skiptoken", encodeSkipToken(offset + top));
    body["@odata.nextLink"] = next.toString();
  }
  const planted = ctx.nextLinks.take("graph");
  if (planted !== undefined) body["@odata.nextLink"] = planted;
  sendJson(res, 200, body, headers);
}

/**
 * POST /me/checkMemberGroups `{ "groupIds": [...] }`: which of (at most 20) groups the user is a
 * member of, directly or through nested groups. A malformed id fails the whole request.
 * https://learn.microsoft.com/graph/api/directoryobject-checkmembergroups
 */
async function checkMemberGroupsOf(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, me: User, base: string, headers: Record<string, string>): Promise<void> {
  let raw: Buffer;
  try {
    raw = await readBody(req, 64 * 1024);
  } catch (e) {
    if (e instanceof BodyTooLargeError) throw new GraphError(413, "Request_EntityTooLarge", "The request body is too large.");
    throw e;
  }
  const body = parseJsonObject(raw);
  const ids = body?.["groupIds"];
  if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id): id is string => typeof id === "string")) {
    throw new GraphError(400, "Request_BadRequest", "The request body must be a JSON object with a non-empty 'groupIds' array of group ids.");
  }
  if (ids.length > CHECK_MEMBER_GROUPS_MAX) {
    throw new GraphError(400, "Request_BadRequest", `The number of group ids in 'groupIds' exceeds the maximum of ${CHECK_MEMBER_GROUPS_MAX} per request.`);
  }
  const malformed = ids.find((id) => !GUID.test(id));
  if (malformed !== undefined) throw new GraphError(400, "Request_BadRequest", `Invalid object identifier '${malformed.slice(0, 60)}'.`);
  const memberOf = new Set(ctx.store.transitiveGroupsOf(me.id));
  sendJson(res, 200, { "@odata.context": `${base}/$metadata#Collection(Edm.String)`, value: ids.filter((id) => memberOf.has(id.toLowerCase())) }, headers);
}

/**
 * GET /me/transitiveMemberOf: the user's groups, direct and nested, paged like /users ($top 1–999,
 * default 100, absolute @odata.nextLink). Without a permission that reads groups
 * (GroupMember.Read.All and up), each group comes back with its id and type only ("limited
 * information" for directoryObject collections).
 * https://learn.microsoft.com/graph/api/user-list-transitivememberof
 */
function listTransitiveMemberOf(ctx: EmulatorContext, res: ServerResponse, url: URL, caller: Caller, me: User, base: string, headers: Record<string, string>): void {
  for (const unsupported of ["$filter", "$orderby", "$search", "$expand", "$select"]) {
    if (url.searchParams.has(unsupported)) {
      throw new GraphError(400, "Request_UnsupportedQuery", `The emulator does not support '${unsupported}' on /me/transitiveMemberOf.`);
    }
  }
  const top = pageSize(url);
  const offset = skipOffset(url);
  const groups = ctx.store
    .transitiveGroupsOf(me.id)
    .map((id) => ctx.store.groupById(id))
    .filter((g): g is Group => Boolean(g));
  const full = hasAny(caller.scopes, GROUP_READ_SCOPES);
  const page = groups.slice(offset, offset + top).map((g) =>
    full
      ? { "@odata.type": "#microsoft.graph.group", id: g.id, displayName: g.displayName, description: g.description ?? null, securityEnabled: true, mailEnabled: false }
      : { "@odata.type": "#microsoft.graph.group", id: g.id, displayName: null, description: null, securityEnabled: null, mailEnabled: null },
  );
  const body: Record<string, unknown> = { "@odata.context": `${base}/$metadata#directoryObjects`, value: page };
  if (offset + top < groups.length) {
    const next = new URL(`${base}/me/transitiveMemberOf`);
    next.searchParams.set("$top", String(top));
    next.searchParams.set("$skiptoken", encodeSkipToken(offset + top));
    body["@odata.nextLink"] = next.toString();
  }
  sendJson(res, 200, body, headers);
}

/** `$top`: 1–999, default 100 (Graph's default and maximum page sizes for directory objects). */
function pageSize(url: URL): number {
  const topRaw = url.searchParams.get("$top");
  if (topRaw === null) return 100;
  const top = /^\d+$/.test(topRaw) ? Number(topRaw) : NaN;
  if (!Number.isInteger(top) || top < 1 || top > 999) {
    throw new GraphError(400, "Request_UnsupportedQuery", `Invalid page size specified: '${topRaw}'. Must be between 1 and 999 inclusive.`);
  }
  return top;
}

function skipOffset(url: URL): number {
  const skip = url.searchParams.get("$skiptoken");
  if (skip === null) return 0;
  const decoded = decodeSkipToken(skip);
  if (decoded === undefined) throw new GraphError(400, "Directory_InvalidSkipToken", "The specified page token value has expired or is invalid.");
  return decoded;
}

function encodeSkipToken(offset: number): string {
  return `RFNwdAIAAQAAA${Buffer.from(JSON.stringify({ o: offset })).toString("base64url")}`;
}

function decodeSkipToken(token: string): number | undefined {
  if (!token.startsWith("RFNwdAIAAQAAA")) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(token.slice(13), "base64url").toString("utf8"));
    const o = typeof v === "object" && v !== null ? (v as { o?: unknown }).o : undefined;
    return typeof o === "number" && Number.isInteger(o) && o >= 0 ? o : undefined;
  } catch {
    return undefined;
  }
}

function userInfo(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, headers: Record<string, string>): void {
  const caller = authenticate(ctx, req);
  const user = caller.appOnly ? undefined : ctx.store.userById(caller.oid, caller.tenantId);
  if (!user) throw new GraphError(401, "InvalidAuthenticationToken", "The userinfo endpoint needs a delegated token.");
  sendJson(
    res,
    200,
    {
      sub: caller.payload["sub"],
      name: user.displayName,
      family_name: user.surname,
      given_name: user.givenName,
      email: user.mail,
    },
    headers,
  );
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
