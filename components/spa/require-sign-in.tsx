"use client";

import { useMsal } from "@azure/msal-react";
import { useEffect } from "react";
import { useSpaConfig } from "./msal-shell";
import { useSession } from "./use-session";

/**
 * Renders children only for a signed-in user. A signed-out visitor is sent to sign in and,
 * through msal-browser's redirect bridge, comes back to this same page.
 */
export function RequireSignIn({ children, fallback }: { children: React.ReactNode; fallback: React.ReactNode }) {
  const { instance } = useMsal();
  const { apiScope } = useSpaConfig();
  const session = useSession();

  useEffect(() => {
    if (session.status === "signed-out") {
      void instance.loginRedirect({ scopes: [apiScope], redirectStartPage: window.location.href });
    }
  }, [session.status, instance, apiScope]);

  if (session.status === "signed-in") return <>{children}</>;
  if (session.status === "signed-out") {
    return (
      <p role="status" aria-live="polite">
        This page needs you to sign in. Taking you to the sign-in page…
      </p>
    );
  }
  return <>{fallback}</>;
}
