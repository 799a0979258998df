import "server-only";
import { getConfig, type AppConfig } from "@/lib/config";
import { correlationIdFrom } from "@/lib/http/correlation";
import { describeError, log } from "@/lib/http/log";
import { webSessionRevocations } from "./web-session";

/** The identity provider's session ids are GUIDs on Entra; anything printable and short is accepted. */
const SID = /^[\x21-\x7e]{1,256}$/;

/**
 * GET /auth/frontchannel-logout?sid=<the identity provider's session id>: the web app's
 * front-channel logout URL (Entra's "Front-channel logout URL", OpenID Connect Front-Channel Logout
 * 1.0). When the user signs out at the identity provider from any app, its sign-out page loads this
 * URL in a hidden iframe of every app the browser signed in to.
 *
 * The browser does not send our SameSite=Lax session cookie to a cross-site iframe, so the session
 * cannot be found by its cookie. Instead every web session established under that identity-provider
 * session (the ID token's `sid`, kept in the session at sign-in) is revoked server-side, on every
 * instance; the next request with such a cookie is signed out. Entra sends `sid` only; an `iss`, if
 * present, must be on the configured authority's host.
 *
 * Answers 200 with no content (what Entra expects), never cached, frameable by the identity
 * provider's origin only. Failures answer without content as well: nobody reads them.
 */
export async function handleFrontChannelLogout(request: Request, options: { config?: AppConfig } = {}): Promise<Response> {
  const correlationId = correlationIdFrom(request.headers);
  let config: AppConfig;
  try {
    config = options.config ?? getConfig();
  } catch (e) {
    log("error", "webauth.front_channel_logout_failed", { correlationId, error: describeError(e) });
    return empty(500, undefined);
  }
  const idpOrigin = new URL(config.authorityHost).origin;
  const params = new URL(request.url).searchParams;
  const sid = params.get("sid");
  const iss = params.get("iss");
  if (!sid || !SID.test(sid) || (iss !== null && !isOnHost(iss, idpOrigin))) {
    log("info", "webauth.front_channel_logout_rejected", { correlationId, hasSid: sid !== null, hasIss: iss !== null });
    return empty(400, idpOrigin);
  }
  try {
    const outcome = await webSessionRevocations(config).revokeIdpSession(sid);
    log("info", "webauth.front_channel_logout", { correlationId, outcome });
    return empty(200, idpOrigin);
  } catch (e) {
    log("error", "webauth.front_channel_logout_failed", { correlationId, error: describeError(e) });
    return empty(500, idpOrigin);
  }
}

function isOnHost(url: string, origin: string): boolean {
  try {
    return new URL(url).origin === origin;
  } catch {
    return false;
  }
}

function empty(status: number, frameAncestor: string | undefined): Response {
  return new Response(null, {
    status,
    headers: {
      "cache-control": "no-store",
      // Framed by the identity provider's sign-out page, and by nobody else.
      "content-security-policy": `default-src 'none'; base-uri 'none'; frame-ancestors ${frameAncestor ?? "'none'"}`,
    },
  });
}
