import { bearerTokenFrom } from "@/lib/auth";
import { ApiError } from "@/lib/errors";
import { correlationIdFrom } from "./correlation";
import { describeError, log, redact, setLogSink, type LogRecord } from "./log";
import { decodeProxyTiming, encodeProxyTiming } from "./proxy-timing";
import { ServerTiming, unionMs } from "./server-timing";

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
    expect(t.toString()).toMatch(/^verify;desc="memo";dur=0\.12, graph;desc="error";dur=\d+\.\d\d$/);
    expect(() => t.add("bad name", 1)).toThrow(TypeError);
  });

  it("total counts from the request's start; self leaves out the downstream waits, parallel ones once", () => {
    let now = 100;
    const t = new ServerTiming({ startedAt: 90, now: () => now });
    t.add("verify", 0.5, "memo");
    now = 112;
    t.addDownstream("graph", 10, "me"); // 102–112
    now = 115;
    t.addDownstream("graph", 8, "manager"); // 107–115, overlaps the first
    now = 125;
    t.addDownstream("arm", 3, "page"); // 122–125
    now = 130;
    t.addTotals();
    expect(t.toString()).toBe('verify;desc="memo";dur=0.50, graph;desc="me";dur=10.00, graph;desc="manager";dur=8.00, arm;desc="page";dur=3.00, total;dur=40.00, self;dur=24.00');
  });

  it("unionMs counts overlapping intervals once", () => {
    expect(unionMs([])).toBe(0);
    expect(unionMs([{ start: 5, end: 12 }, { start: 2, end: 10 }, { start: 20, end: 25 }, { start: 21, end: 22 }])).toBe(15);
  });
});

describe("proxy timing (proxy.ts → route handler)", () => {
  it("round-trips, and accepts only a well-formed value from moments ago in this process", () => {
    const now = 50_000;
    const value = encodeProxyTiming({ startedAt: 49_990.25, verifyMs: 0.4321, verify: "full" });
    expect(value).toBe("49990.250;0.432;full");
    expect(decodeProxyTiming(value, now)).toEqual({ startedAt: 49_990.25, verifyMs: 0.432, verify: "full" });
    expect(decodeProxyTiming("49990.250;0.010;memo", now)?.verify).toBe("memo");
    for (const bad of [null, "", "x;1;full", "49990;1;maybe", "49990;1;full;extra", "-1;1;full", "60000;1;full", "49990;20;full", "49990;1;full\n"]) {
      expect(decodeProxyTiming(bad, now)).toBeUndefined();
    }
    // more than a minute old: not this request's proxy
    expect(decodeProxyTiming("1;1;full", 100_000)).toBeUndefined();
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
