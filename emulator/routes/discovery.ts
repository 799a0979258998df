// Metadata endpoints: OpenID configuration, signing keys, instance discovery
// and the user realm lookup. Public and CORS-enabled like Entra's, because
// msal-browser fetches them from the page.
import type { ServerResponse } from "node:http";
import { issuerFor, type EmulatorContext } from "../context";
import { EntraError } from "../errors";
import { atMicrosoftHost } from "../hosts";
import { sendJson } from "../http";

export const CORS_ANY = { "access-control-allow-origin": "*" };

/** Resolves an authority path segment; `undefined` tenant id means organizations/common. */
export function resolveTenantSegment(ctx: EmulatorContext, segment: string): { tenantId?: string; multi: boolean } {
  const lower = segment.toLowerCase();
  if (lower === "common" || lower === "organizations") return { multi: true };
  const t = ctx.store.tenantById(lower);
  if (t) return { tenantId: t.id, multi: false };
  if (lower === "consumers") {
    throw new EntraError(400, "invalid_request", 500202, "Personal Microsoft accounts are not supported by this emulator. Use a tenant ID, 'organizations' or 'common'.");
  }
  throw new EntraError(
    400,
    "invalid_tenant",
    90002,
    `Tenant '${segment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
  );
}

export function openIdConfiguration(ctx: EmulatorContext, res: ServerResponse, segment: string): void {
  const { tenantId } = resolveTenantSegment(ctx, segment);
  const b = ctx.baseUrl;
  const pathTenant = tenantId ?? segment.toLowerCase();
  const issuer = tenantId ? issuerFor(ctx, tenantId) : `${b}/{tenantid}/v2.0`;
  sendJson(
    res,
    200,
    {
      token_endpoint: `${b}/${pathTenant}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
      jwks_uri: `${b}/${pathTenant}/discovery/v2.0/keys`,
      response_modes_supported: ["query", "fragment", "form_post"],
      subject_types_supported: ["pairwise"],
      id_token_signing_alg_values_supported: ["RS256"],
      response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
      scopes_supported: ["openid", "profile", "email", "offline_access"],
      issuer,
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${graphRoot(ctx)}/oidc/userinfo`,
      authorization_endpoint: `${b}/${pathTenant}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${b}/${pathTenant}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${b}/${pathTenant}/oauth2/v2.0/logout`,
      claims_supported: [
        "sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name", "msgraph_host",
        "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash",
        "c_hash", "email",
      ],
      kerberos_endpoint: `${b}/${pathTenant}/kerberos`,
      code_challenge_methods_supported: ["S256"],
      tenant_region_scope: null,
      cloud_instance_name: cloudInstanceName(ctx),
      cloud_graph_host_name: new URL(b).host,
      msgraph_host: graphRoot(ctx).replace(/^https:\/\//, ""),
      rbac_url: ctx.armBaseUrl,
    },
    { ...CORS_ANY, "cache-control": "max-age=86400, private" },
  );
}

export function jwks(ctx: EmulatorContext, res: ServerResponse, segment: string): void {
  const { tenantId } = resolveTenantSegment(ctx, segment);
  const issuer = tenantId ? issuerFor(ctx, tenantId) : `${ctx.baseUrl}/{tenantid}/v2.0`;
  // Short cache so rotation tests see new keys; Entra uses a day.
  sendJson(res, 200, ctx.keys.jwks(issuer), { ...CORS_ANY, "cache-control": "max-age=60, private" });
}

/** GET /common/userrealm/<username>?api-version=1.0 */
export function userRealm(ctx: EmulatorContext, res: ServerResponse, username: string): void {
  const at = username.lastIndexOf("@");
  const domain = at >= 0 ? username.slice(at + 1).toLowerCase() : "";
  const tenant = ctx.store.tenants.find((t) => t.domain === domain);
  if (!tenant) {
    sendJson(res, 200, { ver: "1.0", account_type: "Unknown", cloud_instance_name: cloudInstanceName(ctx) }, CORS_ANY);
    return;
  }
  sendJson(
    res,
    200,
    {
      ver: "1.0",
      account_type: "Managed",
      domain_name: tenant.domain,
      cloud_instance_name: cloudInstanceName(ctx),
      cloud_audience_urn: "urn:federation:MicrosoftOnline",
    },
    CORS_ANY,
  );
}

/** Graph's root without the version: https://graph.microsoft.com, or https://localhost:<port>/graph. */
function graphRoot(ctx: EmulatorContext): string {
  return ctx.graphBaseUrl.replace(/\/v1\.0$/, "");
}

/** How Entra's metadata names the cloud (microsoftonline.com, microsoftonline.us, …); "localhost" at localhost. */
function cloudInstanceName(ctx: EmulatorContext): string {
  return atMicrosoftHost(ctx) ? ctx.cloud.hosts.cloudInstanceName : "localhost";
}
