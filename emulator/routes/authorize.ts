// GET /{tenant}/oauth2/v2.0/authorize: validates the request like Entra (page
// for errors that cannot be redirected, redirect for the rest), then hands
// over to the shared sign-in steps.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { EmulatorContext } from "../context";
import { audienceError } from "../audience";
import { unlistedResourceError } from "../consent";
import { EntraError } from "../errors";
import { nowSeconds, type PendingSignIn } from "../grants";
import { parseForm, queryParams, readBody } from "../http";
import { authContextsNeedMfa, mfaRequiredFor, parseClaimsParameter } from "../mfa";
import { correlationIdOf, errorRedirectParams, respondToClient, sendErrorPage, type ResponseMode } from "../respond";
import { resolveScopes } from "../scopes";
import { grantedScopes, userOfLoginHint } from "../tokens";
import type { AppRegistration, RedirectRegistration } from "../types";
import { unknownClient } from "./client-auth";
import { resolveTenantSegment } from "./discovery";
import { advance, currentSession, notInTenantMessage, rememberedAccounts, renderAccountPicker, renderSignIn } from "./signin";

const PROMPTS = new Set(["none", "login", "select_account", "consent", "create"]);

/** The username a `login_hint` names: the user of an opaque `login_hint` claim, else the hint as typed. */
function loginHintUsername(ctx: EmulatorContext, hint: string | undefined): string | undefined {
  return hint === undefined ? undefined : (userOfLoginHint(ctx, hint)?.userPrincipalName ?? hint);
}

/** Exact match, except loopback redirects of native apps where any port is allowed (RFC 8252). */
export function matchRedirect(client: AppRegistration, uri: string): RedirectRegistration | undefined {
  const exact = client.redirects.find((r) => r.uri === uri);
  if (exact) return exact;
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== "http:" || !["localhost", "127.0.0.1", "[::1]"].includes(parsed.hostname)) return undefined;
  return client.redirects.find((r) => r.platform === "native" && /^http:\/\/(localhost|127\.0\.0\.1)\/?$/.test(r.uri));
}

export function redirectMismatch(client: AppRegistration, uri: string): EntraError {
  return new EntraError(
    400,
    "invalid_request",
    50011,
    `The redirect URI '${uri}' specified in the request does not match the redirect URIs configured for the application '${client.clientId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.`,
  );
}

