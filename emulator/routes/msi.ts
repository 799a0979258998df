// App Service managed identity endpoint (api-version 2019-08-01), as msal-node's
// ManagedIdentityApplication calls it through IDENTITY_ENDPOINT/IDENTITY_HEADER.
// The token for the cloud's token-exchange audience (api://AzureADTokenExchange,
// …USGov, …China) is what the API presents as a federated client assertion
// instead of a secret.
import { randomUUID, timingSafeEqual, createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { issuerFor, type EmulatorContext } from "../context";
import { nowSeconds, randomToken } from "../grants";
import { header, sendJson } from "../http";

/** The public cloud's audience; the running emulator's is ctx.cloud.tokenExchangeAudience. */
export const TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";
const MSI_LIFETIME_S = 24 * 3600;

function same(a: string, b: string): boolean {
  return timingSafeEqual(createHash("sha256").update(a).digest(), createHash("sha256").update(b).digest());
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
  const mi = ctx.store.seed.managedIdentity;
  const tenantId = ctx.store.primaryTenant.id;
  let audience: string;
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
  }
  const now = nowSeconds();
  const exp = now + MSI_LIFETIME_S;
  const accessToken = ctx.keys.sign({
    aud: audience,
    iss: issuerFor(ctx, tenantId),
    iat: now,
    nbf: now,
    exp,
    azp: mi.clientId,
    azpacr: "2",
    idtyp: "app",
    oid: mi.objectId,
    sub: mi.objectId,
    tid: tenantId,
    uti: randomToken(16),
    ver: "2.0",
    xms_mirid: `/subscriptions/${ctx.store.seed.subscriptions[0]?.subscriptionId ?? "0"}/resourcegroups/reference-app/providers/Microsoft.Web/sites/reference-app`,
  });
  sendJson(res, 200, {
    access_token: accessToken,
    expires_on: exp,
    resource: resourceParam,
    token_type: "Bearer",
    client_id: mi.clientId,
  });
}
