"use client";

import { InteractionStatus, type AccountInfo } from "@azure/msal-browser";
import { useMsal } from "@azure/msal-react";

export type SpaSession =
  | { status: "starting" }
  | { status: "signed-out" }
  | { status: "signed-in"; account: AccountInfo }
  | { status: "busy" };

/**
 * Where sign-in stands, without the flash of signed-out content: while MSAL starts up and
 * handles a redirect response we do not know yet, so callers render a placeholder.
 */
export function useSession(): SpaSession {
  const { instance, accounts, inProgress } = useMsal();
  if (inProgress === InteractionStatus.Startup || inProgress === InteractionStatus.HandleRedirect) return { status: "starting" };
  const account = instance.getActiveAccount() ?? accounts[0];
  if (account) return { status: "signed-in", account };
  if (inProgress !== InteractionStatus.None) return { status: "busy" };
  return { status: "signed-out" };
}
