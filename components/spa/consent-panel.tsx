"use client";

import { useMsal } from "@azure/msal-react";
import { useState } from "react";
import { ADMIN_CONSENT_PATH, adminConsentUrl } from "@/lib/consent/admin-consent-url";
import type { ApiCallError } from "./api-client";
import { consentRepairState, startConsentRepair } from "./consent-repair";
import { useSpaConfig } from "./msal-shell";
import { useSession } from "./use-session";

/**
 * The API may not call Graph or ARM for this user yet (403 consent_required). First time: one
 * combined consent (Review and consent). If that cannot work (the tenant lets only administrators
 * consent, or the API does not list this app as a known client), say so and show the admin-consent
 * link instead of a button that would send the user round in circles.
 */
export function ConsentPanel({ error, onRetry }: { error: ApiCallError; onRetry: () => void }) {
  const { instance } = useMsal();
  const config = useSpaConfig();
  const session = useSession();
  const [repair] = useState(consentRepairState);
  const scopes = error.problem?.scopes ?? [];
  const account = session.status === "signed-in" ? session.account : undefined;

  const scopeList = scopes.length ? (
    <ul>
      {scopes.map((s) => (
        <li key={s}>
          <code>{s}</code>
        </li>
      ))}
    </ul>
  ) : null;

  if (!repair.attempted || repair.failure === "declined") {
    return (
      <section className="panel error" role="alert" aria-labelledby="consent-heading">
        <h2 id="consent-heading">Permission needed</h2>
        <p>
          This app&apos;s API needs your consent before it can call the next service on your behalf
          {scopes.length ? ":" : "."}
        </p>
        {scopeList}
        {repair.failure === "declined" ? <p>You cancelled the consent prompt, so nothing was granted.</p> : null}
        <button type="button" className="button" disabled={!account} onClick={() => account && void startConsentRepair(instance, account, config.apiScope)}>
          Review and consent
        </button>
      </section>
    );
  }

  const tenantId = account?.tenantId ?? "";
  // Which app the administrator consents to. The tenant lets only administrators consent: this
  // SPA, because consent to a client covers the API that lists it in knownClientApplications
  // (and the API's Graph and ARM permissions), not the other way round. The SPA's own consent went
  // through but did not reach the API's permissions (it is no known client of the API): the API.
  const forThisApp = repair.failure === "admin_required";
  const url = adminConsentUrl({
    authorityHost: config.authorityHost,
    tenantId: tenantId || "organizations",
    clientId: forThisApp ? config.spaClientId : config.apiClientId,
    redirectUri: window.location.origin + ADMIN_CONSENT_PATH,
  });
  return (
    <section className="panel error" role="alert" aria-labelledby="consent-heading">
      <h2 id="consent-heading">An administrator must grant consent</h2>
      <p>
        {repair.failure === "admin_required"
          ? "Your organization lets only administrators consent to apps, so you cannot grant these permissions yourself."
          : "Your consent did not give this app's API the permissions it needs. Its registration must list this app as a known client application for your consent to cover them; until then, an administrator has to grant them."}
      </p>
      {scopeList}
      <p>
        Send this link to an administrator of your organization{tenantId ? <> (tenant <code>{tenantId}</code>)</> : null}. Opening it,
        signing in and accepting grants, for everyone in the organization,{" "}
        {forThisApp
          ? "this app, its access to its API, and the API's permissions listed above (to call Microsoft Graph and Azure Resource Manager on each user's behalf)"
          : "this app's API the permissions listed above (to call Microsoft Graph and Azure Resource Manager on each user's behalf)"}
        :
      </p>
      <p>
        <a href={url}>Admin consent link</a>
        <br />
        <code className="wrap">{url}</code>
      </p>
      <p className="muted">When your administrator has granted consent, try again.</p>
      <button type="button" className="button" onClick={onRetry}>
        Try again
      </button>
    </section>
  );
}

/**
 * 403 tenant_not_allowed: signed in fine, but the app does not serve this organization. When users
 * sign in at `organizations`, a B2B guest of the app's own organization lands here too: Entra signs
 * them in at their HOME tenant. "Use a guest account" signs them in at the app's organization instead.
 */
export function TenantNotAllowedPanel({ error }: { error: ApiCallError }) {
  const session = useSession();
  const { instance } = useMsal();
  const config = useSpaConfig();
  const tenantId = error.problem?.tenantId ?? (session.status === "signed-in" ? session.account.tenantId : "");
  const username = session.status === "signed-in" ? session.account.username : undefined;
  const guestsPossible = config.homeAuthority !== config.authority;
  return (
    <section className="panel error" role="alert" aria-labelledby="tenant-heading">
      <h2 id="tenant-heading">Your organization can&apos;t use this app yet</h2>
      <p>
        You are signed in{username ? <> as {username}</> : null}, an account of the organization (tenant) <code>{tenantId}</code>. This
        app serves only the organizations its operators have allowed, and yours is not one of them.
      </p>
      <p>
        Ask the people who run this app to add your tenant ID <code>{tenantId}</code> to its allowed tenants. If you have an account
        in an organization that is allowed, sign out (top right) and sign in with that account.
      </p>
      {guestsPossible ? (
        <>
          <p>
            Were you invited as a guest by the organization that runs this app? Then use that guest account: you sign in with the same
            name and password, to their organization instead of yours.
          </p>
          <button
            type="button"
            className="button"
            onClick={() => void instance.loginRedirect({ scopes: [config.apiScope], authority: config.homeAuthority, ...(username ? { loginHint: username } : {}), redirectStartPage: window.location.href })}
          >
            Use a guest account
          </button>
        </>
      ) : null}
    </section>
  );
}
