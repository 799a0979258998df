import { DEFAULT_RETURN_TO, sanitizeReturnTo } from "./return-to";

describe("sanitizeReturnTo", () => {
  it.each([
    ["/web", "/web"],
    ["/web?tab=raw", "/web?tab=raw"],
    ["/web#json", "/web#json"],
    ["/profile", "/profile"],
    ["/web/graph?x=%2Fa", "/web/graph?x=%2Fa"],
    ["/web?q=a%20b", "/web?q=a%20b"],
  ])("keeps the same-origin path %j", (input, expected) => {
    expect(sanitizeReturnTo(input)).toBe(expected);
  });

  it.each([
    // other origins
    "https://evil.com",
    "http://evil.com/web",
    "//evil.com",
    "//evil.com/web",
    "///evil.com",
    // dot segments that normalize into //
    "/..//evil.com",
    "/.//evil.com",
    "/web/..//evil.com",
    // backslash tricks (browsers read \ as /)
    "/\\evil.com",
    "\\\\evil.com",
    "/\\/evil.com",
    "\\/evil.com",
    // schemes
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    // relative references
    "web",
    "evil.com",
    "./web",
    "",
    // percent-encoded slashes and backslashes, single and double encoded
    "/%2F%2Fevil.com",
    "/%2f%2fevil.com",
    "%2F%2Fevil.com",
    "/%5Cevil.com",
    "/%5cevil.com",
    "/%252F%252Fevil.com",
    "/%25252F%25252Fevil.com",
    "https:%2F%2Fevil.com",
    // control characters and whitespace browsers strip
    "/\t/evil.com",
    "/\n/evil.com",
    "/\r/evil.com",
    " //evil.com",
    "/%09/evil.com",
    "/%0d%0a/evil.com",
    "/web\u0000",
    // malformed encoding
    "/web%",
    "/%E0%A4%A",
    // loops and actions
    "/auth/login",
    "/auth/callback?code=x",
    "/AUTH/logout",
    "/api/me",
    // too long
    `/${"a".repeat(600)}`,
  ])("falls back to /web for %j", (input) => {
    expect(sanitizeReturnTo(input)).toBe(DEFAULT_RETURN_TO);
  });

  it("falls back for missing values", () => {
    expect(sanitizeReturnTo(null)).toBe("/web");
    expect(sanitizeReturnTo(undefined)).toBe("/web");
  });

  it("never returns something that resolves to another origin", () => {
    const samples = ["/web", "//a", "/\\a", "/%2F%2Fa", "/..//a", "/./\\a", "/%5C%5Ca", "/.%2F%2Fa"];
    for (const s of samples) {
      const out = sanitizeReturnTo(s);
      expect(new URL(out, "https://app.example").origin).toBe("https://app.example");
      expect(out.startsWith("//")).toBe(false);
    }
  });
});
