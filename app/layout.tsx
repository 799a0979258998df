import type { Metadata, Viewport } from "next";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Microsoft identity platform on Next.js", template: "%s · Identity on Next.js" },
  description:
    "Sign users in, call your own API, and call Microsoft Graph and Azure Resource Manager On-Behalf-Of the user.",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default function RootLayout({ children }: Readonly<{ children: React.ReactNode }>) {
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
