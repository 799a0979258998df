// The HTTPS server and its explicit router. Every request is answered: handler
// errors become Entra/Graph/ARM-shaped responses, never a crash.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { EmulatorContext } from "./context";
import { control } from "./control";
import { EntraError } from "./errors";
import type { FaultTarget } from "./faults";
import { BodyTooLargeError, delay, sendHtml, sendJson } from "./http";
import { indexPage } from "./pages";
import { sendEntraError, sendErrorPage } from "./respond";
import { adminConsent } from "./routes/admin-consent";
import { arm } from "./routes/arm";
import { authorize } from "./routes/authorize";
import { deviceCode, deviceLoginPage, deviceLoginSubmit } from "./routes/device";
import { CORS_ANY, instanceDiscovery, jwks, openIdConfiguration, userRealm } from "./routes/discovery";
import { graph } from "./routes/graph";
import { logout, postSignOutAccount } from "./routes/logout";
import { managedIdentityToken } from "./routes/msi";
import { postAccount, postConsent, postCredentials, postMfa } from "./routes/signin";
import { token, corsPreflight } from "./routes/token";

export function createEmulatorServer(ctx: EmulatorContext, tls: { key: string; cert: string }): Server {
  const server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    handle(ctx, req, res).catch((err: unknown) => internalError(ctx, req, res, err));
  });
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  // Malformed HTTP or TLS garbage: answer 400 if possible and drop the socket.
  server.on("clientError", (_err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });
  return server;
}

function internalError(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, err: unknown): void {
  if (err instanceof BodyTooLargeError) {
    sendEntraError(ctx, req, res, new EntraError(413, "invalid_request", 90014, "The request body is too large."));
    return;
  }
  // Log the kind of failure only: request bodies may hold secrets or tokens.
  console.error(`[emulator] internal error on ${req.method ?? "?"} ${(req.url ?? "").split("?")[0] ?? ""}: ${err instanceof Error ? err.message : String(err)}`);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendEntraError(ctx, req, res, new EntraError(500, "server_error", 50000, "There was an error issuing a token or an issue with our sign-in service."));
}

/** Injected faults for Entra endpoints (token, jwks, discovery). Returns true when it answered. */
async function entraFault(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, target: FaultTarget): Promise<boolean> {
  const fault = ctx.faults.take(target);
  if (!fault) return false;
  if (fault.kind === "delay") {
    await delay(fault.delayMs);
    return false;
  }
  const headers: Record<string, string> = { ...CORS_ANY };
  if (fault.retryAfter !== undefined) headers["retry-after"] = String(fault.retryAfter);
  const err =
    fault.mode === "throttle"
      ? new EntraError(fault.status, "temporarily_unavailable", 90055, "TenantThrottlingError: There are too many incoming requests. Please try again later.")
      : fault.mode === "down"
        ? new EntraError(fault.status, "temporarily_unavailable", 90033, "A transient error has occurred. Please try again.")
        : new EntraError(fault.status, "server_error", 50000, "There was an error issuing a token or an issue with our sign-in service (injected fault).");
  sendEntraError(ctx, req, res, err, headers);
  return true;
}

