"use client";

import { broadcastResponseToMainFrame } from "@azure/msal-browser/redirect-bridge";
import Link from "next/link";
import { useEffect, useState } from "react";

export function RedirectBridge() {
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    broadcastResponseToMainFrame().catch(() => setFailed(true));
  }, []);
  return (
    <main id="main">
      {failed ? (
        <p>
          This page finishes signing in and is not meant to be opened directly. <Link href="/">Go to the home page</Link>.
        </p>
      ) : (
        <p className="muted">Signing you in…</p>
      )}
    </main>
  );
}
