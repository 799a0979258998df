"use client";

import type { DirectoryResponse } from "./api-types";
import { ErrorPanel } from "./error-panel";
import { RequestTraceView } from "./request-trace";
import { useApi } from "./use-api";

export function DirectorySkeleton() {
  return (
    <div aria-busy="true" aria-label="Loading the directory">
      {Array.from({ length: 8 }, (_, i) => (
        <div key={i} className="skeleton" style={{ width: "100%" }} />
      ))}
    </div>
  );
}

/** The people of the user's organization (every Graph /users page), fetched by our API On-Behalf-Of the user. */
export function DirectoryView() {
  const { data, error, isLoading, mutate } = useApi<DirectoryResponse>("/api/directory");
  if (error) return <ErrorPanel error={error} onRetry={() => void mutate()} />;
  if (isLoading || !data) return <DirectorySkeleton />;
  const people = data.data.value;
  return (
    <>
      <p role="status">
        {people.length} {people.length === 1 ? "person" : "people"}
        {data.data.truncated ? " (the first ones only: your organization is larger than this view lists)" : ""}
      </p>
      <div className="table-scroll">
        <table>
          <caption className="visually-hidden">People in your organization</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">User principal name</th>
              <th scope="col">Job title</th>
              <th scope="col">Type</th>
            </tr>
          </thead>
          <tbody>
            {people.map((p) => (
              <tr key={p.id}>
                <td>{p.displayName ?? "—"}</td>
                <td>
                  <code>{p.userPrincipalName ?? "—"}</code>
                </td>
                <td>{p.jobTitle ?? "—"}</td>
                <td>{p.userType ?? "Member"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <RequestTraceView trace={data.trace} />
    </>
  );
}