async function handle(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let url: URL;
  try {
    url = new URL(req.url ?? "/", ctx.baseUrl);
  } catch {
    sendJson(res, 400, { error: "invalid_request", error_description: "Malformed request URL." });
    return;
  }
  const path = url.pathname;
  const method = req.method ?? "GET";
  // CORS preflight for any public endpoint (browsers calling Graph/ARM or Entra with custom headers).
  if (method === "OPTIONS" && !path.startsWith("/_control")) return corsPreflight(req, res);

  if (path === "/_control" || path.startsWith("/_control/")) return control(ctx, req, res, path.slice("/_control".length) || "/");
  if (path === "/graph" || path.startsWith("/graph/")) return graph(ctx, req, res, url, path.slice("/graph".length));
  if (path === "/arm" || path.startsWith("/arm/")) return arm(ctx, req, res, url, path.slice("/arm".length));
  if (path === "/msi/token") return managedIdentityToken(ctx, req, res, url);
  if (path === "/_health") return sendJson(res, 200, { status: "ok" });
  if (path === "/") {
    const t = ctx.store.primaryTenant;
    const page = indexPage({ baseUrl: ctx.baseUrl, tenantId: t.id, tenantName: t.displayName });
    return sendHtml(res, 200, page.html, page.headers);
  }
  if (path === "/favicon.ico") {
    res.writeHead(204);
    res.end();
    return;
  }
  if (path === "/devicelogin") {
    if (method === "POST") return deviceLoginSubmit(ctx, req, res);
    return deviceLoginPage(res);
  }
  if (path.startsWith("/_login/") && method === "POST") {
    switch (path) {
      case "/_login/credentials":
        return postCredentials(ctx, req, res);
      case "/_login/account":
        return postAccount(ctx, req, res);
      case "/_login/mfa":
        return postMfa(ctx, req, res);
      case "/_login/consent":
        return postConsent(ctx, req, res);
      case "/_login/sign-out-account":
        return postSignOutAccount(ctx, req, res);
    }
  }
  if (path === "/error") {
    return sendJson(res, 200, { code: url.searchParams.get("code"), message: "See the error_description of the response that linked here." });
  }

  const userRealmMatch = /^\/common\/userrealm\/([^/]+)\/?$/i.exec(path);
  if (userRealmMatch) {
    ctx.counters.count("discovery");
    return userRealm(ctx, res, safeDecode(userRealmMatch[1] ?? ""));
  }

  // /{tenant}/... protocol endpoints
  const m = /^\/([^/]+)(\/.*)$/.exec(path);
  const segment = safeDecode(m?.[1] ?? "");
  const rest = (m?.[2] ?? "").replace(/\/+$/, "");
  try {
    switch (rest) {
      case "/v2.0/.well-known/openid-configuration":
      case "/.well-known/openid-configuration":
        ctx.counters.count("discovery");
        if (await entraFault(ctx, req, res, "discovery")) return;
        return openIdConfiguration(ctx, res, segment);
      case "/discovery/v2.0/keys":
      case "/discovery/keys":
        ctx.counters.count("jwks");
        if (await entraFault(ctx, req, res, "jwks")) return;
        return jwks(ctx, res, segment);
      case "/discovery/instance":
        ctx.counters.count("discovery");
        if (await entraFault(ctx, req, res, "discovery")) return;
        return instanceDiscovery(ctx, res, url);
      case "/oauth2/v2.0/authorize":
        return await authorize(ctx, req, res, url, segment);
      case "/oauth2/v2.0/token":
        if (await entraFault(ctx, req, res, "token")) return;
        return await token(ctx, req, res, segment);
      case "/oauth2/v2.0/devicecode":
        if (method !== "POST") throw new EntraError(400, "invalid_request", 900561, `The endpoint only accepts POST requests. Received a ${method} request.`);
        if (await entraFault(ctx, req, res, "token")) return;
        return await deviceCode(ctx, req, res, segment);
      case "/oauth2/v2.0/logout":
        return await logout(ctx, req, res, url, segment);
      case "/adminconsent":
        return adminConsent(ctx, req, res, url, segment);
    }
  } catch (e) {
    if (e instanceof EntraError) {
      if (rest === "/oauth2/v2.0/authorize" || rest === "/oauth2/v2.0/logout") return sendErrorPage(res, e);
      return sendEntraError(ctx, req, res, e, CORS_ANY);
    }
    throw e;
  }
  sendJson(res, 404, {
    error: "not_found",
    error_description: `No emulator endpoint at ${method} ${path}.`,
    correlation_id: randomUUID(),
  });
}

/** Percent-decoding that never throws (a malformed escape is kept as typed). */
function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
