"use client";

import { useMsal } from "@azure/msal-react";
import { useSpaConfig } from "./msal-shell";
import { useSession } from "./use-session";

/** Sign in / the signed-in user's name and Sign out, in the header. */
export function AccountMenu() {
  const { instance } = useMsal();
  const { apiScope } = useSpaConfig();
  const session = useSession();

  if (session.status === "starting" || session.status === "busy") {
    return <span className="skeleton" style={{ width: "8rem" }} aria-hidden="true" />;
  }
  if (session.status === "signed-out") {
    return (
      <button
        type="button"
        className="button"
        // Ask for the API scope at sign-in, so the first API call needs no second round trip.
        onClick={() => void instance.loginRedirect({ scopes: [apiScope] })}
      >
        Sign in
      </button>
    );
  }
  const { account } = session;
  return (
    <span className="account-area">
      <span aria-label="Signed in as">{account.name ?? account.username}</span>
      <button
        type="button"
        className="button secondary"
        // The ID token's login_hint optional claim as logout_hint: Entra signs this account out
        // without asking "Pick an account" (msal-browser would add it too; here it is on purpose).
        onClick={() => void instance.logoutRedirect({ account, logoutHint: account.loginHint ?? account.idTokenClaims?.login_hint })}
      >
        Sign out
      </button>
    </span>
  );
}
