import { contentSecurityPolicy, SELF_FRAMEABLE_PATHS } from "./csp";

const config = { authorityHost: "https://login.microsoftonline.com" };
const directive = (csp: string, name: string) => csp.split("; ").find((d) => d.startsWith(`${name} `));

describe("Content-Security-Policy for pages", () => {
  it("lets msal-browser's hidden iframe load the authority and land on this origin's /redirect", () => {
    expect(directive(contentSecurityPolicy(config, false), "frame-src")).toBe("frame-src 'self' https://login.microsoftonline.com");
  });

  it("keeps every page out of frames, except the redirect bridge, which only this origin may frame", () => {
    expect(directive(contentSecurityPolicy(config, false), "frame-ancestors")).toBe("frame-ancestors 'none'");
    expect(directive(contentSecurityPolicy(config, false, { frameableBySelf: true }), "frame-ancestors")).toBe("frame-ancestors 'self'");
    expect(SELF_FRAMEABLE_PATHS).toEqual(["/redirect"]);
  });
});
