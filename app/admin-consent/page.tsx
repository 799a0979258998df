import type { Metadata } from "next";
import Link from "next/link";
import { describeAdminConsentError } from "@/lib/consent/admin-consent-result";

export const metadata: Metadata = { title: "Admin consent", robots: { index: false } };

type Search = Record<string, string | string[] | undefined>;

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
const TENANT = /^[0-9a-f-]{36}$/i;

/**
 * Where the identity provider's admin-consent endpoint returns the administrator (a redirect URI
 * registered on the API): `admin_consent=True&tenant=<tid>`, or `error` and `error_description`.
 * Anyone can link here with any query, so an error is told in this app's words only (see
 * describeAdminConsentError), never with the text the address carries.
 */
export default async function AdminConsentPage({ searchParams }: { searchParams: Promise<Search> }) {
  const q = await searchParams;
  const granted = first(q.admin_consent)?.toLowerCase() === "true";
  const tenant = first(q.tenant);
  const error = first(q.error);
  const failure = error ? describeAdminConsentError(error, first(q.error_description)) : undefined;
  return (
    <main id="main">
      {granted ? (
        <>
          <h1>Admin consent granted</h1>
          <p>
            This app&apos;s API may now call Microsoft Graph and Azure Resource Manager on behalf of every user of your organization
            {tenant && TENANT.test(tenant) ? (
              <>
                {" "}
                (tenant <code>{tenant}</code>)
              </>
            ) : null}
            . Users who were told that an administrator must grant consent can select <strong>Try again</strong>.
          </p>
        </>
      ) : failure ? (
        <>
          <h1>Admin consent was not granted</h1>
          <p role="alert">
            {failure.message}
            {failure.code || failure.entraCode ? (
              <>
                {" "}
                (<code>{[failure.code, failure.entraCode].filter(Boolean).join(", ")}</code>)
              </>
            ) : null}
          </p>
          <p>Sign in with an account that may grant consent for your organization (for example a Global Administrator) and try again.</p>
        </>
      ) : (
        <>
          <h1>Admin consent</h1>
          <p>This page shows the result of granting this app&apos;s permissions for an organization. Nothing was granted here.</p>
        </>
      )}
      <p>
        <Link href="/profile">Go to your profile</Link> · <Link href="/">Home</Link>
      </p>
    </main>
  );
}
