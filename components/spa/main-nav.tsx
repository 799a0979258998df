"use client";

import Link from "next/link";
import type { AccessResponse } from "./api-types";
import { useApi } from "./use-api";
import { useSession } from "./use-session";

const VIEWS = [
  { view: "subscriptions", href: "/subscriptions", label: "Subscriptions" },
  { view: "directory", href: "/directory", label: "Directory" },
] as const;

/**
 * The SPA's main navigation. Views the signed-in user cannot use (GET /api/access says
 * role_required) are left out; while that answer is pending, or unknown, the links stay: the
 * views enforce their own rules and explain a refusal. Signed out, every link leads to sign-in.
 */
export function MainNav() {
  const session = useSession();
  const signedIn = session.status === "signed-in";
  // silentOnly: the navigation never sends anyone to sign in; a page that needs it will.
  const { data } = useApi<AccessResponse>("/api/access", undefined, { silentOnly: true });
  const hidden = (view: (typeof VIEWS)[number]["view"]) => signedIn && data?.data.views[view]?.access === "role_required";
  return (
    <nav aria-label="Main">
      <ul>
        <li>
          <Link href="/profile">Profile</Link>
        </li>
        {VIEWS.filter((v) => !hidden(v.view)).map((v) => (
          <li key={v.view}>
            <Link href={v.href}>{v.label}</Link>
          </li>
        ))}
        <li>
          <Link href="/web">Web app</Link>
        </li>
      </ul>
    </nav>
  );
}
