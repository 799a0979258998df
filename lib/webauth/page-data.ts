import "server-only";
import { cookies, headers } from "next/headers";
import { cache } from "react";
import { getConfig, type AppConfig } from "@/lib/config";
import { correlationIdFrom } from "@/lib/http/correlation";
import { describeError, log } from "@/lib/http/log";
import type { SessionUser, WebSessionData } from "@/lib/session";
import { displayClaims, type DisplayClaims } from "./claims";
import type { WebAppConfig } from "./client";
import { WebAuthError, badHost, internalError } from "./errors";
import { SignInRequiredError, acquireWebToken, signInPath } from "./flow";
import { fetchGraphMe, type GraphMeResult } from "./graph";
import { OriginError, isSecureOrigin, publicOrigin } from "./origin";
import { readWebSession } from "./web-session";

/** A failure shown in a panel on /web (stable code, what happened, what to do). */
export interface PageError {
  code: string;
  title: string;
  detail: string;
}

/** What the /web page renders. */
export type WebPageState =
  | { kind: "not_configured"; emulator: boolean }
  | { kind: "error"; error: PageError; correlationId: string; user?: SessionUser }
  | { kind: "signed_out" }
  | {
      kind: "signed_in";
      user: SessionUser;
      graph: GraphMeResult;
      token: { claims?: DisplayClaims; expiresOn: Date | null; fromCache: boolean; scopes: string[] };
      correlationId: string;
    }
  /** The page must send the browser here (Server Components call redirect() with it). */
  | { kind: "redirect"; location: string };

/** The request's session, revocation-checked once and shared by the /web layout and page. */
const pageSession = cache(async (secure: boolean): Promise<WebSessionData> => readWebSession(await cookies(), getConfig(), secure));

/** Who is signed in, for the /web layout's header (no token; the page explains a store outage). */
export async function currentWebUser(): Promise<{ configured: boolean; emulator: boolean; user?: SessionUser }> {
  let config: AppConfig;
  try {
    config = getConfig();
  } catch {
    return { configured: false, emulator: false };
  }
  if (!config.web) return { configured: false, emulator: config.mode === "emulator" };
  const h = await headers();
  let secure: boolean;
  try {
    secure = isSecureOrigin(publicOrigin(h, "http://localhost/", config.publicUrl));
  } catch {
    return { configured: true, emulator: config.mode === "emulator" };
  }
  let user: SessionUser | undefined;
  try {
    user = (await pageSession(secure)).user;
  } catch {
    user = undefined; // sessions cannot be checked: nobody is shown as signed in (the page says why)
  }
  return { configured: true, emulator: config.mode === "emulator", user };
}

/**
 * A user who signed in this recently and whose partition is already empty is not sent round again:
 * sign-in would complete silently (single sign-on at the identity provider) and land here with the
 * same empty partition, forever. (Interaction the identity provider asks for shows its own page,
 * so that case always redirects.)
 */
const LOOP_GUARD_MS = 60_000;

/** A page whose visitor is signed in to the web app, or the state to render instead (not configured, signed out, an error). */
export type OpenedPage =
  | { kind: "ready"; config: AppConfig; web: WebAppConfig; user: SessionUser; correlationId: string }
  | { kind: "not_configured"; emulator: boolean }
  | { kind: "error"; error: PageError; correlationId: string; user?: SessionUser }
  | { kind: "signed_out" };

/** The request's web session, revocation-checked: who is signed in, or why the page cannot say. */
export async function openPage(): Promise<OpenedPage> {
  const h = await headers();
  const correlationId = correlationIdFrom(h);
  const config = getConfig();
  if (!config.web) return { kind: "not_configured", emulator: config.mode === "emulator" };
  const web = config as WebAppConfig;

  let secure: boolean;
  try {
    secure = isSecureOrigin(publicOrigin(h, "http://localhost/", config.publicUrl));
  } catch (e) {
    const { code, title, detail } = e instanceof OriginError ? badHost() : internalError(e);
    return { kind: "error", error: { code, title, detail }, correlationId };
  }
  let session: WebSessionData;
  try {
    session = await pageSession(secure);
  } catch (e) {
    if (!(e instanceof WebAuthError)) log("error", "webauth.page_failed", { correlationId, error: describeError(e) });
    else log("warn", "webauth.session_unverifiable", { correlationId, code: e.code });
    const { code, title, detail } = e instanceof WebAuthError ? e : internalError(e);
    return { kind: "error", error: { code, title, detail }, correlationId };
  }
  const user = session.user;
  if (!user) return { kind: "signed_out" };
  return { kind: "ready", config, web, user, correlationId };
}

/** A sign-in this recent with an empty token partition is not sent round again (see loadWebPage). */
export function signedInJustNow(user: SessionUser): boolean {
  return Date.now() - user.signedInAt < LOOP_GUARD_MS;
}

/**
 * Everything /web shows, computed on the server: session -> silent token from the user's cache
 * partition -> Graph /me -> decoded claims. The access token is used here and dropped; only the
 * profile, the raw JSON and the decoded non-secret claims go into the page.
 */
export async function loadWebPage(returnTo = "/web"): Promise<WebPageState> {
  const opened = await openPage();
  if (opened.kind !== "ready") return opened;
  const { config, web, user, correlationId } = opened;

  let token;
  let graph: GraphMeResult;
  try {
    token = await acquireWebToken(web, user, correlationId);
    graph = await fetchGraphMe(config, token.accessToken, correlationId);
  } catch (e) {
    if (e instanceof SignInRequiredError) {
      if (e.reason === "no_account" && signedInJustNow(user)) {
        log("warn", "webauth.token_missing_after_sign_in", { correlationId, error: describeError(e.cause ?? e) });
        return {
          kind: "error",
          user,
          correlationId,
          error: {
            code: "token_unavailable",
            title: "No token for Microsoft Graph",
            detail:
              "You signed in moments ago, but the app's server-side token cache no longer holds your tokens (it may be unavailable, or full). Sign out and sign in again; if it persists, check the token cache configuration (TOKEN_CACHE_MAX_USERS, REDIS_URL).",
          },
        };
      }
      return { kind: "redirect", location: signInPath({ returnTo, scopes: e.scopes, claims: e.claims }) };
    }
    if (!(e instanceof WebAuthError)) log("error", "webauth.page_failed", { correlationId, error: describeError(e) });
    const { code, title, detail } = e instanceof WebAuthError ? e : internalError(e);
    return { kind: "error", error: { code, title, detail }, correlationId, user };
  }

  if (!graph.ok) log("warn", "webauth.graph_failed", { correlationId, status: graph.status, code: graph.code });
  return {
    kind: "signed_in",
    user,
    graph,
    token: { claims: displayClaims(token.accessToken), expiresOn: token.expiresOn, fromCache: token.fromCache, scopes: token.scopes },
    correlationId,
  };
}
