"use client";

import {
  BrowserCacheLocation,
  EventType,
  InteractionStatus,
  InteractionType,
  LogLevel,
  Logger,
  PublicClientApplication,
  stubbedPublicClientApplication,
  type AccountInfo,
  type Configuration,
} from "@azure/msal-browser";
import { MsalContext, MsalProvider, type IMsalContext } from "@azure/msal-react";
import { createContext, useContext, useState } from "react";
import type { PublicConfig } from "@/lib/config/types";
import { recordConsentFailure } from "./consent-repair";

const SpaConfigContext = createContext<PublicConfig | null>(null);

/** The browser's share of the configuration (client id, authority, API scope). */
export function useSpaConfig(): PublicConfig {
  const config = useContext(SpaConfigContext);
  if (!config) throw new Error("useSpaConfig must be used inside <MsalShell>");
  return config;
}

function msalConfiguration(config: PublicConfig): Configuration {
  const origin = window.location.origin;
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
      // "CP1" when the API can pass on continuous access evaluation challenges (PublicConfig).
      clientCapabilities: config.clientCapabilities,
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

function createInstance(config: PublicConfig): PublicClientApplication {
  const instance = new PublicClientApplication(msalConfiguration(config));
  // Before MsalProvider handles the redirect response: a failed consent repair says why here.
  instance.addEventCallback((event) => {
    if (event.eventType === EventType.ACQUIRE_TOKEN_FAILURE && event.interactionType === InteractionType.Redirect) recordConsentFailure(event.error);
    // The account (tenant profile) of an interactive sign-in is the one the app uses from then on:
    // after a B2B guest signs in to this app's organization, its guest profile, not the home one it
    // signed in with before (the same account, so no LOGIN_SUCCESS: the count of accounts is unchanged).
    if (event.eventType === EventType.ACQUIRE_TOKEN_SUCCESS && event.interactionType === InteractionType.Redirect) {
      const account = (event.payload as { account?: AccountInfo | null } | null)?.account;
      if (account) instance.setActiveAccount(account);
    }
  });
  return instance;
}

// What the server renders with: MSAL is browser-only, and "startup" makes auth-dependent
// components render the same placeholders the browser's first render shows (no hydration
// mismatch, no flash of signed-out content).
const SERVER_CONTEXT: IMsalContext = {
  instance: stubbedPublicClientApplication,
  inProgress: InteractionStatus.Startup,
  accounts: [],
  logger: new Logger({}),
};

/**
 * One PublicClientApplication per page load, created in the browser on first render.
 * MsalProvider initializes it and handles the redirect response.
 */
export function MsalShell({ config, children }: { config: PublicConfig; children: React.ReactNode }) {
  const [instance] = useState(() => (typeof window === "undefined" ? null : createInstance(config)));
  return (
    <SpaConfigContext.Provider value={config}>
      {instance ? (
        <MsalProvider instance={instance}>{children}</MsalProvider>
      ) : (
        <MsalContext.Provider value={SERVER_CONTEXT}>{children}</MsalContext.Provider>
      )}
    </SpaConfigContext.Provider>
  );
}
