// GET|POST /{tenant}/oauth2/v2.0/logout: ends the emulator's session and
// returns to post_logout_redirect_uri only when it is registered.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { EmulatorContext } from "../context";
import { appendSetCookie, parseCookies, parseForm, queryParams, readBody, redirect, sendHtml, serializeCookie } from "../http";
import { decodeJwt, stringClaim } from "../jwt";
import { messagePage } from "../pages";
import { SESSION_COOKIE } from "./signin";

export async function logout(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  ctx.counters.count("logout");
  const q = queryParams(url);
  if (req.method === "POST") for (const [k, v] of parseForm(await readBody(req, 64 * 1024))) if (!q.has(k)) q.set(k, v);
  const sessionId = parseCookies(req).get(SESSION_COOKIE);
  if (sessionId) ctx.grants.sessions.delete(sessionId);
  appendSetCookie(res, serializeCookie(SESSION_COOKIE, "", { maxAge: 0 }));

  const target = q.get("post_logout_redirect_uri");
  // The client comes from client_id or the id_token_hint's audience; without either,
  // any app's registration is accepted (msal-browser may send neither).
  const hint = q.get("id_token_hint");
  const hintAud = hint ? stringClaim(decodeJwt(hint)?.payload ?? {}, "aud") : undefined;
  const clientId = q.get("client_id") ?? hintAud;
  const apps = clientId ? ctx.store.apps.filter((a) => a.clientId === clientId.toLowerCase()) : ctx.store.apps;
  if (target && apps.some((a) => a.postLogoutRedirectUris.includes(target))) {
    const u = new URL(target);
    const state = q.get("state");
    if (state) u.searchParams.set("state", state);
    redirect(res, u.toString());
    return;
  }
  const page = messagePage(
    "You signed out of your account",
    target
      ? "It's a good idea to close all browser windows. (The app's sign-out address is not registered, so you were not sent back to it.)"
      : "It's a good idea to close all browser windows.",
  );
  sendHtml(res, 200, page.html, page.headers);
}
