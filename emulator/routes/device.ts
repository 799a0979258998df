// Device authorization grant: POST /{tenant}/oauth2/v2.0/devicecode issues the
// codes, /devicelogin is where the user types the code and signs in.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { EmulatorContext } from "../context";
import { audienceError } from "../audience";
import { unlistedResourceError } from "../consent";
import { EntraError } from "../errors";
import { nowSeconds } from "../grants";
import { parseForm, readBody, sendHtml, sendJson } from "../http";
import { deviceCodeEntryPage, messagePage } from "../pages";
import { resolveScopes } from "../scopes";
import { resolveTenantSegment } from "./discovery";
import { renderSignIn } from "./signin";
import { unknownClient } from "./client-auth";

export async function deviceCode(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, segment: string): Promise<void> {
  ctx.counters.count("deviceCode");
  const { tenantId } = resolveTenantSegment(ctx, segment);
  const form = parseForm(await readBody(req));
  const clientId = form.get("client_id");
  if (!clientId) throw new EntraError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.");
  const client = ctx.store.appByClientId(clientId);
  if (!client) throw unknownClient(ctx, clientId, tenantId);
  const wrongAudience = audienceError(ctx, client, tenantId);
  if (wrongAudience) throw wrongAudience;
  if (!client.publicClient || client.redirects.some((r) => r.platform === "spa")) {
    throw new EntraError(
      400,
      "invalid_client",
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    );
  }
  const scopes = resolveScopes(ctx.store, form.get("scope"));
  const unlisted = unlistedResourceError(ctx, client, scopes);
  if (unlisted) throw unlisted;
  const grant = ctx.grants.addDeviceGrant(client.clientId, tenantId, scopes, ctx.settings.deviceCodeLifetimeSeconds);
  const verificationUri = `${ctx.baseUrl}/devicelogin`;
  sendJson(res, 200, {
    user_code: grant.userCode,
    device_code: grant.deviceCode,
    verification_uri: verificationUri,
    expires_in: ctx.settings.deviceCodeLifetimeSeconds,
    interval: ctx.settings.deviceCodeIntervalSeconds,
    message: `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${grant.userCode} to authenticate.`,
  });
}

export function deviceLoginPage(res: ServerResponse): void {
  const page = deviceCodeEntryPage();
  sendHtml(res, 200, page.html, page.headers);
}

/** POST /devicelogin: the user typed a code; start the sign-in for it. */
export async function deviceLoginSubmit(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const form = parseForm(await readBody(req, 16 * 1024));
  const code = (form.get("otc") ?? "").trim();
  const grant = code ? ctx.grants.deviceByUserCode(code) : undefined;
  if (!grant || grant.status !== "pending" || grant.expiresAt < nowSeconds()) {
    const page = deviceCodeEntryPage({
      code,
      error: grant && grant.expiresAt < nowSeconds() ? "That code has expired. Get a new code from your device and try again." : "That code didn't work. Check the code and try again.",
    });
    sendHtml(res, 200, page.html, page.headers);
    return;
  }
  const client = ctx.store.appByClientId(grant.clientId);
  if (!client) {
    const page = messagePage("Sign in failed", "The application that requested this code no longer exists.");
    sendHtml(res, 400, page.html, page.headers);
    return;
  }
  const pending = ctx.grants.addPending({
    kind: "device",
    client,
    tenantId: grant.tenantId,
    tenantSegment: grant.tenantId ?? "organizations",
    scopes: grant.scopes,
    responseMode: "query",
    clientInfo: false,
    stepUp: false,
    consentShown: false,
    deviceCode: grant.deviceCode,
  });
  renderSignIn(res, pending);
}
