"use client";

import Link from "next/link";
import { useSession } from "./use-session";

export function HomeGreeting() {
  const session = useSession();
  if (session.status === "signed-in") {
    return (
      <p className="panel">
        Welcome, <strong>{session.account.name ?? session.account.username}</strong>. Open{" "}
        <Link href="/profile">your profile</Link> or <Link href="/subscriptions">your subscriptions</Link> to see the
        On-Behalf-Of flow at work.
      </p>
    );
  }
  if (session.status === "signed-out") {
    return <p className="panel">Sign in (top right) to see your profile and subscriptions.</p>;
  }
  return <div className="panel skeleton" style={{ height: "3.2rem" }} aria-hidden="true" />;
}
