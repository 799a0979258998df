// The slice of Azure Resource Manager the app uses: GET /subscriptions (paged
// by 10 with nextLink/$skiptoken), /subscriptions/{id} and /tenants, scoped to
// the caller's tenant. Errors are ARM-shaped.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { revocationClaims, revokedTokenChallenge } from "../cae";
import type { EmulatorContext } from "../context";
import { ArmError, armErrorBody } from "../errors";
import { delay, header, sendJson } from "../http";
import type { SeedSubscription } from "../types";
import { checkBearer, hasAny, type Caller } from "./bearer";

export const ARM_PAGE_SIZE = 10;
/**
 * The api-versions ARM documents for the routes served here (Subscriptions - List, Subscriptions -
 * Get, Tenants - List: the stable Microsoft.Resources/subscriptions REST specifications,
 * Azure/azure-rest-api-specs), newest first as ARM lists them in its error.
 */
export const ARM_API_VERSIONS = ["2022-12-01", "2021-01-01", "2020-01-01", "2019-11-01", "2019-06-01", "2018-06-01", "2016-06-01", "2015-11-01"] as const;

function subscriptionJson(s: SeedSubscription) {
  return {
    id: `/subscriptions/${s.subscriptionId}`,
    authorizationSource: "RoleBased",
    managedByTenants: [],
    subscriptionId: s.subscriptionId,
    tenantId: s.tenantId,
    displayName: s.displayName,
    state: s.state,
    subscriptionPolicies: {
      locationPlacementId: "Public_2014-09-01",
      quotaId: "PayAsYouGo_2014-09-01",
      spendingLimit: "Off",
    },
  };
}

