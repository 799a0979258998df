import type { Metadata, Viewport } from "next";
import { connection } from "next/server";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Microsoft identity platform on Next.js", template: "%s · Identity on Next.js" },
  description:
    "Sign users in, call your own API, and call Microsoft Graph and Azure Resource Manager On-Behalf-Of the user.",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default async function RootLayout({ children }: Readonly<{ children: React.ReactNode }>) {
  // Every page is rendered per request: its scripts must carry that request's CSP nonce
  // (proxy.ts), which a page prerendered at build time cannot know.
  await connection();
  return (
    <html lang="en">
      <body>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        {children}
      </body>
    </html>
  );
}
