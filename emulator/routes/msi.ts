// App Service managed identity endpoint (api-version 2019-08-01), as msal-node's
// ManagedIdentityApplication calls it through IDENTITY_ENDPOINT/IDENTITY_HEADER.
// The token for the cloud's token-exchange audience (api://AzureADTokenExchange,
// …USGov, …China) is what the API presents as a federated client assertion
// instead of a secret.
//
// The emulated web app has one user-assigned identity and no system-assigned one (infra/ deploys
// it that way; only user-assigned identities can be federated credentials of an app registration,
// Microsoft Learn "Configure an application to trust a managed identity"). So, per the REST
// endpoint reference of "How to use managed identities for App Service": a request must name the
// identity with exactly one of client_id, principal_id/object_id or mi_res_id; naming none asks for
// the system-assigned identity, which does not exist here.
import { randomUUID, timingSafeEqual, createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { issuerFor, v1IssuerFor, type EmulatorContext } from "../context";
import { nowSeconds, randomToken } from "../grants";
import { header, sendJson } from "../http";
import { isV1Resource } from "../tokens";

/** The public cloud's audience; the running emulator's is ctx.cloud.tokenExchangeAudience. */
export const TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";
const MSI_LIFETIME_S = 24 * 3600;
const ID_PARAMETERS = ["client_id", "principal_id", "object_id", "mi_res_id"] as const;

function same(a: string, b: string): boolean {
  return timingSafeEqual(createHash("sha256").update(a).digest(), createHash("sha256").update(b).digest());
}

/** The Azure resource id of the emulated user-assigned identity (the endpoint's `mi_res_id`). */
export function managedIdentityResourceId(ctx: EmulatorContext): string {
  const mi = ctx.store.seed.managedIdentity;
  const home = ctx.store.primaryTenant.id;
  const subscription = ctx.store.seed.subscriptions.find((s) => s.tenantId === home)?.subscriptionId ?? "00000000-0000-0000-0000-000000000000";
  return `/subscriptions/${subscription}/resourcegroups/${mi.resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${mi.name}`;
}

/** Which identity the request names: undefined = the user-assigned one; otherwise why not. */
function identityProblem(ctx: EmulatorContext, url: URL): string | undefined {
  const given = ID_PARAMETERS.filter((p) => url.searchParams.has(p));
  if (given.length > 1) return `Only one of ${ID_PARAMETERS.join(", ")} may be given; this request has ${given.join(" and ")}.`;
  const [param] = given;
  if (!param) {
    return "No client_id, principal_id, object_id or mi_res_id was given, so the system-assigned identity was asked for, and this app has none (only its user-assigned identity).";
  }
  const value = (url.searchParams.get(param) ?? "").trim();
  const mi = ctx.store.seed.managedIdentity;
  const matches =
    param === "client_id" ? value.toLowerCase() === mi.clientId.toLowerCase()
    : param === "mi_res_id" ? value.toLowerCase() === managedIdentityResourceId(ctx).toLowerCase()
    : value.toLowerCase() === mi.objectId.toLowerCase();
  return matches ? undefined : `Unable to load the proper Managed Identity: no user-assigned identity with ${param} '${value.slice(0, 200)}' is assigned to this app.`;
}

export function managedIdentityToken(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, url: URL): void {
  ctx.counters.count("msi");
  const fail = (status: number, message: string) =>
    sendJson(res, status, { statusCode: status, message, correlationId: randomUUID() });
  if (req.method !== "GET") return fail(405, "Only GET is supported.");
  const secret = header(req, "x-identity-header");
  if (!secret || !same(secret, ctx.managedIdentityHeader)) return fail(401, "The X-IDENTITY-HEADER header is missing or invalid.");
  if (url.searchParams.get("api-version") !== "2019-08-01") return fail(400, "Unsupported or missing api-version; use 2019-08-01.");
  const resourceParam = (url.searchParams.get("resource") ?? "").replace(/\/\.default$/, "");
  if (!resourceParam) return fail(400, "The 'resource' query parameter is required.");
  const problem = identityProblem(ctx, url);
  if (problem) return fail(400, problem);
  const mi = ctx.store.seed.managedIdentity;
  const tenantId = ctx.store.primaryTenant.id;
  let audience: string;
  let v1 = false;
  if (resourceParam === ctx.cloud.tokenExchangeAudience) audience = ctx.cloud.tokenExchangeAudience;
  else {
    const resource = ctx.store.resourceByIdentifier(resourceParam);
    if (!resource) {
      return sendJson(res, 400, {
        error: "invalid_resource",
        error_description: `AADSTS500011: The resource principal named ${resourceParam} was not found in the tenant.`,
      });
    }
    audience = resource.tokenAudience;
    v1 = isV1Resource(resource); // Graph and ARM take v1.0 tokens, the identity's too
  }
  const now = nowSeconds();
  const exp = now + MSI_LIFETIME_S;
  const iss = v1 ? v1IssuerFor(ctx, tenantId) : issuerFor(ctx, tenantId);
  const accessToken = ctx.keys.sign({
    aud: audience,
    iss,
    iat: now,
    nbf: now,
    exp,
    ...(v1 ? { appid: mi.clientId, appidacr: "2", idp: iss } : { azp: mi.clientId, azpacr: "2" }),
    idtyp: "app",
    oid: mi.objectId,
    sub: mi.objectId,
    tid: tenantId,
    uti: randomToken(16),
    ver: v1 ? "1.0" : "2.0",
    // A user-assigned identity's token names the identity's own resource id.
    xms_mirid: managedIdentityResourceId(ctx),
  });
  sendJson(res, 200, {
    access_token: accessToken,
    expires_on: exp,
    resource: resourceParam,
    token_type: "Bearer",
    client_id: mi.clientId,
  });
}
