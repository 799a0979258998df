import "server-only";
import { getVerifier } from "@/lib/auth";
import type { ViewRequest } from "@/lib/authz";
import type { ProtectedView } from "@/lib/config";
import { isApiError } from "@/lib/errors";
import { describeError, log } from "@/lib/http/log";
import { ServerTiming } from "@/lib/http/server-timing";
import type { SessionUser } from "@/lib/session";
import { SignInRequiredError, acquireWebToken, signInPath } from "./flow";
import { openPage, signedInJustNow, type PageError } from "./page-data";

/** What a server-rendered view of the API's data (/web/subscriptions, /web/directory) renders. */
export type WebViewState<T> =
  | { kind: "not_configured"; emulator: boolean }
  | { kind: "signed_out" }
  | { kind: "error"; error: PageError; correlationId: string; user?: SessionUser }
  /** 403 role_required: the page that says which role to ask an administrator for. */
  | { kind: "role_required"; role: string; detail: string; user: SessionUser; correlationId: string }
  | { kind: "ok"; data: T; user: SessionUser; correlationId: string }
  /** Sign in (again): no token, or a step-up with claims. Server Components call redirect() with it. */
  | { kind: "redirect"; location: string };

/** Marks a return from a step-up, so a second challenge shows the failure instead of looping. */
export const STEPPED_UP = "stepped-up";

/**
 * A view of the API's data rendered on the server, under the SAME rules as the API route: the web
 * app gets an access token for this app's API from the user's server-side cache partition (the
 * roles, groups and acrs the SPA's token would carry), verifies it with the API's verifier (the web
 * app as the only accepted client, azp), and runs the view's function (authorization included). A
 * claims challenge (the view's authentication context, or Conditional Access on the downstream
 * call) sends the user through sign-in with those claims once: coming back still challenged
 * (`?stepped-up=1`) shows the failure, never another redirect.
 */
export async function loadWebView<T>(view: ProtectedView, path: string, searchParams: Record<string, string | string[] | undefined>, run: (request: ViewRequest) => Promise<T>): Promise<WebViewState<T>> {
  const opened = await openPage();
  if (opened.kind !== "ready") return opened;
  const { config, web, user, correlationId } = opened;
  const apiScope = [config.api.scope];
  const steppedUp = searchParams[STEPPED_UP] === "1";
  try {
    const token = await acquireWebToken(web, user, correlationId, apiScope);
    const { caller } = await getVerifier(config).verify(token.accessToken, { allowedClientIds: [web.web.clientId] });
    const data = await run({ caller, config, correlationId, timing: new ServerTiming() });
    return { kind: "ok", data, user, correlationId };
  } catch (e) {
    if (e instanceof SignInRequiredError) {
      if (e.reason === "no_account" && signedInJustNow(user)) return tokenUnavailable(user, correlationId, e);
      return { kind: "redirect", location: signInPath({ returnTo: path, scopes: apiScope, claims: e.claims }) };
    }
    if (isApiError(e) && e.code === "role_required") {
      return { kind: "role_required", role: e.requiredRole ?? config.authorization.views[view].role, detail: e.detail, user, correlationId };
    }
    if (isApiError(e) && e.code === "insufficient_claims" && e.claims) {
      if (steppedUp) {
        log("warn", "webauth.step_up_not_satisfied", { correlationId, view });
        return {
          kind: "error",
          user,
          correlationId,
          error: { code: "claims_challenge_failed", title: "Access policy not satisfied", detail: "Your sign-in did not meet your organization's access policy for this page, even after verifying again. Contact your administrator." },
        };
      }
      return { kind: "redirect", location: signInPath({ returnTo: `${path}?${STEPPED_UP}=1`, scopes: apiScope, claims: e.claims }) };
    }
    if (isApiError(e)) return { kind: "error", user, correlationId, error: { code: e.code, title: e.title, detail: e.detail } };
    log("error", "webauth.view_failed", { correlationId, view, error: describeError(e) });
    return { kind: "error", user, correlationId, error: { code: "internal_error", title: "Something went wrong", detail: "The page could not be built. Try again; if it persists, report the correlation id." } };
  }
}

function tokenUnavailable(user: SessionUser, correlationId: string, e: SignInRequiredError): WebViewState<never> {
  log("warn", "webauth.token_missing_after_sign_in", { correlationId, error: describeError(e.cause ?? e) });
  return {
    kind: "error",
    user,
    correlationId,
    error: {
      code: "token_unavailable",
      title: "No token for this app's API",
      detail: "You signed in moments ago, but the app's server-side token cache no longer holds your tokens. Sign out and sign in again; if it persists, check the token cache configuration (TOKEN_CACHE_MAX_USERS, REDIS_URL).",
    },
  };
}
