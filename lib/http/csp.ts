import type { AppConfig } from "@/lib/config";

/**
 * The Content-Security-Policy for pages. Runtime, not build time: the identity provider's
 * origin (Entra, a national cloud, or the local emulator's port) comes from configuration.
 *
 * - connect-src / frame-src: msal-browser redeems codes and refreshes tokens with fetch, and
 *   may renew silently in a hidden iframe, against the authority.
 * - form-action: the web app's sign-out form is answered with a 303 to the authority's logout
 *   endpoint, and browsers apply form-action to that redirect.
 * - script-src keeps 'unsafe-inline' because Next inlines its bootstrap scripts in statically
 *   rendered pages (nonces need every page dynamic); 'self' still stops scripts from elsewhere.
 */
export function contentSecurityPolicy(config: Pick<AppConfig, "authorityHost">, development: boolean): string {
  const idp = new URL(config.authorityHost).origin;
  const directives: [string, ...string[]][] = [
    ["default-src", "'self'"],
    ["script-src", "'self'", "'unsafe-inline'", ...(development ? ["'unsafe-eval'"] : [])],
    ["style-src", "'self'", "'unsafe-inline'"],
    ["img-src", "'self'", "data:", "blob:"],
    ["font-src", "'self'"],
    ["connect-src", "'self'", idp, ...(development ? ["ws:"] : [])],
    ["frame-src", idp],
    ["form-action", "'self'", idp],
    ["frame-ancestors", "'none'"],
    ["base-uri", "'self'"],
    ["object-src", "'none'"],
  ];
  return directives.map((d) => d.join(" ")).join("; ");
}
