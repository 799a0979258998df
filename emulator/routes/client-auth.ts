// Client authentication at the token endpoint: public clients (none), client
// secret (post or basic), certificate client assertion (x5t / x5t#S256) and a
// federated assertion issued by our managed identity endpoint.
import { createHash, createPublicKey, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { knownIssuers, type EmulatorContext } from "../context";
import { EntraError } from "../errors";
import { nowSeconds } from "../grants";
import { header } from "../http";
import { decodeJwt, numberClaim, stringClaim, verifySignature, type DecodedJwt } from "../jwt";
import type { Azpacr } from "../tokens";
import type { AppRegistration } from "../types";

export const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/** Allowed clock skew for assertions, as Entra tolerates (5 minutes). */
const SKEW_S = 300;

export interface AuthenticatedClient {
  client: AppRegistration;
  azpacr: Azpacr;
}

export function unknownClient(ctx: EmulatorContext, clientId: string, tenantId?: string): EntraError {
  const tenant = ctx.store.tenantById(tenantId ?? ctx.store.primaryTenant.id);
  return new EntraError(
    400,
    "unauthorized_client",
    700016,
    `Application with identifier '${clientId}' was not found in the directory '${tenant?.displayName ?? "unknown"}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
  );
}

function parseBasic(req: IncomingMessage): { id: string; secret: string } | undefined {
  const auth = header(req, "authorization");
  if (!auth || !/^basic /i.test(auth)) return undefined;
  try {
    const decoded = Buffer.from(auth.slice(6).trim(), "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) return undefined;
    // RFC 6749 2.3.1: both parts are form-urlencoded before base64.
    return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

/** Identifies the calling client without authenticating it (for counters and early errors). */
export function presentedClientId(req: IncomingMessage, form: Map<string, string>): string | undefined {
  const fromForm = form.get("client_id");
  if (fromForm) return fromForm;
  const basic = parseBasic(req);
  if (basic) return basic.id;
  const assertion = form.get("client_assertion");
  const decoded = assertion ? decodeJwt(assertion) : null;
  return decoded ? stringClaim(decoded.payload, "sub") : undefined;
}

export function authenticateClient(
  ctx: EmulatorContext,
  req: IncomingMessage,
  form: Map<string, string>,
  tenantId: string | undefined,
): AuthenticatedClient {
  const basic = parseBasic(req);
  const clientId = presentedClientId(req, form);
  if (!clientId) throw new EntraError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.");
  const client = ctx.store.appByClientId(clientId);
  if (!client) throw unknownClient(ctx, clientId, tenantId);
  const secret = form.get("client_secret") ?? basic?.secret;
  const assertion = form.get("client_assertion");

  if (client.publicClient) {
    if (secret || assertion) {
      throw new EntraError(401, "invalid_client", 700025, "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.");
    }
    return { client, azpacr: "0" };
  }
  if (secret !== undefined) {
    if (!client.clientSecret || !safeEqual(secret, client.clientSecret)) {
      throw new EntraError(
        401,
        "invalid_client",
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${client.clientId}'.`,
      );
    }
    return { client, azpacr: "1" };
  }
  if (assertion !== undefined) {
    if (form.get("client_assertion_type") !== ASSERTION_TYPE) {
      throw new EntraError(400, "invalid_request", 90014, `The required field 'client_assertion_type' is missing or is not '${ASSERTION_TYPE}'.`);
    }
    verifyClientAssertion(ctx, client, assertion);
    return { client, azpacr: "2" };
  }
  throw new EntraError(401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
}

function safeEqual(a: string, b: string): boolean {
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  return timingSafeEqual(ha, hb);
}

function verifyClientAssertion(ctx: EmulatorContext, client: AppRegistration, assertion: string): void {
  const decoded = decodeJwt(assertion);
  if (!decoded) throw new EntraError(401, "invalid_client", 50027, "JWT token is invalid or malformed.");
  // Our own tokens (managed identity) carry x5t too, so the issuer decides: one of our
  // issuers means workload identity federation, anything else a certificate credential.
  const iss = stringClaim(decoded.payload, "iss");
  if (iss && knownIssuers(ctx).has(iss)) verifyFederatedAssertion(ctx, client, decoded, assertion);
  else verifyCertificateAssertion(ctx, client, decoded);
}

