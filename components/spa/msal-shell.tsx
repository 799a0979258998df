"use client";

import {
  BrowserCacheLocation,
  LogLevel,
  PublicClientApplication,
  type Configuration,
} from "@azure/msal-browser";
import { MsalProvider } from "@azure/msal-react";
import { createContext, useContext, useState } from "react";
import type { PublicConfig } from "@/lib/config/types";

const SpaConfigContext = createContext<PublicConfig | null>(null);

/** The browser's share of the configuration (client id, authority, API scope). */
export function useSpaConfig(): PublicConfig {
  const config = useContext(SpaConfigContext);
  if (!config) throw new Error("useSpaConfig must be used inside <MsalShell>");
  return config;
}

function msalConfiguration(config: PublicConfig): Configuration {
  // On the server there is no window; MSAL is inert there and these URLs are never used.
  const origin = typeof window === "undefined" ? "http://localhost" : window.location.origin;
  return {
    auth: {
      clientId: config.spaClientId,
      authority: config.authority,
      // Non-Microsoft hosts (the emulator, CIAM) must be listed, or MSAL calls
      // login.microsoftonline.com for instance discovery.
      knownAuthorities: config.knownAuthorities,
      // A blank bridge page (app/redirect) receives the response; msal-browser 5 then returns
      // the user to the page where sign-in started.
      redirectUri: origin + config.redirectPath,
      postLogoutRedirectUri: origin + "/",
    },
    // sessionStorage: tokens do not outlive the tab and are not shared across tabs.
    cache: { cacheLocation: BrowserCacheLocation.SessionStorage },
    system: {
      loggerOptions: {
        logLevel: LogLevel.Warning,
        piiLoggingEnabled: false,
        loggerCallback: (level, message, containsPii) => {
          if (containsPii) return;
          if (level === LogLevel.Error) console.warn(`[msal] ${message}`);
        },
      },
    },
  };
}

/**
 * One PublicClientApplication per page load, created on first render. MsalProvider initializes
 * it and handles the redirect response; until then `inProgress` is "startup" and auth-dependent
 * components render placeholders (the same on server and client: no hydration mismatch).
 */
export function MsalShell({ config, children }: { config: PublicConfig; children: React.ReactNode }) {
  const [instance] = useState(() => new PublicClientApplication(msalConfiguration(config)));
  return (
    <SpaConfigContext.Provider value={config}>
      <MsalProvider instance={instance}>{children}</MsalProvider>
    </SpaConfigContext.Provider>
  );
}
