// The HTTPS server and its explicit router. Every request is answered: handler
// errors become Entra/Graph/ARM-shaped responses, never a crash.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import { createSecureContext, type SecureContext } from "node:tls";
import type { EmulatorContext } from "./context";
import { control } from "./control";
import { EntraError } from "./errors";
import type { FaultTarget } from "./faults";
import type { HostRouter } from "./hosts";
import { BodyTooLargeError, delay, sendHtml, sendJson } from "./http";
import { indexPage } from "./pages";
import { sendEntraError, sendErrorPage } from "./respond";
import { adminConsent } from "./routes/admin-consent";
import { arm } from "./routes/arm";
import { authorize } from "./routes/authorize";
import { deviceCode, deviceLoginPage, deviceLoginSubmit } from "./routes/device";
import { CORS_ANY, jwks, openIdConfiguration, userRealm } from "./routes/discovery";
import { graph } from "./routes/graph";
import { instanceDiscovery } from "./routes/instance-discovery";
import { logout, postSignOutAccount } from "./routes/logout";
import { managedIdentityToken } from "./routes/msi";
import { postAccount, postConsent, postCredentials, postMfa } from "./routes/signin";
import { token, corsPreflight } from "./routes/token";

export interface TlsMaterial {
  key: string;
  cert: string;
}

/**
 * @param tls the localhost certificate (presented for any other server name too)
 * @param microsoftHosts the certificate for the cloud's own host names, presented to clients that
 *   ask for one of those names (SNI); without it those names get the localhost certificate, and
 *   the router refuses them
 */
