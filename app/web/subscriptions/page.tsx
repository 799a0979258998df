import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { subscriptionsView } from "@/lib/views/subscriptions";
import { loadWebView } from "@/lib/webauth/views";
import { ViewStatePanel } from "../view-panels";

export const metadata: Metadata = { title: "Subscriptions" };

const PATH = "/web/subscriptions";

/**
 * /web/subscriptions: the Subscriptions view rendered on the server under the API's own rules
 * (app role Subscriptions.Read, the authentication context when configured: lib/webauth/views).
 */
export default async function WebSubscriptionsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const state = await loadWebView("subscriptions", PATH, await searchParams, subscriptionsView);
  if (state.kind === "redirect") redirect(state.location);
  return (
    <main id="main">
      <h1>Your Azure subscriptions (server-rendered)</h1>
      <p className="muted">
        Azure Resource Manager <code>/subscriptions</code>, called by this app&apos;s server On-Behalf-Of you, under the same rules as the
        single-page app&apos;s view.
      </p>
      {state.kind === "ok" ? (
        <>
          <p role="status">
            {state.data.value.length} subscription{state.data.value.length === 1 ? "" : "s"}
          </p>
          <div className="table-scroll">
            <table>
              <caption className="visually-hidden">Your Azure subscriptions</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Subscription id</th>
                  <th scope="col">State</th>
                </tr>
              </thead>
              <tbody>
                {state.data.value.map((s) => (
                  <tr key={s.subscriptionId}>
                    <td>{s.displayName}</td>
                    <td>
                      <code>{s.subscriptionId}</code>
                    </td>
                    <td>{s.state}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : (
        <ViewStatePanel state={state} returnTo={PATH} />
      )}
    </main>
  );
}
