// GET|POST /{tenant}/oauth2/v2.0/logout: ends the emulator's session, loads the front-channel
// logout URL of every app the session signed in to (Entra's single sign-out), and returns to
// post_logout_redirect_uri only when it is one of the app's registered redirect URIs. Without a
// logout_hint naming the signed-in account, the user is first asked which account to sign out of
// ("Pick an account"), as Entra does (Microsoft Learn, "Send a sign-out request": logout_hint
// "Enables sign-out to occur without prompting the user to select an account").
import type { IncomingMessage, ServerResponse } from "node:http";
import type { EmulatorContext } from "../context";
import type { Session } from "../grants";
import { appendSetCookie, parseCookies, parseForm, queryParams, readBody, redirect, sendHtml, serializeCookie } from "../http";
import { decodeJwt, stringClaim } from "../jwt";
import { messagePage, signOutAccountPickerPage, signOutPage } from "../pages";
import { userOfLoginHint } from "../tokens";
import type { AppRegistration } from "../types";
import { resolveTenantSegment } from "./discovery";
import { SESSION_COOKIE, rememberedAccounts } from "./signin";

export async function logout(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, url: URL, segment: string): Promise<void> {
  ctx.counters.count("logout");
  // A tenant id, a verified domain, organizations or common; anything else is AADSTS90002 (a page).
  resolveTenantSegment(ctx, segment);
  const q = queryParams(url);
  if (req.method === "POST") for (const [k, v] of parseForm(await readBody(req, 64 * 1024))) if (!q.has(k)) q.set(k, v);
  const session = ctx.grants.liveSession(parseCookies(req).get(SESSION_COOKIE));
  // Only the opaque login_hint claim of the signed-in account counts; a UPN is no hint.
  if (session && userOfLoginHint(ctx, q.get("logout_hint"))?.id !== session.userOid) {
    ctx.counters.count("logoutAccountPicker");
    const pending = ctx.grants.addPendingLogout(q, session.id);
    const accounts = rememberedAccounts(ctx, req);
    const sessionUser = ctx.store.userById(session.userOid);
    if (sessionUser && !accounts.some((a) => a.id === sessionUser.id)) accounts.unshift(sessionUser);
    const page = signOutAccountPickerPage({
      pendingId: pending.id,
      accounts: accounts.map((u) => ({ oid: u.id, username: u.userPrincipalName, displayName: u.displayName, signedIn: u.id === session.userOid })),
    });
    sendHtml(res, 200, page.html, page.headers);
    return;
  }
  finishSignOut(ctx, res, q, session);
}

/** POST /_login/sign-out-account: the account picked on "Pick an account"; the sign-out carries on. */
export async function postSignOutAccount(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const form = parseForm(await readBody(req, 16 * 1024));
  const pending = ctx.grants.takePendingLogout(form.get("pending"));
  if (!pending) {
    const page = messagePage("Sign-out session expired", "Go back to the application and sign out again.");
    sendHtml(res, 400, page.html, page.headers);
    return;
  }
  const session = ctx.grants.liveSession(parseCookies(req).get(SESSION_COOKIE));
  // Picking the signed-in account signs it out; another (remembered, not signed in) leaves it be.
  const ending = session && session.id === pending.sessionId && session.userOid === form.get("account") ? session : undefined;
  finishSignOut(ctx, res, new Map(pending.params), ending);
}

/** Ends `session` (if any), then the single sign-out frames and the way back, as the request asked. */
function finishSignOut(ctx: EmulatorContext, res: ServerResponse, q: Map<string, string>, session: Session | undefined): void {
  if (session) {
    ctx.grants.sessions.delete(session.id);
    appendSetCookie(res, serializeCookie(SESSION_COOKIE, "", { maxAge: 0 }));
  }
  const target = q.get("post_logout_redirect_uri");
  const returnTo = target && isRegisteredRedirect(target, clientsOf(ctx, q, session)) ? withState(target, q.get("state")) : undefined;
  const frames = session ? frontChannelLogoutUrls(ctx, session) : [];

  if (frames.length > 0) {
    const page = signOutPage({ frames, returnTo });
    sendHtml(res, 200, page.html, page.headers);
    return;
  }
  if (returnTo) {
    redirect(res, returnTo);
    return;
  }
  const page = messagePage(
    "You signed out of your account",
    target
      ? "It's a good idea to close all browser windows. (The app's sign-out address is not one of its registered redirect URIs, so you were not sent back to it.)"
      : "It's a good idea to close all browser windows.",
  );
  sendHtml(res, 200, page.html, page.headers);
}

/**
 * The apps whose redirect URIs may be the post-logout target: the one named by client_id or by the
 * id_token_hint's audience; otherwise (msal-browser sends neither) the apps this browser session
 * signed in to. No client and no session: none.
 */
function clientsOf(ctx: EmulatorContext, q: Map<string, string>, session: Session | undefined): AppRegistration[] {
  const hint = q.get("id_token_hint");
  const hintAud = hint ? stringClaim(decodeJwt(hint)?.payload ?? {}, "aud") : undefined;
  const clientId = (q.get("client_id") ?? hintAud)?.toLowerCase();
  if (clientId) return ctx.store.apps.filter((a) => a.clientId === clientId);
  const signedIn = session ? [...session.signedInApps.keys()] : [];
  return ctx.store.apps.filter((a) => signedIn.includes(a.clientId));
}

/** Entra: "This URL must match one of the redirect URIs registered for your application." Exactly. */
function isRegisteredRedirect(target: string, apps: AppRegistration[]): boolean {
  return apps.some((a) => a.redirects.some((r) => r.platform !== "native" && r.uri === target));
}

function withState(target: string, state: string | undefined): string {
  if (!state) return target;
  const u = new URL(target);
  u.searchParams.set("state", state);
  return u.toString();
}

/**
 * `<the app's front-channel logout URL>?sid=<session sid>` for every app the session signed in to:
 * one URL per registration, whichever origin the app signed in from. Entra sends `sid` only.
 */
function frontChannelLogoutUrls(ctx: EmulatorContext, session: Session): { url: string; appName: string }[] {
  const out: { url: string; appName: string }[] = [];
  for (const clientId of session.signedInApps.keys()) {
    const app = ctx.store.apps.find((a) => a.clientId === clientId);
    if (!app?.frontChannelLogoutUrl) continue;
    const u = new URL(app.frontChannelLogoutUrl);
    u.searchParams.set("sid", session.sid);
    out.push({ url: u.toString(), appName: app.displayName });
  }
  return out;
}
