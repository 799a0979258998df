import Link from "next/link";
import { OfflineBadge } from "@/components/offline-badge";
import { AccountMenu } from "./account-menu";
import { MainNav } from "./main-nav";

export function SiteHeader({ emulator }: { emulator: boolean }) {
  return (
    <header className="site-header">
      <Link className="brand" href="/">
        Identity on Next.js
      </Link>
      <MainNav />
      <span className="account-area">
        {emulator ? (
          <OfflineBadge />
        ) : null}
        <AccountMenu />
      </span>
    </header>
  );
}
