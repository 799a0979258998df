import type { Metadata } from "next";
import { RedirectBridge } from "./redirect-bridge";

export const metadata: Metadata = { title: "Signing in", robots: { index: false } };

/**
 * The SPA's redirect URI. Deliberately blank and outside the SPA layout: it must not start a
 * second MSAL instance, and (msal-browser 5) it must be served without a
 * Cross-Origin-Opener-Policy header, or the response cannot reach the page that asked for it.
 */
export default function RedirectPage() {
  return <RedirectBridge />;
}
