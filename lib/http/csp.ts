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
 * - script-src: this app's files ('self') and inline scripts carrying this response's nonce
 *   (proxy.ts makes one per request; Next puts it on its own bootstrap scripts, which is why
 *   every page renders per request). No 'unsafe-inline': script injected into a page does not
 *   run. No 'strict-dynamic': Next loads its chunks from 'self'.
 */
/** A fresh CSP nonce: 128 random bits, base64 (CSP's nonce-source grammar). */
export function newNonce(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
}

export function contentSecurityPolicy(
  config: Pick<AppConfig, "authorityHost">,
  development: boolean,
  options: { frameableBySelf?: boolean; nonce?: string } = {},
): string {
  const idp = new URL(config.authorityHost).origin;
  const directives: [string, ...string[]][] = [
    ["default-src", "'self'"],
    ["script-src", "'self'", ...(options.nonce ? [`'nonce-${options.nonce}'`] : []), ...(development ? ["'unsafe-eval'"] : [])],
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
