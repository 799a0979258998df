import type { Metadata } from "next";
import { DirectorySkeleton, DirectoryView } from "@/components/spa/directory-view";
import { RequireSignIn } from "@/components/spa/require-sign-in";

export const metadata: Metadata = { title: "Directory" };

export default function DirectoryPage() {
  return (
    <main id="main">
      <h1>Your organization&apos;s directory</h1>
      <p className="muted">
        From Microsoft Graph <code>/users</code>, every page, called by this app&apos;s API On-Behalf-Of you. Open to people with the app
        role <code>Directory.Read</code>, or in a group the app&apos;s operators chose.
      </p>
      <RequireSignIn fallback={<DirectorySkeleton />}>
        <DirectoryView />
      </RequireSignIn>
    </main>
  );
}
