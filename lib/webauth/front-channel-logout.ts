import "server-only";
import { getConfig, type AppConfig } from "@/lib/config";
import { correlationIdFrom } from "@/lib/http/correlation";
import { describeError, log } from "@/lib/http/log";
import { RateLimiter } from "@/lib/http/rate-limit";
import { forwardedClientAddress } from "./origin";
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
 *
 * Anyone can call this URL, so it is rate limited (429 with Retry-After beyond the budget: see
 * FRONT_CHANNEL_LIMITS), and while the shared store (Redis) is down an identity-provider session
 * this instance cannot vouch for is answered 503 and nothing is queued for it (SessionRevocations).
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
  const wait = frontChannelLimiter().take(forwardedClientAddress(request.headers, config.publicUrl.trustForwardedHeaders));
  if (wait > 0) {
    noteRefused();
    return empty(429, idpOrigin, { "retry-after": String(wait) });
  }
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
    // "unavailable"/"refused": Redis is down and this sign-out could not be recorded; say so.
    if (outcome === "unavailable" || outcome === "refused") return empty(503, idpOrigin, { "retry-after": "30" });
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

/**
 * The budget of the front-channel logout URL, per instance: real calls come one per sign-out at the
 * identity provider, so 100 at once and 10 a second (36,000 an hour) is far above what users cause,
 * and bounds what a flood costs Redis and the logs. Behind a trusted proxy (TRUST_FORWARDED_HEADERS)
 * one client address also gets 10 at once and one every 5 seconds, so its flood leaves others theirs.
 */
const FRONT_CHANNEL_LIMITS = {
  instance: { capacity: 100, refillPerSecond: 10 },
  client: { capacity: 10, refillPerSecond: 0.2 },
  maxClients: 10_000,
} as const;

const LIMITER = Symbol.for("ms-identity-nextjs.webauth.front-channel-limiter");

/** One limiter per process: the budget is the instance's, whatever bundle the route runs in. */
function frontChannelLimiter(): RateLimiter {
  const holder = globalThis as { [LIMITER]?: RateLimiter };
  holder[LIMITER] ??= new RateLimiter(FRONT_CHANNEL_LIMITS);
  return holder[LIMITER];
}

/** Calls refused since the last log line: a flood is logged every 10 seconds at most, not per call. */
let refused = { count: 0, loggedAt: 0 };
function noteRefused(): void {
  refused.count++;
  const now = Date.now();
  if (now - refused.loggedAt < 10_000) return;
  log("warn", "webauth.front_channel_logout_limited", { refused: refused.count, message: "The front-channel logout URL is called faster than its budget; calls over it are answered 429." });
  refused = { count: 0, loggedAt: now };
}

function empty(status: number, frameAncestor: string | undefined, extraHeaders: Record<string, string> = {}): Response {
  return new Response(null, {
    status,
    headers: {
      ...extraHeaders,
      "cache-control": "no-store",
      // Framed by the identity provider's sign-out page, and by nobody else.
      "content-security-policy": `default-src 'none'; base-uri 'none'; frame-ancestors ${frameAncestor ?? "'none'"}`,
    },
  });
}