export async function authorize(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, url: URL, segment: string): Promise<void> {
  ctx.counters.count("authorize");
  const q = queryParams(url);
  if (req.method === "POST") for (const [k, v] of parseForm(await readBody(req, 64 * 1024))) if (!q.has(k)) q.set(k, v);
  const correlationId = correlationIdOf(req, url);

  // 1. Problems that make the redirect URI untrustworthy: answered with a page.
  const found = browserRequestClient(ctx, res, q, segment, correlationId);
  if (!found) return;
  const { tenantId, client } = found;
  const redirectUri = q.get("redirect_uri") ?? "";
  const registration = matchRedirect(client, redirectUri);
  if (!registration) return sendErrorPage(res, redirectMismatch(client, redirectUri), correlationId);
  // A single-tenant app: unknown in other tenants (a page), refused at organizations/common (to the client).
  const wrongAudience = audienceError(ctx, client, tenantId);
  if (wrongAudience?.code === 700016) return sendErrorPage(res, wrongAudience, correlationId);

  const rawMode = q.get("response_mode");
  const responseMode: ResponseMode = rawMode === "fragment" || rawMode === "form_post" ? rawMode : "query";
  const state = q.get("state");
  const fail = (err: EntraError) => respondToClient(res, redirectUri, responseMode, errorRedirectParams(ctx, err, state, correlationId));

  // 2. Problems reported to the client.
  let pending: PendingSignIn;
  try {
    if (rawMode && !["query", "fragment", "form_post"].includes(rawMode)) {
      throw new EntraError(400, "invalid_request", 900148, `The response_mode '${rawMode}' is not supported.`);
    }
    if (wrongAudience) throw wrongAudience;
    const responseType = q.get("response_type");
    if (responseType !== "code") {
      throw new EntraError(
        400,
        "unsupported_response_type",
        700054,
        `response_type '${responseType ?? ""}' is not enabled for the application. This emulator supports the authorization code flow (response_type=code) only.`,
      );
    }
    const scopes = resolveScopes(ctx.store, q.get("scope"));
    const unlisted = unlistedResourceError(ctx, client, scopes);
    if (unlisted) throw unlisted;
    const codeChallenge = q.get("code_challenge");
    const codeChallengeMethod = q.get("code_challenge_method");
    const pkceRequired = registration.platform === "spa" || client.publicClient;
    if (pkceRequired && !codeChallenge) {
      throw new EntraError(400, "invalid_request", 9002325, "Proof Key for Code Exchange is required for cross-origin authorization code redemption.");
    }
    if (codeChallenge && codeChallengeMethod !== "S256") {
      throw new EntraError(400, "invalid_request", 501491, "Invalid or unsupported code_challenge_method. This emulator requires 'S256'.");
    }
    if (codeChallenge && !/^[A-Za-z0-9_-]{43}$/.test(codeChallenge)) {
      throw new EntraError(400, "invalid_request", 501491, "Invalid size of Code_Challenge parameter.");
    }
    const prompt = q.get("prompt");
    if (prompt && !PROMPTS.has(prompt)) {
      throw new EntraError(400, "invalid_request", 90023, `Invalid prompt value '${prompt}'.`);
    }
    const claims = parseClaimsParameter(q.get("claims"));
    pending = ctx.grants.addPending({
      kind: "authorize",
      client,
      tenantId,
      tenantSegment: segment,
      scopes,
      redirectUri,
      platform: registration.platform,
      responseMode,
      state,
      nonce: q.get("nonce"),
      codeChallenge: codeChallenge ?? undefined,
      codeChallengeMethod: codeChallengeMethod ?? undefined,
      prompt: prompt ?? undefined,
      // A UPN, or the opaque `login_hint` claim of an earlier ID token (msal sends that one when present).
      loginHint: loginHintUsername(ctx, q.get("login_hint")?.trim() || undefined),
      clientInfo: q.get("client_info") === "1",
      stepUp: claims.stepUp,
      stepUpAcrs: claims.acrs,
      consentShown: false,
    });
  } catch (e) {
    if (e instanceof EntraError) return fail(e);
    throw e;
  }

  const session = currentSession(ctx, req);
  const sessionUser = session ? ctx.store.userById(session.userOid) : undefined;
  const hintMatches = !pending.loginHint || pending.loginHint.toLowerCase() === sessionUser?.userPrincipalName.toLowerCase();

  // 3. prompt=none: never show UI.
  if (pending.prompt === "none") {
    ctx.counters.count("authorizePromptNone");
    ctx.grants.pending.delete(pending.id);
    // msal-browser names the session it wants with `sid` (from the ID token): another one will not do.
    const sid = q.get("sid");
    const sidMatches = !sid || sid === session?.sid;
    if (!session || !sessionUser || !hintMatches || !sidMatches) {
      return fail(
        new EntraError(
          400,
          "login_required",
          50058,
          "A silent sign-in request was sent but no user is signed in. The cookies used to represent the user's session were not sent in the request to Azure AD. This can happen if the user is using Internet Explorer or Edge, and the web app sending the silent sign-in request is in different IE security zone than the Azure AD endpoint (login.microsoftonline.com).",
        ),
      );
    }
    // A guest's session at the inviting tenant's authority: the guest object signs in there.
    const tenantUser = ctx.store.userInTenant(sessionUser, tenantId);
    if (!tenantUser) {
      return fail(new EntraError(400, "interaction_required", 50020, `User account '${sessionUser.userPrincipalName}' from identity provider does not exist in tenant and cannot access the application '${client.clientId}' in that tenant.`));
    }
    const resource = pending.scopes.resource ?? ctx.store.graph;
    const needMfa = pending.stepUp || mfaRequiredFor(ctx, tenantUser, resource) || authContextsNeedMfa(ctx, tenantUser.tenantId, pending.stepUpAcrs, session.amr);
    if (needMfa && !session.amr.includes("mfa")) {
      return fail(
        new EntraError(
          400,
          "interaction_required",
          50076,
          `Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '${resource.appId}'.`,
        ),
      );
    }
    if (grantedScopes(ctx, client, tenantUser, pending.scopes).missing.length) {
      return fail(
        new EntraError(
          400,
          "consent_required",
          65001,
          `The user or administrator has not consented to use the application with ID '${client.clientId}' named '${client.displayName}'. Send an interactive authorization request for this user and resource.`,
        ),
      );
    }
    pending.expiresAt = nowSeconds() + 60;
    ctx.grants.pending.set(pending.id, pending);
    pending.userOid = tenantUser.id;
    return advance(ctx, req, res, pending, session);
  }

  // 4. Interactive.
  if (pending.prompt === "login" || pending.prompt === "create") {
    return renderSignIn(res, pending, { username: pending.loginHint ?? sessionUser?.userPrincipalName });
  }
  if (pending.prompt === "select_account" && rememberedAccounts(ctx, req).length > 0) {
    return renderAccountPicker(ctx, req, res, pending);
  }
  if (session && sessionUser && hintMatches && pending.prompt !== "select_account") {
    const tenantUser = ctx.store.userInTenant(sessionUser, tenantId);
    if (!tenantUser) return renderSignIn(res, pending, { username: sessionUser.userPrincipalName, error: notInTenantMessage(ctx, sessionUser, pending) });
    pending.userOid = tenantUser.id;
    return advance(ctx, req, res, pending, session);
  }
  return renderSignIn(res, pending);
}

/**
 * The tenant of the path and the app named by `client_id` of a browser request (authorize, admin
 * consent). A problem with either is answered with an error page: there is no redirect URI yet
 * that could be trusted with it.
 */
export function browserRequestClient(
  ctx: EmulatorContext,
  res: ServerResponse,
  q: ReadonlyMap<string, string>,
  segment: string,
  correlationId: string | undefined,
): { tenantId: string | undefined; client: AppRegistration } | undefined {
  let tenantId: string | undefined;
  try {
    tenantId = resolveTenantSegment(ctx, segment).tenantId;
  } catch (e) {
    if (e instanceof EntraError) {
      sendErrorPage(res, e, correlationId);
      return undefined;
    }
    throw e;
  }
  const clientId = q.get("client_id");
  if (!clientId) {
    sendErrorPage(res, new EntraError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'."), correlationId);
    return undefined;
  }
  const client = ctx.store.appByClientId(clientId);
  if (!client) {
    sendErrorPage(res, unknownClient(ctx, clientId, tenantId), correlationId);
    return undefined;
  }
  return { tenantId, client };
}
