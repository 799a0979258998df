// Error shapes of the three services the emulator imitates. Entra errors are
// thrown as EntraError from deep inside a flow and rendered once, at the edge,
// so every endpoint answers the same way Entra does.
import { randomUUID } from "node:crypto";

export interface EntraErrorExtra {
  suberror?: string;
  claims?: string;
}

export class EntraError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly code: number,
    readonly description: string,
    readonly extra: EntraErrorExtra = {},
  ) {
    super(`AADSTS${code}: ${description}`);
    this.name = "EntraError";
  }
}

export interface EntraErrorBody {
  error: string;
  error_description: string;
  error_codes: number[];
  timestamp: string;
  trace_id: string;
  correlation_id: string;
  error_uri: string;
  suberror?: string;
  claims?: string;
}

/** Entra's timestamp format: "2024-06-11 09:46:18Z". */
export function entraTimestamp(date = new Date()): string {
  return date.toISOString().replace("T", " ").replace(/\.\d{3}Z$/, "Z");
}

export function entraErrorBody(err: EntraError, baseUrl: string, correlationId?: string): EntraErrorBody {
  const traceId = randomUUID();
  const cid = correlationId && /^[0-9a-f-]{36}$/i.test(correlationId) ? correlationId : randomUUID();
  const ts = entraTimestamp();
  return {
    error: err.error,
    error_description: `AADSTS${err.code}: ${err.description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${cid}\r\nTimestamp: ${ts}`,
    error_codes: [err.code],
    timestamp: ts,
    trace_id: traceId,
    correlation_id: cid,
    error_uri: `${baseUrl}/error?code=${err.code}`,
    ...(err.extra.suberror ? { suberror: err.extra.suberror } : {}),
    ...(err.extra.claims ? { claims: err.extra.claims } : {}),
  };
}

// ---------- Microsoft Graph ----------

export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "GraphError";
  }
}

export function graphErrorBody(err: GraphError, requestId: string, clientRequestId?: string) {
  return {
    error: {
      code: err.code,
      message: err.message,
      innerError: {
        date: new Date().toISOString().replace(/\.\d{3}Z$/, ""),
        "request-id": requestId,
        "client-request-id": clientRequestId ?? requestId,
      },
    },
  };
}

// ---------- Azure Resource Manager ----------

export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ArmError";
  }
}

export function armErrorBody(err: ArmError) {
  return { error: { code: err.code, message: err.message } };
}
