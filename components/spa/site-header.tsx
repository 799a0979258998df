import Link from "next/link";
import { OfflineBadge } from "@/components/offline-badge";
import { AccountMenu } from "./account-menu";

export function SiteHeader({ emulator }: { emulator: boolean }) {
  return (
    <header className="site-header">
      <Link className="brand" href="/">
        Identity on Next.js
      </Link>
      <nav aria-label="Main">
        <ul>
          <li>
            <Link href="/profile">Profile</Link>
          </li>
          <li>
            <Link href="/subscriptions">Subscriptions</Link>
          </li>
          <li>
            <Link href="/web">Web app</Link>
          </li>
        </ul>
      </nav>
      <span className="account-area">
        {emulator ? (
          <OfflineBadge />
        ) : null}
        <AccountMenu />
      </span>
    </header>
  );
}
