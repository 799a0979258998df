import Link from "next/link";
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
      <span style={{ display: "inline-flex", gap: "0.75rem", alignItems: "center" }}>
        {emulator ? (
          <span className="badge" title="Tokens come from the bundled identity emulator, not Microsoft Entra ID">
            offline tenant
          </span>
        ) : null}
        <AccountMenu />
      </span>
    </header>
  );
}
