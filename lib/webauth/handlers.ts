import "server-only";
import { getConfig, type AppConfig } from "@/lib/config";
import { correlationIdFrom } from "@/lib/http/correlation";
import { describeError, log } from "@/lib/http/log";
import { requireWebConfig, type WebAppConfig } from "./client";
import { WebAuthError, badHost, crossSiteRequest, idpError, internalError, invalidCallback, loginExpired, noLoginInProgress, stateMismatch } from "./errors";
import { allowedClaims, allowedPrompt, allowedScopes, beginLogin, completeLogin, findLogin, isExpired, prunePendingLogins, signOutUrl } from "./flow";
import { OriginError, isSecureOrigin, publicOrigin } from "./origin";
import { explainedPage } from "./pages";
import { DEFAULT_RETURN_TO, sanitizeReturnTo } from "./return-to";
import { endWebSession, openWebSession, openWebSessionForSignOut, rememberIdpSession } from "./web-session";

/**
 * The web app's sign-in route handlers (app/auth/*), kept here so tests can call them with plain
 * Request objects and their own configuration. Every failure ends on an explained page with a
 * stable error code; nothing here echoes request input unescaped or redirects off-site except to
 * the identity provider.
 */
export interface HandlerOptions {
  config?: AppConfig;
}

interface RequestContext {
  config: AppConfig;
  origin: string;
  secure: boolean;
  correlationId: string;
}

function context(request: Request, options: HandlerOptions, correlationId: string): RequestContext {
  const config = options.config ?? getConfig();
  let origin: string;
  try {
    origin = publicOrigin(request.headers, request.url, config.publicUrl);
  } catch (e) {
    throw e instanceof OriginError ? badHost() : e;
  }
  return { config, origin, secure: isSecureOrigin(origin), correlationId };
}

function redirect(location: string, status: 302 | 303 = 302): Response {
  return new Response(null, { status, headers: { location, "cache-control": "no-store" } });
}

function failure(e: unknown, correlationId: string, retryReturnTo?: string, config?: AppConfig): Response {
  const error = e instanceof WebAuthError ? e : internalError(e);
  log(error.status >= 500 ? "error" : "info", "webauth.failed", {
    correlationId,
    code: error.code,
    idpError: (error.idp ?? error.loggedIdp)?.error,
    // Shown to nobody: the details an administrator needs, found by the correlation id on the page.
    idpDescription: error.loggedIdp?.description,
    error: error.status >= 500 ? describeError(e) : undefined,
  });
  return explainedPage(error, { correlationId, retryReturnTo, guestSignIn: config !== undefined && config.signInAuthority !== config.authority });
}

async function guarded(request: Request, options: HandlerOptions, fn: (ctx: RequestContext) => Promise<Response>): Promise<Response> {
  const correlationId = correlationIdFrom(request.headers);
  let ctx: RequestContext;
  try {
    ctx = context(request, options, correlationId);
  } catch (e) {
    return failure(e, correlationId);
  }
  try {
    return await fn(ctx);
  } catch (e) {
    return failure(e, ctx.correlationId, e instanceof WebAuthError && e.code === "not_configured" ? undefined : DEFAULT_RETURN_TO);
  }
}

/**
 * GET /auth/login?returnTo=/web[&scopes=...][&prompt=login|select_account|consent][&claims=...]
 * Starts the authorization code flow with PKCE, state and nonce; the transaction goes into the
 * encrypted session cookie; the browser goes to the identity provider's /authorize.
 */
export function handleLogin(request: Request, options: HandlerOptions = {}): Promise<Response> {
  return guarded(request, options, async ({ config: appConfig, origin, secure, correlationId }) => {
    const config = requireWebConfig(appConfig);
    const params = new URL(request.url).searchParams;
    const returnTo = sanitizeReturnTo(params.get("returnTo"));
    const rs = await openWebSession(request, config, secure);
    const user = rs.session.user;
    const extraScopes = allowedScopes(params.get("scopes"), config);
    const claims = allowedClaims(params.get("claims"));
    const prompt = allowedPrompt(params.get("prompt"));
    const { authorizeUrl, transaction } = await beginLogin(config, {
      origin,
      returnTo,
      extraScopes,
      prompt,
      claims,
      // ?tenant=home: a B2B guest of the app's organization signs in there, not at organizations.
      homeTenant: params.get("tenant") === "home",
      // Asking a signed-in user for more (consent, MFA): skip the account picker.
      loginHint: user && (extraScopes.length > 0 || claims) && prompt !== "select_account" ? user.username : undefined,
      correlationId,
    });
    rs.session.logins = prunePendingLogins([...(rs.session.logins ?? []), transaction]);
    await rs.save();
    log("info", "webauth.login_started", { correlationId, returnTo, extraScopes: extraScopes.join(" ") || undefined, prompt });
    return rs.applyTo(redirect(authorizeUrl));
  });
}

