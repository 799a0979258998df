/**
 * Structured logging: one JSON object per line. Callers pass fields explicitly; nothing here
 * serializes arbitrary objects, so a token cannot leak through a stray `{ ...request }`.
 * Redaction is still applied to string values as a last line of defence.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, string | number | boolean | null | undefined>;
export interface LogRecord extends LogFields {
  time: string;
  level: LogLevel;
  event: string;
}
export type LogSink = (record: LogRecord) => void;

const JWT_LIKE = /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g;
const BEARER = /\bBearer\s+[A-Za-z0-9\-._~+/]+=*/gi;

/** Removes anything that looks like a JWT or a bearer credential from a string. */
export function redact(text: string): string {
  return text.replace(BEARER, "Bearer [redacted]").replace(JWT_LIKE, "[redacted-jwt]");
}

const defaultSink: LogSink = (record) => {
  const line = JSON.stringify(record);
  if (record.level === "error" || record.level === "warn") process.stderr.write(line + "\n");
  else process.stdout.write(line + "\n");
};

const SINK_KEY = Symbol.for("ms-identity-nextjs.log.sink");
type SinkHolder = { [SINK_KEY]?: LogSink };

function sink(): LogSink {
  return (globalThis as SinkHolder)[SINK_KEY] ?? defaultSink;
}

/** Replaces the sink (tests capture records); returns a function that restores the previous one. */
export function setLogSink(next: LogSink): () => void {
  const holder = globalThis as SinkHolder;
  const previous = holder[SINK_KEY];
  holder[SINK_KEY] = next;
  return () => {
    holder[SINK_KEY] = previous;
  };
}

export function log(level: LogLevel, event: string, fields: LogFields = {}): void {
  const record: LogRecord = { time: new Date().toISOString(), level, event };
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    record[k] = typeof v === "string" ? redact(v) : v;
  }
  try {
    sink()(record);
  } catch {
    // logging must never break a request
  }
}

/** A short, safe description of an unknown error for a log line (no stack, tokens redacted). */
export function describeError(e: unknown): string {
  if (typeof e === "object" && e !== null && typeof (e as Error).message === "string") {
    const code = (e as { errorCode?: unknown; code?: unknown }).errorCode ?? (e as { code?: unknown }).code;
    const { name, message } = e as Error;
    return redact(`${name}${typeof code === "string" ? `(${code})` : ""}: ${message}`).slice(0, 500);
  }
  return redact(String(e)).slice(0, 200);
}
