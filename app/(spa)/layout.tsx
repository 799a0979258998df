import { connection } from "next/server";
import { MsalShell } from "@/components/spa/msal-shell";
import { SiteHeader } from "@/components/spa/site-header";
import { getPublicConfig } from "@/lib/config";

/** The single-page app: every page here shares one MSAL instance and the header. */
export default async function SpaLayout({ children }: { children: React.ReactNode }) {
  // Configuration is runtime (the emulator's port, a deployment's tenant), not build time.
  await connection();
  const config = getPublicConfig();
  return (
    <MsalShell config={config}>
      <SiteHeader emulator={config.mode === "emulator"} />
      {children}
    </MsalShell>
  );
}