/**
 * GET /auth/callback?code=...&state=... (or ?error=...&error_description=...&state=...)
 * The redirect URI. Accepts a response only for a login this browser started (state bound to the
 * cookie), within 10 minutes, once. Redeems the code, stores who signed in, and returns the user
 * to the sanitized returnTo.
 */
export function handleCallback(request: Request, options: HandlerOptions = {}): Promise<Response> {
  return guarded(request, options, async ({ config: appConfig, origin, secure, correlationId }) => {
    const config = requireWebConfig(appConfig);
    const params = new URL(request.url).searchParams;
    const code = params.get("code");
    const state = params.get("state");
    const error = params.get("error");
    const rs = await openWebSession(request, config, secure);
    const pending = rs.session.logins ?? [];
    const transaction = state ? findLogin(pending, state) : undefined;

    // Whatever happens next, this transaction is used up: a response is accepted at most once.
    const consume = async () => {
      if (!transaction) return;
      const rest = pending.filter((t) => t !== transaction);
      if (rest.length) rs.session.logins = rest;
      else delete rs.session.logins;
      await rs.save();
    };
    const fail = async (e: WebAuthError) => {
      await consume();
      return rs.applyTo(failure(e, correlationId, transaction?.returnTo ?? DEFAULT_RETURN_TO, config));
    };

    const unmatched = () => (pending.length > 0 ? stateMismatch() : noLoginInProgress(rs.session.user !== undefined));
    // Anyone can craft /auth/callback?error=…&error_description=… and send the link around: the
    // provider's text is shown only for a sign-in this browser started (state matched).
    if (error) return fail(transaction ? idpError(error, params.get("error_description")) : unmatched());
    if (!code || !state) return fail(invalidCallback());
    if (!transaction) return fail(unmatched());
    if (isExpired(transaction)) return fail(loginExpired());

    let user;
    try {
      user = await completeLogin(config, { origin, code, transaction, correlationId });
    } catch (e) {
      return fail(e instanceof WebAuthError ? e : internalError(e));
    }
    // The session id rotates at every sign-in: the previous session (same user or not) is over.
    const previous = rs.session.user;
    if (previous) await endWebSession(config, previous);
    if (user.idpSessionId) await rememberIdpSession(config, user.idpSessionId);
    else {
      // Once per session, here at its start: nothing will end it when the user signs out elsewhere.
      log("warn", "webauth.front_channel_logout_unavailable", {
        correlationId,
        reason:
          "the ID token has no sid claim, so front-channel logout cannot end this session: add the optional claim sid (Token configuration > ID) to the web app registration",
      });
    }
    rs.session.user = user;
    await consume();
    log("info", "webauth.signed_in", { correlationId, tenantId: user.tenantId });
    return rs.applyTo(redirect(`${origin}${transaction.returnTo}`, 303));
  });
}

/**
 * POST /auth/logout (the Sign out button's form). Same-origin only: a cross-site page must not be
 * able to sign the user out. Records the session as revoked on every instance (a copy of the
 * cookie stops working), deletes its token cache partition and the cookie, then signs out at the
 * identity provider, which comes back to /web.
 */
export function handleLogout(request: Request, options: HandlerOptions = {}): Promise<Response> {
  return guarded(request, options, async ({ config, origin, secure, correlationId }) => {
    if (!isSameOriginRequest(request, origin)) throw crossSiteRequest();
    const rs = await openWebSessionForSignOut(request, config, secure);
    const user = rs.session.user;
    rs.destroy();
    if (user) await endWebSession(config, user);
    if (!config.web) return rs.applyTo(redirect(`${origin}${DEFAULT_RETURN_TO}`, 303));
    const web: WebAppConfig = requireWebConfig(config);
    log("info", "webauth.signed_out", { correlationId, hadSession: user !== undefined });
    // Nobody was signed in here: no need to visit the identity provider.
    if (!user) return rs.applyTo(redirect(`${origin}${DEFAULT_RETURN_TO}`, 303));
    return rs.applyTo(redirect(await signOutUrl(web, origin, user.loginHint), 303));
  });
}

/**
 * CSRF defence for state-changing POSTs: browsers send `Origin` on every POST (and Fetch Metadata
 * on modern ones); a request is accepted only when they name this app's public origin. With
 * neither header (old browsers, some privacy modes) the Referer must match; with nothing, refuse.
 * SameSite=Lax already keeps the cookie off cross-site POSTs; this is the second lock.
 */
export function isSameOriginRequest(request: Request, origin: string): boolean {
  const originHeader = request.headers.get("origin");
  if (originHeader !== null) return originHeader === origin;
  const site = request.headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin") return false;
  const referer = request.headers.get("referer");
  if (referer) {
    try {
      return new URL(referer).origin === origin;
    } catch {
      return false;
    }
  }
  return site === "same-origin";
}