export async function arm(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, url: URL, subPath: string): Promise<void> {
  ctx.counters.count("arm");
  const requestId = randomUUID();
  const correlation = header(req, "x-ms-correlation-request-id") ?? header(req, "client-request-id") ?? randomUUID();
  const baseHeaders = {
    "x-ms-request-id": requestId,
    "x-ms-correlation-request-id": correlation,
    "x-ms-routing-request-id": `LOCAL:${requestId}`,
    "access-control-allow-origin": header(req, "origin") ?? "*",
    "access-control-expose-headers": "x-ms-request-id, x-ms-correlation-request-id, retry-after, www-authenticate",
  };
  try {
    const fault = ctx.faults.take("arm");
    if (fault?.kind === "delay") await delay(fault.delayMs);
    else if (fault?.kind === "respond") {
      const retry: Record<string, string> = fault.retryAfter !== undefined ? { "retry-after": String(fault.retryAfter) } : {};
      if (fault.mode === "throttle") {
        throw new ArmError(
          fault.status,
          "SubscriptionRequestsThrottled",
          `Number of 'read' requests exceeded. Please try again after '${fault.retryAfter ?? 1}' seconds after additional tokens are available.`,
          { ...retry, "x-ms-ratelimit-remaining-tenant-reads": "0" },
        );
      }
      if (fault.mode === "down") throw new ArmError(fault.status, "ServiceUnavailable", "The service is currently unavailable (injected fault). Please retry later.", retry);
      throw new ArmError(fault.status, "InternalServerError", "Encountered internal server error (injected fault).", retry);
    }
    if (req.method !== "GET") throw new ArmError(405, "MethodNotAllowed", `The HTTP method '${req.method ?? ""}' is not supported by this emulator.`);
    const caller = authenticate(ctx, req);
    const apiVersion = url.searchParams.get("api-version");
    if (!apiVersion) {
      throw new ArmError(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
    }
    if (!(ARM_API_VERSIONS as readonly string[]).includes(apiVersion)) {
      throw new ArmError(400, "InvalidApiVersionParameter", `The api-version '${apiVersion}' is invalid. The supported versions are '${ARM_API_VERSIONS.join(",")}'.`);
    }
    const segments = subPath.split("/").filter(Boolean).map((s) => safeDecode(s).toLowerCase());
    if (segments[0] === "subscriptions" && segments.length === 1) return listSubscriptions(ctx, res, url, caller, apiVersion, baseHeaders);
    if (segments[0] === "subscriptions" && segments.length === 2) {
      const sub = ctx.store.seed.subscriptions.find((s) => s.subscriptionId === segments[1] && s.tenantId === caller.tenantId);
      if (!sub) throw new ArmError(404, "SubscriptionNotFound", `The subscription '${segments[1] ?? ""}' could not be found.`);
      return sendJson(res, 200, subscriptionJson(sub), baseHeaders);
    }
    if (segments[0] === "tenants" && segments.length === 1) {
      const t = ctx.store.tenantById(caller.tenantId);
      const value = t
        ? [{ id: `/tenants/${t.id}`, tenantId: t.id, tenantCategory: "Home", countryCode: "US", displayName: t.displayName, domains: [t.domain], defaultDomain: t.domain, tenantType: "AAD" }]
        : [];
      return sendJson(res, 200, { value, count: { type: "Total", value: value.length } }, baseHeaders);
    }
    throw new ArmError(404, "InvalidResourceType", `The resource type '${segments[0] ?? ""}' could not be found in the namespace 'Microsoft.Resources' for api version '${apiVersion}'.`);
  } catch (e) {
    if (e instanceof ArmError) {
      const extra: Record<string, string> = {};
      if (e.status === 401 && !e.headers["www-authenticate"]) {
        extra["www-authenticate"] = `Bearer authorization_uri="${ctx.baseUrl}/", error="invalid_token", error_description="${e.message.replace(/"/g, "'")}"`;
      }
      return sendJson(res, e.status, armErrorBody(e), { ...baseHeaders, ...e.headers, ...extra });
    }
    throw e;
  }
}

function authenticate(ctx: EmulatorContext, req: IncomingMessage): Caller {
  const audiences = ctx.store.audiencesOf(ctx.store.arm);
  const result = checkBearer(ctx, req, audiences, "1.0");
  if (!result.ok) {
    switch (result.reason) {
      case "missing":
        throw new ArmError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.");
      case "expired":
        throw new ArmError(
          401,
          "ExpiredAuthenticationToken",
          `The access token expiry UTC time '${new Date((result.exp ?? 0) * 1000).toUTCString()}' is earlier than current UTC time '${new Date().toUTCString()}'.`,
        );
      case "audience":
        throw new ArmError(
          401,
          "InvalidAuthenticationToken",
          `The access token has been obtained for wrong audience or resource '${result.audience ?? ""}'. It should exactly match with one of the allowed audiences '${audiences.filter((a) => a.includes("://")).join("','")}'.`,
        );
      default:
        throw new ArmError(401, "InvalidAuthenticationToken", "The access token is invalid.");
    }
  }
  const caller = result.caller;
  const revoked = revokedTokenChallenge(ctx, "arm", caller.payload, caller.oid);
  if (revoked) {
    // ARM's CAE answer: invalid_token with the claims the new token must carry (the Azure SDKs'
    // ARMChallengeAuthenticationPolicy documents this header).
    const claims = Buffer.from(revocationClaims(revoked.revokedAt)).toString("base64");
    throw new ArmError(401, "InvalidAuthenticationToken", "User session has been revoked", {
      "www-authenticate": `Bearer authorization_uri="${ctx.baseUrl}/", error="invalid_token", error_description="User session has been revoked", claims="${claims}"`,
    });
  }
  if (!caller.appOnly && !hasAny(caller.scopes, ["user_impersonation"])) {
    throw new ArmError(
      403,
      "AuthorizationFailed",
      `The client '${caller.oid}' with object id '${caller.oid}' does not have authorization to perform action 'Microsoft.Resources/subscriptions/read' over scope '/subscriptions': the token lacks the 'user_impersonation' scope.`,
    );
  }
  return caller;
}

function listSubscriptions(
  ctx: EmulatorContext,
  res: ServerResponse,
  url: URL,
  caller: Caller,
  apiVersion: string,
  headers: Record<string, string>,
): void {
  const all = ctx.store.seed.subscriptions.filter((s) => s.tenantId === caller.tenantId);
  let offset = 0;
  const skip = url.searchParams.get("$skiptoken");
  if (skip !== null) {
    const n = /^[A-Za-z0-9_-]+$/.test(skip) ? Number(Buffer.from(skip, "base64url").toString("utf8").replace(/^offset:/, "")) : NaN;
    if (!Number.isInteger(n) || n < 0) throw new ArmError(400, "InvalidSkipToken", "The provided $skiptoken is invalid.");
    offset = n;
  }
  const page = all.slice(offset, offset + ARM_PAGE_SIZE);
  const body: Record<string, unknown> = {
    value: page.map(subscriptionJson),
    count: { type: "Total", value: all.length },
  };
  if (offset + ARM_PAGE_SIZE < all.length) {
    const next = new URL(`${ctx.armBaseUrl}/subscriptions`);
    next.searchParams.set("api-version", apiVersion);
    next.searchParams.set("$skiptoken", Buffer.from(`offset:${offset + ARM_PAGE_SIZE}`).toString("base64url"));
    body["nextLink"] = next.toString();
  }
  const planted = ctx.nextLinks.take("arm");
  if (planted !== undefined) body["nextLink"] = planted;
  sendJson(res, 200, body, headers);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
