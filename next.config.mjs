/**
 * Security headers for every response. The Content-Security-Policy is set per request in
 * proxy.ts (it needs the identity provider's origin, which is runtime configuration).
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
      // No page may be framed, except the web app's front-channel logout URL: the identity provider
      // loads it in an iframe of its sign-out page (that route's CSP frame-ancestors names it).
      { source: "/((?!auth/frontchannel-logout$).*)", headers: [{ key: "X-Frame-Options", value: "DENY" }] },
    ];
  },
};

export default nextConfig;
