import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { directoryView } from "@/lib/views/directory";
import { loadWebView } from "@/lib/webauth/views";
import { ViewStatePanel } from "../view-panels";

export const metadata: Metadata = { title: "Directory" };

const PATH = "/web/directory";

/**
 * /web/directory: the Directory view rendered on the server under the API's own rules (app role
 * Directory.Read or one of AZURE_DIRECTORY_GROUP_IDS, resolved through Graph on a group overage).
 */
export default async function WebDirectoryPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const state = await loadWebView("directory", PATH, await searchParams, directoryView);
  if (state.kind === "redirect") redirect(state.location);
  return (
    <main id="main">
      <h1>Your organization&apos;s directory (server-rendered)</h1>
      <p className="muted">
        Microsoft Graph <code>/users</code>, every page, called by this app&apos;s server On-Behalf-Of you, under the same rules as the
        single-page app&apos;s view.
      </p>
      {state.kind === "ok" ? (
        <>
          <p role="status">
            {state.data.value.length} {state.data.value.length === 1 ? "person" : "people"}
          </p>
          <div className="table-scroll">
            <table>
              <caption className="visually-hidden">People in your organization</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">User principal name</th>
                  <th scope="col">Type</th>
                </tr>
              </thead>
              <tbody>
                {state.data.value.map((p) => (
                  <tr key={p.id}>
                    <td>{p.displayName ?? "—"}</td>
                    <td>
                      <code>{p.userPrincipalName ?? "—"}</code>
                    </td>
                    <td>{p.userType ?? "Member"}</td>
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
