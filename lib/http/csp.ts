import type { AppConfig } from "@/lib/config";

/**
 * Pages that this app's own pages may frame: the SPA's redirect URI. msal-browser's silent
 * renewal loads it in a hidden iframe, and it reads the authorization response there.
 * Keep in step with next.config.mjs (X-Frame-Options: SAMEORIGIN for the same paths).
 */
export const SELF_FRAMEABLE_PATHS: readonly string[] = ["/redirect"];

/**
 * The Content-Security-Policy for pages. Runtime, not build time: the identity provider's
 * origin (Entra, a national cloud, or the local emulator's port) comes from configuration.
 *
 * - connect-src / frame-src: msal-browser redeems codes and refreshes tokens with fetch, and
 *   renews silently in a hidden iframe (prompt=none) that loads the authority, which redirects
 *   the iframe to our /redirect bridge: frame-src needs both the authority and 'self'.
 * - frame-ancestors: 'none', except for that bridge page, which only this origin may frame
 *   (see SELF_FRAMEABLE_PATHS; next.config.mjs sends the matching X-Frame-Options).
 * - form-action: the web app's sign-out form is answered with a 303 to the authority's logout
 *   endpoint, and browsers apply form-action to that redirect.
 * - script-src keeps 'unsafe-inline' because Next inlines its bootstrap scripts in statically
 *   rendered pages (nonces need every page dynamic); 'self' still stops scripts from elsewhere.
 */
export function contentSecurityPolicy(config: Pick<AppConfig, "authorityHost">, development: boolean, options: { frameableBySelf?: boolean } = {}): string {
  const idp = new URL(config.authorityHost).origin;
  const directives: [string, ...string[]][] = [
    ["default-src", "'self'"],
    ["script-src", "'self'", "'unsafe-inline'", ...(development ? ["'unsafe-eval'"] : [])],
    ["style-src", "'self'", "'unsafe-inline'"],
    ["img-src", "'self'", "data:", "blob:"],
    ["font-src", "'self'"],
    ["connect-src", "'self'", idp, ...(development ? ["ws:"] : [])],
    ["frame-src", "'self'", idp],
    ["form-action", "'self'", idp],
    ["frame-ancestors", options.frameableBySelf ? "'self'" : "'none'"],
    ["base-uri", "'self'"],
    ["object-src", "'none'"],
  ];
  return directives.map((d) => d.join(" ")).join("; ");
}
