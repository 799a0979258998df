import { isSameOriginRequest } from "./handlers";
import { forwardedClientAddress, isSecureOrigin, isValidHost, publicOrigin } from "./origin";

const h = (init: Record<string, string>) => new Headers(init);

describe("publicOrigin", () => {
  const trust = { trustForwardedHeaders: true };

  it("uses the Host header and the connection's scheme by default", () => {
    expect(publicOrigin(h({ host: "localhost:3000" }), "http://localhost:3000/auth/login")).toBe("http://localhost:3000");
  });

  it("falls back to the request URL without a Host header (Request objects in tests)", () => {
    expect(publicOrigin(h({}), "http://localhost:3100/auth/login")).toBe("http://localhost:3100");
  });

  it("believes a TLS-terminating proxy's X-Forwarded-Proto and X-Forwarded-Host", () => {
    const headers = h({ host: "127.0.0.1:8080", "x-forwarded-proto": "https", "x-forwarded-host": "contoso.azurewebsites.net" });
    expect(publicOrigin(headers, "http://127.0.0.1:8080/auth/callback", trust)).toBe("https://contoso.azurewebsites.net");
  });

  it("ignores forwarded headers unless told to trust them (issue #14 item 4)", () => {
    const headers = h({ host: "localhost:3000", "x-forwarded-proto": "https", "x-forwarded-host": "evil.com" });
    expect(publicOrigin(headers, "http://localhost:3000/")).toBe("http://localhost:3000");
  });

  it("takes the value the nearest proxy appended (the rightmost), not what the client sent first (issue #14 item 4)", () => {
    // The client sent "evil.com" / "http" itself; the proxy in front of the app appended the real values.
    const headers = h({ host: "x", "x-forwarded-proto": "http, https", "x-forwarded-host": "evil.com, app.contoso.com:443" });
    expect(publicOrigin(headers, "http://x/", trust)).toBe("https://app.contoso.com");
    // two header lines are one comma-separated list (RFC 9110 §5.3): still the last one
    const twoLines = new Headers([["x-forwarded-host", "evil.com"], ["x-forwarded-host", "app.contoso.com"], ["host", "x"]]);
    expect(publicOrigin(twoLines, "http://x/", trust)).toBe("http://app.contoso.com");
  });

  it("upgrades only the scheme when just X-Forwarded-Proto is set (App Service keeps Host)", () => {
    expect(publicOrigin(h({ host: "www.contoso.com", "x-forwarded-proto": "https" }), "http://www.contoso.com/", trust)).toBe("https://www.contoso.com");
  });

  it.each([
    ["evil.com/path", "path"],
    ["evil.com@good.com", "userinfo"],
    ["evil.com\\x", "backslash"],
    ["a b", "space"],
    ["evil.com:99999", "port out of range"],
    ["<script>", "markup"],
  ])("ignores a malformed X-Forwarded-Host (%s: %s) and uses Host", (forwarded) => {
    expect(publicOrigin(h({ host: "localhost:3000", "x-forwarded-host": forwarded }), "http://localhost:3000/", trust)).toBe("http://localhost:3000");
  });

  it("ignores a forwarded scheme other than http/https", () => {
    expect(publicOrigin(h({ host: "localhost:3000", "x-forwarded-proto": "javascript" }), "http://localhost:3000/", trust)).toBe("http://localhost:3000");
  });

  it("ignores forwarded headers when told not to trust them", () => {
    const headers = h({ host: "localhost:3000", "x-forwarded-proto": "https", "x-forwarded-host": "evil.com" });
    expect(publicOrigin(headers, "http://localhost:3000/", { trustForwardedHeaders: false })).toBe("http://localhost:3000");
  });

  it("lets a configured base URL win over every header", () => {
    const headers = h({ host: "evil.com", "x-forwarded-host": "evil.com" });
    expect(publicOrigin(headers, "http://evil.com/", { baseUrl: "https://contoso.azurewebsites.net/some/path" })).toBe("https://contoso.azurewebsites.net");
  });

  it("refuses a malformed Host header", () => {
    expect(() => publicOrigin(h({ host: "evil.com/x" }), "http://localhost/")).toThrow(/Host header/);
  });

  it("validates host syntax", () => {
    for (const ok of ["localhost", "localhost:3000", "a.b.c", "1.2.3.4:80", "[::1]:3000", "xn--bcher-kva.example"]) expect(isValidHost(ok)).toBe(true);
    for (const bad of ["", ":80", "a..b", "-a.com", "a.com:0", "a.com:", "a_b.com", "a.com/", "user@a.com"]) expect(isValidHost(bad)).toBe(false);
  });

  it("says when the origin is https", () => {
    expect(isSecureOrigin("https://a")).toBe(true);
    expect(isSecureOrigin("http://localhost:3000")).toBe(false);
  });
});

describe("isSameOriginRequest (sign-out CSRF check)", () => {
  const origin = "http://localhost:3100";
  const req = (headers: Record<string, string>) => new Request("http://localhost:3100/auth/logout", { method: "POST", headers });

  it("accepts the app's own Origin", () => {
    expect(isSameOriginRequest(req({ origin }), origin)).toBe(true);
  });

  it.each([["https://evil.com"], ["null"], ["http://localhost:3000"], ["https://localhost:3100"]])("rejects Origin %s", (o) => {
    expect(isSameOriginRequest(req({ origin: o }), origin)).toBe(false);
  });

  it("falls back to Fetch Metadata and Referer without Origin", () => {
    expect(isSameOriginRequest(req({ "sec-fetch-site": "same-origin" }), origin)).toBe(true);
    expect(isSameOriginRequest(req({ "sec-fetch-site": "cross-site", referer: `${origin}/web` }), origin)).toBe(false);
    expect(isSameOriginRequest(req({ referer: `${origin}/web` }), origin)).toBe(true);
    expect(isSameOriginRequest(req({ referer: "https://evil.com/" }), origin)).toBe(false);
    expect(isSameOriginRequest(req({}), origin)).toBe(false);
  });
});

describe("forwardedClientAddress (per-client rate limits)", () => {
  it("is the address the nearest proxy appended, without its port, only when forwarded headers are trusted", () => {
    expect(forwardedClientAddress(h({ "x-forwarded-for": "192.0.2.1, 203.0.113.7:52311" }), true)).toBe("203.0.113.7");
    expect(forwardedClientAddress(h({ "x-forwarded-for": "[2001:DB8::1]:443" }), true)).toBe("2001:db8::1");
    expect(forwardedClientAddress(h({ "x-forwarded-for": "2001:db8::2" }), true)).toBe("2001:db8::2");
    expect(forwardedClientAddress(h({ "x-forwarded-for": "203.0.113.7" }), false)).toBeUndefined();
  });

  it.each([["evil.example"], ["unknown"], [""], ["999.1.1.1"], ["1.2.3.4:99999:1"]])("ignores %p", (value) => {
    expect(forwardedClientAddress(h({ "x-forwarded-for": value }), true)).toBeUndefined();
  });
});
