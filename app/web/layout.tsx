import type { Metadata } from "next";
import Link from "next/link";
import { OfflineBadge } from "@/components/offline-badge";
import { currentWebUser } from "@/lib/webauth/page-data";
import { SignOutButton } from "./sign-out-button";

export const metadata: Metadata = {
  title: { default: "Server-rendered web app", template: "%s · Web app · Identity on Next.js" },
  description: "Sign in on the server with the authorization code flow; tokens never reach the browser.",
};

/**
 * The server-rendered web app's own shell: plain links and a POST form, no client JavaScript of its
 * own and none of the SPA's MSAL code (that lives in the (spa) route group's layout).
 */
export default async function WebLayout({ children }: { children: React.ReactNode }) {
  const { configured, emulator, user } = await currentWebUser();
  return (
    <>
      <header className="site-header">
        {/* prefetch={false}: /web must not pull the SPA's bundle (and MSAL) into the browser ahead of a click. */}
        <Link className="brand" href="/" prefetch={false}>
          Identity on Next.js
        </Link>
        <nav aria-label="Main">
          <ul>
            <li>
              <Link href="/" prefetch={false}>
                Home
              </Link>
            </li>
            <li>
              <a href="/web">Web app</a>
            </li>
            {user ? (
              <>
                <li>
                  <a href="/web/subscriptions">Subscriptions</a>
                </li>
                <li>
                  <a href="/web/directory">Directory</a>
                </li>
              </>
            ) : null}
          </ul>
        </nav>
        <span className="account-area">
          {emulator ? (
            <OfflineBadge />
          ) : null}
          {user ? (
            <>
              <span aria-label="Signed in as">{user.name}</span>
              <SignOutButton />
            </>
          ) : configured ? (
            <a className="button" href="/auth/login?returnTo=%2Fweb">
              Sign in
            </a>
          ) : null}
        </span>
      </header>
      {children}
    </>
  );
}
