// GET /{tenant}/adminconsent?client_id=…[&redirect_uri=…][&state=…]: an administrator grants an
// app's configured permissions for every user of their tenant, then returns to one of the app's
// registered redirect URIs with admin_consent=True&tenant=<tid>&state (Entra's tenant-wide admin
// consent URL). Problems with the app or the redirect URI are answered with a page.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { EmulatorContext } from "../context";
import { EntraError } from "../errors";
import { queryParams } from "../http";
import { correlationIdOf, sendErrorPage } from "../respond";
import type { RedirectRegistration } from "../types";
import { browserRequestClient, matchRedirect, redirectMismatch } from "./authorize";
import { advance, currentSession, renderSignIn } from "./signin";

export function adminConsent(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, url: URL, segment: string): void {
  ctx.counters.count("adminConsent");
  const q = queryParams(url);
  const correlationId = correlationIdOf(req, url);
  const found = browserRequestClient(ctx, res, q, segment, correlationId);
  if (!found) return;
  const { tenantId, client } = found;

  // The answer goes to a registered redirect URI only: the one asked for, else the app's first.
  const asked = q.get("redirect_uri");
  let registration: RedirectRegistration | undefined;
  if (asked) {
    registration = matchRedirect(client, asked);
    if (!registration) return sendErrorPage(res, redirectMismatch(client, asked), correlationId);
  } else {
    registration = client.redirects.find((r) => r.platform === "web") ?? client.redirects[0];
    if (!registration) {
      return sendErrorPage(res, new EntraError(400, "invalid_request", 500113, "No reply address is registered for the application."), correlationId);
    }
  }
  const redirectUri = asked ?? registration.uri;

  const pending = ctx.grants.addPending({
    kind: "adminConsent",
    client,
    tenantId,
    tenantSegment: segment,
    scopes: { names: [], isDefault: false, oidc: [], bare: false, raw: "" },
    redirectUri,
    platform: registration.platform,
    responseMode: "query",
    state: q.get("state") ?? undefined,
    clientInfo: false,
    stepUp: false,
    consentShown: false,
  });
  const session = currentSession(ctx, req);
  const sessionUser = session ? ctx.store.userById(session.userOid) : undefined;
  if (session && sessionUser && (!tenantId || sessionUser.tenantId === tenantId)) {
    pending.userOid = sessionUser.id;
    return advance(ctx, req, res, pending, session);
  }
  renderSignIn(res, pending);
}
