/**
 * Security headers for every response. The Content-Security-Policy is set per request in
 * proxy.ts (it needs the identity provider's origin, which is runtime configuration).
 * X-Frame-Options: DENY everywhere except the SPA's redirect bridge (below).
 */
const securityHeaders = [
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
  { key: "X-Frame-Options", value: "DENY" },
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
      // msal-browser renews tokens silently in a hidden iframe that ends on this page: this
      // origin may frame it, nobody else (CSP frame-ancestors 'self' from proxy.ts, see
      // lib/http/csp.ts SELF_FRAMEABLE_PATHS). Later entries win for the same header.
      { source: "/redirect", headers: [{ key: "X-Frame-Options", value: "SAMEORIGIN" }] },
    ];
  },
};

export default nextConfig;
