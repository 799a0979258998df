import type { AppConfig } from "@/lib/config";

/**
 * The Content-Security-Policy for pages. Runtime, not build time: the identity provider's
 * origin (Entra, a national cloud, or the local emulator's port) comes from configuration.
 *
 * - connect-src / frame-src: msal-browser redeems codes and refreshes tokens with fetch, and
 *   may renew silently in a hidden iframe, against the authority.
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

export function contentSecurityPolicy(config: Pick<AppConfig, "authorityHost">, development: boolean, nonce?: string): string {
  const idp = new URL(config.authorityHost).origin;
  const directives: [string, ...string[]][] = [
    ["default-src", "'self'"],
    ["script-src", "'self'", ...(nonce ? [`'nonce-${nonce}'`] : []), ...(development ? ["'unsafe-eval'"] : [])],
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