export function createEmulatorServer(ctx: EmulatorContext, router: HostRouter, tls: TlsMaterial, microsoftHosts?: { names: readonly string[]; tls: TlsMaterial }): Server {
  let microsoft: SecureContext | undefined;
  const names = new Set(microsoftHosts?.names ?? []);
  const server = createServer(
    {
      key: tls.key,
      cert: tls.cert,
      SNICallback: (servername, done) => {
        if (microsoftHosts && names.has(servername.toLowerCase())) {
          microsoft ??= createSecureContext({ key: microsoftHosts.tls.key, cert: microsoftHosts.tls.cert });
          done(null, microsoft);
        } else {
          done(null, undefined); // the default (localhost) certificate
        }
      },
    },
    (req, res) => {
      handle(ctx, router, req, res).catch((err: unknown) => internalError(ctx, req, res, err));
    },
  );
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

async function handle(shared: EmulatorContext, router: HostRouter, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const target = router.resolve(req);
  if (!target.ok) {
    sendJson(res, 421, { error: "misdirected_request", error_description: target.reason, correlation_id: randomUUID() }, { connection: "close" });
    return;
  }
  const ctx = target.ctx;
  let url: URL;
  try {
    url = new URL(req.url ?? "/", `https://${target.host}`);
  } catch {
    sendJson(res, 400, { error: "invalid_request", error_description: "Malformed request URL." });
    return;
  }
  const path = url.pathname;
  const method = req.method ?? "GET";
  const isControl = target.role === "local" && (path === "/_control" || path.startsWith("/_control/"));
  if (!isControl) shared.counters.countHost(target.host);
  switch (target.role) {
    case "graph":
      if (method === "OPTIONS") return corsPreflight(req, res);
      return graph(ctx, req, res, url, path);
    case "arm":
      if (method === "OPTIONS") return corsPreflight(req, res);
      return arm(ctx, req, res, url, path);
    case "instanceDiscovery": {
      // A national cloud's run: the worldwide host answers the one request MSAL sends it.
      const segment = /^\/([^/]+)\/discovery\/instance\/?$/.exec(path);
      if (method === "OPTIONS") return corsPreflight(req, res);
      if (segment) {
        await entraEndpoint(ctx, req, res, url, "/discovery/instance", method);
        return;
      }
      sendJson(res, 421, { error: "misdirected_request", error_description: `This identity emulator plays ${ctx.cloud.displayName}: ${target.host} answers instance discovery only.`, correlation_id: randomUUID() });
      return;
    }
    case "entra":
      return entra(ctx, req, res, url);
    case "local":
      return local(ctx, req, res, url);
  }
}

/** localhost: the control API, Graph under /graph, ARM under /arm, the managed identity endpoint, then Entra. */
async function local(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const path = url.pathname;
  const method = req.method ?? "GET";
  // CORS preflight for any public endpoint (browsers calling Graph/ARM or Entra with custom headers).
  if (method === "OPTIONS" && !path.startsWith("/_control")) return corsPreflight(req, res);

  if (path === "/_control" || path.startsWith("/_control/")) return control(ctx, req, res, path.slice("/_control".length) || "/");
  if (path === "/graph" || path.startsWith("/graph/")) return graph(ctx, req, res, url, path.slice("/graph".length));
  if (path === "/arm" || path.startsWith("/arm/")) return arm(ctx, req, res, url, path.slice("/arm".length));
  if (path === "/msi/token") return managedIdentityToken(ctx, req, res, url);
  if (path === "/_health") return sendJson(res, 200, { status: "ok" });
  return entra(ctx, req, res, url);
}

/** Entra ID's endpoints and pages (at localhost or at the cloud's sign-in host). */
async function entra(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const path = url.pathname;
  const method = req.method ?? "GET";
  if (method === "OPTIONS") return corsPreflight(req, res);
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
  const rest = (m?.[2] ?? "").replace(/\/+$/, "");
  if (await entraEndpoint(ctx, req, res, url, rest, method)) return;
  sendJson(res, 404, {
    error: "not_found",
    error_description: `No emulator endpoint at ${method} ${path}.`,
    correlation_id: randomUUID(),
  });
}

/** The /{tenant}/<rest> endpoints; false when `rest` names none. */
async function entraEndpoint(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, url: URL, rest: string, method: string): Promise<boolean> {
  const segment = safeDecode(/^\/([^/]+)\//.exec(url.pathname)?.[1] ?? "");
  try {
    switch (rest) {
      case "/v2.0/.well-known/openid-configuration":
      case "/.well-known/openid-configuration":
        ctx.counters.count("discovery");
        if (await entraFault(ctx, req, res, "discovery")) return true;
        openIdConfiguration(ctx, res, segment);
        return true;
      case "/discovery/v2.0/keys":
      case "/discovery/keys":
        ctx.counters.count("jwks");
        if (await entraFault(ctx, req, res, "jwks")) return true;
        jwks(ctx, res, segment);
        return true;
      case "/discovery/instance":
        ctx.counters.count("discovery");
        ctx.counters.count("instanceDiscovery");
        if (await entraFault(ctx, req, res, "discovery")) return true;
        instanceDiscovery(ctx, req, res, url);
        return true;
      case "/oauth2/v2.0/authorize":
        await authorize(ctx, req, res, url, segment);
        return true;
      case "/oauth2/v2.0/token":
        if (await entraFault(ctx, req, res, "token")) return true;
        await token(ctx, req, res, segment);
        return true;
      case "/oauth2/v2.0/devicecode":
        if (method !== "POST") throw new EntraError(400, "invalid_request", 900561, `The endpoint only accepts POST requests. Received a ${method} request.`);
        if (await entraFault(ctx, req, res, "token")) return true;
        await deviceCode(ctx, req, res, segment);
        return true;
      case "/oauth2/v2.0/logout":
        await logout(ctx, req, res, url, segment);
        return true;
      case "/adminconsent":
        adminConsent(ctx, req, res, url, segment);
        return true;
    }
  } catch (e) {
    if (e instanceof EntraError) {
      if (rest === "/oauth2/v2.0/authorize" || rest === "/oauth2/v2.0/logout") sendErrorPage(res, e);
      else sendEntraError(ctx, req, res, e, CORS_ANY);
      return true;
    }
    throw e;
  }
  return false;
}

/** Percent-decoding that never throws (a malformed escape is kept as typed). */
function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