function verifyCertificateAssertion(ctx: EmulatorContext, client: AppRegistration, decoded: DecodedJwt): void {
  const { header: h, payload } = decoded;
  const presented = h["x5t#S256"] ?? h.x5t ?? "";
  const presentedHex = Buffer.from(presented, "base64url").toString("hex").toUpperCase();
  const cert = client.certificate;
  const matches = cert && (h["x5t#S256"] ? presentedHex === cert.sha256 : presentedHex === cert.sha1);
  if (!cert || !matches) {
    throw new EntraError(
      401,
      "invalid_client",
      700027,
      `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${presentedHex}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${client.clientId}'.]`,
    );
  }
  if (!verifySignature(decoded, createPublicKey(cert.publicKeyPem))) {
    throw new EntraError(401, "invalid_client", 700027, "Client assertion failed signature validation.");
  }
  const iss = stringClaim(payload, "iss");
  const sub = stringClaim(payload, "sub");
  if (iss?.toLowerCase() !== client.clientId || sub?.toLowerCase() !== client.clientId) {
    throw new EntraError(401, "invalid_client", 700021, "Client assertion application identifier doesn't match 'client_id' parameter. The 'iss' and 'sub' claims must both be the client ID.");
  }
  checkAssertionAudience(ctx, stringClaim(payload, "aud"));
  checkAssertionTimes(payload);
  // jti is deliberately not single-use: msal-node reuses its signed assertion for up to
  // 10 minutes (ClientAssertion.getJwt), and Entra accepts that too.
  if (!stringClaim(payload, "jti")) {
    throw new EntraError(401, "invalid_client", 50027, "JWT token is invalid: the client assertion must contain a 'jti' claim.");
  }
}

function checkAssertionAudience(ctx: EmulatorContext, aud: string | undefined): void {
  const ok =
    aud !== undefined &&
    (() => {
      const m = new RegExp(`^${escapeRegExp(ctx.baseUrl)}/([^/]+)/oauth2/v2\\.0/token/?$`, "i").exec(aud);
      if (m) {
        const seg = (m[1] ?? "").toLowerCase();
        return seg === "organizations" || seg === "common" || Boolean(ctx.store.tenantById(seg));
      }
      return knownIssuers(ctx).has(aud);
    })();
  if (!ok) {
    throw new EntraError(
      401,
      "invalid_client",
      50012,
      `Client assertion audience claim does not match Realm issuer. The audience '${aud ?? ""}' must be this tenant's token endpoint (${ctx.baseUrl}/<tenant>/oauth2/v2.0/token).`,
    );
  }
}

function checkAssertionTimes(payload: Record<string, unknown>): void {
  const now = nowSeconds();
  const exp = numberClaim(payload, "exp");
  const nbf = numberClaim(payload, "nbf");
  if (exp === undefined || exp + SKEW_S < now || (nbf !== undefined && nbf - SKEW_S > now)) {
    throw new EntraError(
      401,
      "invalid_client",
      700024,
      `Client assertion is not within its valid time range. Current time: ${new Date(now * 1000).toISOString()}, expiry time of assertion ${exp !== undefined ? new Date(exp * 1000).toISOString() : "missing"}.`,
    );
  }
}

/** Workload identity federation: a token from our managed identity endpoint stands in for a secret. */
function verifyFederatedAssertion(ctx: EmulatorContext, client: AppRegistration, decoded: DecodedJwt, raw: string): void {
  const verified = ctx.keys.verify(raw);
  if (!verified) throw new EntraError(401, "invalid_client", 700027, "Client assertion failed signature validation.");
  const { payload } = decoded;
  const iss = stringClaim(payload, "iss") ?? "";
  const sub = stringClaim(payload, "sub") ?? "";
  const aud = stringClaim(payload, "aud") ?? "";
  const homeIssuer = `${ctx.baseUrl}/${client.homeTenantId}/v2.0`;
  if (iss !== homeIssuer) {
    throw new EntraError(401, "invalid_client", 700211, `No matching federated identity record found for presented assertion issuer '${iss}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.`);
  }
  const bySubject = client.federatedCredentials.filter((f) => f.subject === sub);
  if (bySubject.length === 0) {
    throw new EntraError(401, "invalid_client", 700213, `No matching federated identity record found for presented assertion subject '${sub}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.`);
  }
  if (!bySubject.some((f) => f.audiences.includes(aud))) {
    throw new EntraError(401, "invalid_client", 700212, `No matching federated identity record found for presented assertion audience '${aud}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.`);
  }
  checkAssertionTimes(payload);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
