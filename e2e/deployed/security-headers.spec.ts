import type { APIResponse } from "@playwright/test";
import { readSavedSignIn } from "../support/signed-in";
import { deployedUser, expect, test } from "./fixtures";

/**
 * The deployment's security headers, as its users receive them (through App Service's front end,
 * Front Door or whatever else sits in front): docs/security.md explains each.
 */
const PAGES = ["/", "/profile", "/subscriptions", "/web", "/does-not-exist"];
const YEAR = 365 * 24 * 3600;

function directive(csp: string, name: string): string {
  return csp.split(";").map((d) => d.trim()).find((d) => d === name || d.startsWith(`${name} `)) ?? "";
}

/** Headers every response carries, page or API. */
function expectBaseline(response: APIResponse, what: string, https: boolean) {
  const headers = response.headers();
  expect(headers["x-content-type-options"], what).toBe("nosniff");
  expect(headers["referrer-policy"], what).toBe("strict-origin-when-cross-origin");
  expect(headers["x-powered-by"], what).toBeUndefined();
  if (https) {
    const maxAge = Number(/max-age=(\d+)/.exec(headers["strict-transport-security"] ?? "")?.[1] ?? 0);
    expect(maxAge, `${what}: Strict-Transport-Security max-age`).toBeGreaterThanOrEqual(YEAR);
  }
}

test("pages: nosniff, Referrer-Policy, never framed, a CSP with a fresh nonce and no 'unsafe-inline' script, HSTS, no X-Powered-By", async ({ request, appOrigin }) => {
  const https = appOrigin.startsWith("https:");
  for (const path of PAGES) {
    const [first, second] = [await request.get(path), await request.get(path)];
    expectBaseline(first, path, https);
    expect(first.headers()["x-frame-options"], path).toBe("DENY");
    const csp = first.headers()["content-security-policy"] ?? "";
    expect(directive(csp, "frame-ancestors"), path).toBe("frame-ancestors 'none'");
    const scripts = directive(csp, "script-src");
    expect(scripts, path).toMatch(/^script-src 'self' 'nonce-[A-Za-z0-9+/=]{22,}'$/);
    expect(scripts, path).not.toContain("'unsafe-inline'");
    // a nonce is good for one response only
    expect(directive(second.headers()["content-security-policy"] ?? "", "script-src"), path).not.toBe(scripts);
    expect(directive(csp, "object-src"), path).toBe("object-src 'none'");
  }
});

test("only the two documented pages may be framed, each by its one framer", async ({ request, appOrigin }, testInfo) => {
  // /redirect: msal-browser's silent renewal frames it from this origin.
  const bridge = await request.get("/redirect");
  expectBaseline(bridge, "/redirect", appOrigin.startsWith("https:"));
  expect(bridge.headers()["x-frame-options"]).toBe("SAMEORIGIN");
  expect(directive(bridge.headers()["content-security-policy"] ?? "", "frame-ancestors")).toBe("frame-ancestors 'self'");

  // The web app's front-channel logout URL: the identity provider frames it when the user signs out
  // elsewhere. (Asked without a session id, so nothing is signed out.)
  const identityProvider = readSavedSignIn(testInfo, deployedUser().username).identityProviderOrigin;
  const logout = await request.get("/auth/frontchannel-logout");
  expect(logout.status()).toBe(400);
  expect(logout.headers()["x-frame-options"]).toBeUndefined();
  expect(directive(logout.headers()["content-security-policy"] ?? "", "frame-ancestors")).toBe(`frame-ancestors ${identityProvider}`);
});

test("the API: the same headers; no token or a bad one gets 401 with a Bearer challenge, never data", async ({ request, appOrigin }) => {
  const https = appOrigin.startsWith("https:");
  const none = await request.get("/api/me");
  expect(none.status()).toBe(401);
  expectBaseline(none, "/api/me", https);
  expect(none.headers()["x-frame-options"]).toBe("DENY");
  expect(none.headers()["www-authenticate"]).toMatch(/^Bearer\b/);
  expect(none.headers()["content-type"]).toContain("application/problem+json");

  const forged = await request.get("/api/subscriptions", { headers: { Authorization: "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0." } });
  expect(forged.status()).toBe(401);
  expect(forged.headers()["www-authenticate"]).toContain('error="invalid_token"');
});

test("/api/health reports ok, and nothing more", async ({ request, appOrigin }) => {
  const health = await request.get("/api/health");
  expect(health.status()).toBe(200);
  expectBaseline(health, "/api/health", appOrigin.startsWith("https:"));
  expect(await health.json()).toEqual({ status: "ok" });
});
