const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Headers a caller may use to pass its correlation id, in order of preference. */
export const CORRELATION_REQUEST_HEADERS = ["client-request-id", "x-correlation-id", "x-ms-client-request-id"] as const;
export const CORRELATION_RESPONSE_HEADER = "x-correlation-id";

/**
 * The request's correlation id: the caller's when it sent a valid GUID (so a browser trace and
 * the server log line meet), otherwise a fresh one. Anything else is ignored, never echoed:
 * the value goes into logs and downstream headers.
 */
export function correlationIdFrom(headers: Headers): string {
  for (const name of CORRELATION_REQUEST_HEADERS) {
    const value = headers.get(name)?.trim();
    if (value && GUID.test(value)) return value.toLowerCase();
  }
  return crypto.randomUUID();
}

export function isGuid(value: string): boolean {
  return GUID.test(value);
}
