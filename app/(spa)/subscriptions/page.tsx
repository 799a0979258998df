import type { Metadata } from "next";
import { RequireSignIn } from "@/components/spa/require-sign-in";
import { SubscriptionsSkeleton, SubscriptionsView } from "@/components/spa/subscriptions-view";

export const metadata: Metadata = { title: "Subscriptions" };

export default function SubscriptionsPage() {
  return (
    <main id="main">
      <h1>Your Azure subscriptions</h1>
      <p className="muted">
        From Azure Resource Manager <code>/subscriptions</code>, every page, called by this app&apos;s API On-Behalf-Of you.
      </p>
      <RequireSignIn fallback={<SubscriptionsSkeleton />}>
        <SubscriptionsView />
      </RequireSignIn>
    </main>
  );
}
