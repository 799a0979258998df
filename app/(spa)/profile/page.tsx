import type { Metadata } from "next";
import { ProfileSkeleton, ProfileView } from "@/components/spa/profile-view";
import { RequireSignIn } from "@/components/spa/require-sign-in";

export const metadata: Metadata = { title: "Profile" };

export default function ProfilePage() {
  return (
    <main id="main">
      <h1>Your profile</h1>
      <p className="muted">
        From Microsoft Graph <code>/me</code> and <code>/me/manager</code>, called by this app&apos;s API On-Behalf-Of you.
      </p>
      <RequireSignIn fallback={<ProfileSkeleton />}>
        <ProfileView />
      </RequireSignIn>
    </main>
  );
}
