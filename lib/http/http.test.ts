import { bearerTokenFrom } from "@/lib/auth";
import { ApiError } from "@/lib/errors";
import { correlationIdFrom } from "./correlation";
import { describeError, log, redact, setLogSink, type LogRecord } from "./log";
import { ServerTiming } from "./server-timing";

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return `${e.status} ${e.code}`;
    throw e;
  }
  return "ok";
}

describe("bearerTokenFrom", () => {
  it("accepts exactly one RFC 6750 bearer token, scheme case-insensitive", () => {
    expect(bearerTokenFrom("Bearer abc.def.ghi")).toBe("abc.def.ghi");
    expect(bearerTokenFrom("bearer   abc.def-_~+/=")).toBe("abc.def-_~+/=");
  });
  it("no header or another scheme: 401 missing_token", () => {
    expect(code(() => bearerTokenFrom(null))).toBe("401 missing_token");
    expect(code(() => bearerTokenFrom("  "))).toBe("401 missing_token");
    expect(code(() => bearerTokenFrom("Basic dXNlcjpwYXNz"))).toBe("401 missing_token");
  });
  it("malformed Bearer header: 400 invalid_request", () => {
    expect(code(() => bearerTokenFrom("Bearer"))).toBe("400 invalid_request");
    expect(code(() => bearerTokenFrom("Bearer a b"))).toBe("400 invalid_request");
    expect(code(() => bearerTokenFrom("Bearer a.b.c, Bearer d.e.f"))).toBe("400 invalid_request"); // two headers joined
    expect(code(() => bearerTokenFrom('Bearer "a.b.c"'))).toBe("400 invalid_request");
    expect(code(() => bearerTokenFrom(",Bearer x"))).toBe("400 invalid_request");
  });
});

describe("correlationIdFrom", () => {
  it("uses a caller's GUID, ignores anything else", () => {
    const id = "0F8FAD5B-D9CB-469F-A165-70867728950E";
    expect(correlationIdFrom(new Headers({ "client-request-id": id }))).toBe(id.toLowerCase());
    expect(correlationIdFrom(new Headers({ "x-correlation-id": id }))).toBe(id.toLowerCase());
    const generated = correlationIdFrom(new Headers({ "client-request-id": "<script>" }));
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    expect(generated).not.toBe(correlationIdFrom(new Headers()));
  });
});

describe("ServerTiming", () => {
  it("formats metrics and measures failures too", async () => {
    const t = new ServerTiming();
    t.add("verify", 0.123, "memo");
    await expect(t.measure("graph", async () => Promise.reject(new Error("x")))).rejects.toThrow("x");
    expect(t.toString()).toMatch(/^verify;desc="memo";dur=0\.1, graph;desc="error";dur=\d+\.\d$/);
    expect(() => t.add("bad name", 1)).toThrow(TypeError);
  });
});

describe("log", () => {
  it("writes one JSON record and redacts tokens", () => {
    const records: LogRecord[] = [];
    const restore = setLogSink((r) => records.push(r));
    try {
      const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXZhbHVl";
      log("info", "x", { header: `Bearer ${jwt}`, text: `token ${jwt} here`, n: 1, skip: undefined });
      expect(records).toHaveLength(1);
      const line = JSON.stringify(records[0]);
      expect(line).not.toContain("eyJ");
      expect(records[0]).toMatchObject({ level: "info", event: "x", n: 1 });
      expect("skip" in (records[0] ?? {})).toBe(false);
      expect(describeError(new Error(`bad ${jwt}`))).toBe("Error: bad [redacted-jwt]");
      expect(redact("Bearer abc.def")).toBe("Bearer [redacted]");
    } finally {
      restore();
    }
  });
});
