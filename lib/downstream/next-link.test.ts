import { checkNextLink } from "./next-link";

// Issue #14 item 1: a paging link is data from the response. Whatever its spelling, it may only
// lead back to the API's own origin over https, or the user's token goes with it.
const GRAPH = "https://graph.microsoft.com/v1.0";

describe("checkNextLink", () => {
  it.each([
    ["https:\\\\evil.example/x", "backslashes (WHATWG parsers read them as slashes)"],
    [" https://evil.example/x", "a leading space (trimmed by URL parsers)"],
    ["\thttps://evil.example/x", "a leading tab"],
    ["ht\ttps://evil.example/x", "a tab inside the scheme (removed by URL parsers)"],
    ["https://evil.example/x\n", "a trailing newline"],
    ["http:evil.example/x", "http without slashes (another scheme: parsed as absolute)"],
    ["http://graph.microsoft.com/v1.0/users?$skiptoken=x", "plain http to the right host"],
    ["https://evil.example/x", "another host"],
    ["https://graph.microsoft.com.evil.example/v1.0/users", "a look-alike host"],
    ["https://graph.microsoft.com:8443/v1.0/users", "another port"],
    ["https://evil.example@graph.microsoft.com/v1.0/users", "user credentials before the right host"],
    ["https://graph.microsoft.com@evil.example/v1.0/users", "the right host as user name"],
    ["//evil.example/x", "a scheme-relative link"],
    ["/v1.0/users?$skiptoken=x", "a relative link (Graph and ARM send absolute ones)"],
    ["users?$skiptoken=x", "a relative path"],
    ["javascript:alert(1)", "a script URL"],
    ["data:text/plain,hi", "a data URL"],
    ["https://graph.microsoft.com\u3002evil.example/x", "a full-width dot (IDNA maps it to a dot)"],
    ["https://gr\u0430ph.microsoft.com/v1.0/users", "a Cyrillic letter in the host"],
    ["", "an empty string"],
    [42, "a number"],
    [{ href: "https://graph.microsoft.com/v1.0/users" }, "an object"],
    [`https://graph.microsoft.com/v1.0/users?$skiptoken=${"x".repeat(20_000)}`, "an absurdly long link"],
  ] as [unknown, string][])("refuses %j (%s)", (link) => {
    const result = checkNextLink(link, GRAPH);
    expect(result.ok).toBe(false);
  });

  it.each([
    ["https://graph.microsoft.com/v1.0/users?$top=3&$skiptoken=X%2744537074020001%27", "https://graph.microsoft.com/v1.0/users?$top=3&$skiptoken=X%2744537074020001%27"],
    ["HTTPS://GRAPH.MICROSOFT.COM/v1.0/users?$skiptoken=x", "https://graph.microsoft.com/v1.0/users?$skiptoken=x"],
    ["https://graph.microsoft.com:443/v1.0/users", "https://graph.microsoft.com/v1.0/users"],
  ])("follows %j on the same origin", (link, href) => {
    const result = checkNextLink(link, GRAPH);
    expect(result).toEqual({ ok: true, url: new URL(href) });
  });

  it("says why, naming the other host, never echoing the rest of the link", () => {
    const refused = checkNextLink("https://evil.example/steal?secret=1", GRAPH);
    expect(refused).toEqual({ ok: false, reason: "to another host (evil.example)" });
    expect(checkNextLink("http:evil.example/x", GRAPH)).toEqual({ ok: false, reason: "that is not https (http:)" });
  });

  it("allows http only when the caller says so explicitly (local test servers)", () => {
    expect(checkNextLink("http://127.0.0.1:4000/v1.0/users?page=2", "http://127.0.0.1:4000/v1.0").ok).toBe(false);
    expect(checkNextLink("http://127.0.0.1:4000/v1.0/users?page=2", "http://127.0.0.1:4000/v1.0", { allowHttp: true }).ok).toBe(true);
    expect(checkNextLink("http://127.0.0.1:4000/v1.0/users?page=2", GRAPH, { allowHttp: true }).ok).toBe(false);
  });
});
