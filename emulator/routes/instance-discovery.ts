// GET /{tenant}/discovery/instance?api-version=1.1&authorization_endpoint=<authority>/oauth2/v2.0/authorize
//
// Entra's instance discovery: is this authority a Microsoft cloud, and which host names are its
// aliases (preferred_network for requests, preferred_cache for cache keys)? MSAL asks
// https://login.microsoftonline.com/common/discovery/instance whatever the authority's cloud
// (msal-common Authority.getCloudDiscoveryMetadataFromNetwork, Constants.AAD_INSTANCE_DISCOVERY_ENDPT),
// and only for an authority it has no metadata for: msal-common >= 14 carries these clouds' metadata
// built in and prefers it (AuthorityMetadata.ts; AzureAD/microsoft-authentication-library-for-js
// PR #6231), so msal-browser 5 and msal-node 7 never ask for login.microsoftonline.com or .us.
// An authority Entra does not know is answered 400 invalid_instance, AADSTS50049; MSAL then
// refuses it (untrusted_authority) before it sends anything there.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { EmulatorContext } from "../context";
import { EntraError } from "../errors";
import { atMicrosoftHost } from "../hosts";
import { sendJson } from "../http";
import { sendEntraError } from "../respond";
import { CORS_ANY } from "./discovery";

export interface CloudInstanceMetadata {
  preferred_network: string;
  preferred_cache: string;
  aliases: string[];
}

/**
 * Entra's answer for the Microsoft clouds, as MSAL's own tests record it (msal-common
 * test/test_kit/StringConstants.ts CLOUD_DISCOVERY_METADATA; the built-in copy in
 * AuthorityMetadata.ts was generated from it, PR #4536): the same list whatever authority is asked.
 */
export const MICROSOFT_CLOUD_INSTANCES: readonly CloudInstanceMetadata[] = [
  { preferred_network: "login.microsoftonline.com", preferred_cache: "login.windows.net", aliases: ["login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net"] },
  { preferred_network: "login.partner.microsoftonline.cn", preferred_cache: "login.partner.microsoftonline.cn", aliases: ["login.partner.microsoftonline.cn", "login.chinacloudapi.cn"] },
  { preferred_network: "login.microsoftonline.de", preferred_cache: "login.microsoftonline.de", aliases: ["login.microsoftonline.de"] },
  { preferred_network: "login.microsoftonline.us", preferred_cache: "login.microsoftonline.us", aliases: ["login.microsoftonline.us", "login.usgovcloudapi.net"] },
  { preferred_network: "login-us.microsoftonline.com", preferred_cache: "login-us.microsoftonline.com", aliases: ["login-us.microsoftonline.com"] },
];

const API_VERSIONS = new Set(["1.0", "1.1"]);

export function instanceDiscovery(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, url: URL): void {
  try {
    const apiVersion = url.searchParams.get("api-version");
    if (!apiVersion) throw missing("api-version");
    // (Entra's answer to an unknown version is not documented: refused like a missing one.)
    if (!API_VERSIONS.has(apiVersion)) throw missing("api-version", " (1.0 or 1.1)");
    const raw = url.searchParams.get("authorization_endpoint");
    if (!raw) throw missing("authorization_endpoint");
    let authority: URL;
    try {
      authority = new URL(raw);
    } catch {
      throw unknownInstance();
    }
    if (authority.protocol !== "https:" || authority.username || authority.password) throw unknownInstance();

    // At localhost the emulator is a custom authority: it vouches for itself and nothing else.
    const here = new URL(ctx.baseUrl).host;
    const instances = atMicrosoftHost(ctx) ? MICROSOFT_CLOUD_INSTANCES : [{ preferred_network: here, preferred_cache: here, aliases: [here] }];
    const host = authority.host.toLowerCase();
    if (!instances.some((i) => i.aliases.includes(host))) throw unknownInstance();

    const tenant = authority.pathname.split("/").find(Boolean) ?? "common";
    const wellKnown = apiVersion === "1.0" ? ".well-known/openid-configuration" : "v2.0/.well-known/openid-configuration";
    sendJson(res, 200, { tenant_discovery_endpoint: `https://${host}/${tenant}/${wellKnown}`, "api-version": apiVersion, metadata: instances }, CORS_ANY);
  } catch (e) {
    if (!(e instanceof EntraError)) throw e;
    sendEntraError(ctx, req, res, e, CORS_ANY);
  }
}

function missing(parameter: string, hint = ""): EntraError {
  return new EntraError(400, "invalid_request", 900144, `The request body must contain the following parameter: '${parameter}'${hint}.`);
}

function unknownInstance(): EntraError {
  return new EntraError(400, "invalid_instance", 50049, "Unknown or invalid instance.");
}
