/**
 * Security headers for every response. The Content-Security-Policy is set per request in
 * proxy.ts (it needs the identity provider's origin, which is runtime configuration).
 * X-Frame-Options: DENY everywhere except two framed pages (below).
 */
const securityHeaders = [
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=()" },
  // Browsers ignore HSTS over plain http (localhost), so this is safe in development too.
  { key: "Strict-Transport-Security", value: "max-age=31536000; includeSubDomains" },
];

/** @type {import('next').NextConfig} */
const nextConfig = {
  // Azure App Service runs the self-contained server in .next/standalone (see scripts/build.mjs).
  output: "standalone",
  poweredByHeader: false,
  reactStrictMode: true,
  async headers() {
    return [
      { source: "/:path*", headers: securityHeaders },
      // No page may be framed, except two: the SPA's redirect bridge, which msal-browser's silent
      // renewal loads in a hidden iframe of this origin (SAMEORIGIN here, CSP frame-ancestors 'self'
      // from proxy.ts: lib/http/csp.ts SELF_FRAMEABLE_PATHS), and the web app's front-channel logout
      // URL, which the identity provider frames (only CSP can name another origin: that route's own
      // frame-ancestors does).
      { source: "/((?!redirect$|auth/frontchannel-logout$).*)", headers: [{ key: "X-Frame-Options", value: "DENY" }] },
      { source: "/redirect", headers: [{ key: "X-Frame-Options", value: "SAMEORIGIN" }] },
    ];
  },
};

export default nextConfig;
