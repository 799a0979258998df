// Shared response paths for Entra-shaped errors and redirects back to a client.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { EmulatorContext } from "./context";
import { EntraError, entraErrorBody } from "./errors";
import { header, redirect, sendHtml, sendJson } from "./http";
import { errorPage, formPostPage } from "./pages";

/** msal-browser sends client-request-id in the query string (no CORS preflight); others as a header. */
export function correlationIdOf(req: IncomingMessage, url?: URL): string | undefined {
  const fromHeader = header(req, "client-request-id");
  if (fromHeader) return fromHeader;
  try {
    return (url ?? new URL(req.url ?? "/", "https://localhost")).searchParams.get("client-request-id") ?? undefined;
  } catch {
    return undefined;
  }
}

export function sendEntraError(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  err: EntraError,
  headers: Record<string, string> = {},
): void {
  const body = entraErrorBody(err, ctx.baseUrl, correlationIdOf(req));
  sendJson(res, err.status, body, { ...headers, "client-request-id": body.correlation_id, "x-ms-request-id": body.trace_id });
}

/** Errors that cannot go back to the client (unknown app, unregistered redirect URI) become a page. */
export function sendErrorPage(res: ServerResponse, err: EntraError, correlationId?: string, status = 400): void {
  const page = errorPage({
    title: "Sign in failed",
    code: err.code,
    message: err.description,
    correlationId: correlationId ?? randomUUID(),
  });
  sendHtml(res, status, page.html, page.headers);
}

export type ResponseMode = "query" | "fragment" | "form_post";

/** Delivers authorize results to the redirect URI the way response_mode asks. */
export function respondToClient(
  res: ServerResponse,
  redirectUri: string,
  responseMode: ResponseMode,
  params: Record<string, string | undefined>,
  headers: Record<string, string> = {},
): void {
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) if (v !== undefined) fields[k] = v;
  if (responseMode === "form_post") {
    const page = formPostPage(redirectUri, fields);
    sendHtml(res, 200, page.html, { ...page.headers, ...headers });
    return;
  }
  const qs = new URLSearchParams(fields).toString();
  if (responseMode === "fragment") {
    const base = redirectUri.split("#")[0] ?? redirectUri;
    redirect(res, `${base}#${qs}`, headers);
    return;
  }
  const u = new URL(redirectUri);
  for (const [k, v] of Object.entries(fields)) u.searchParams.set(k, v);
  redirect(res, u.toString(), headers);
}

/** The redirect form of an Entra error (error, error_description, error_uri, state). */
export function errorRedirectParams(ctx: EmulatorContext, err: EntraError, state: string | undefined, correlationId?: string) {
  const body = entraErrorBody(err, ctx.baseUrl, correlationId);
  return {
    error: err.error,
    error_description: body.error_description,
    error_uri: body.error_uri,
    ...(err.extra.suberror ? { suberror: err.extra.suberror } : {}),
    ...(err.extra.claims ? { claims: err.extra.claims } : {}),
    state,
  };
}
