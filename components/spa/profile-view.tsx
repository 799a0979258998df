"use client";

import type { MeResponse } from "./api-types";
import { ErrorPanel } from "./error-panel";
import { ProfilePhoto } from "./profile-photo";
import { RequestTraceView } from "./request-trace";
import { useApi } from "./use-api";

function ProfileSkeleton() {
  return (
    <div aria-busy="true" aria-label="Loading your profile">
      {[12, 18, 10, 14, 9].map((w, i) => (
        <div key={i} className="skeleton" style={{ width: `${w}rem` }} />
      ))}
    </div>
  );
}

export { ProfileSkeleton };

/** The signed-in user's Graph profile, fetched by our API On-Behalf-Of the user. */
export function ProfileView() {
  const { data, error, isLoading, mutate } = useApi<MeResponse>("/api/me");
  if (error) return <ErrorPanel error={error} onRetry={() => void mutate()} />;
  if (isLoading || !data) return <ProfileSkeleton />;

  const { profile, manager, managerUnavailable } = data.data;
  // Never a nameless manager: the API drops one, and a manager with neither name reads as unavailable.
  const managerName = manager?.displayName || manager?.userPrincipalName;
  const rows: [string, React.ReactNode][] = [
    ["Name", profile.displayName],
    ["Email", profile.mail ?? profile.userPrincipalName],
    ["User principal name", profile.userPrincipalName],
    ["Job title", profile.jobTitle],
    ["Office", profile.officeLocation],
    ["Phone", profile.businessPhones?.[0] ?? profile.mobilePhone],
    [
      "Manager",
      managerName
        ? `${managerName}${manager?.jobTitle ? `, ${manager.jobTitle}` : ""}`
        : managerUnavailable || manager
          ? `Manager unavailable: ${managerUnavailable?.reason ?? "Microsoft Graph did not name your manager."}`
          : "No manager",
    ],
  ];
  return (
    <>
      <div className="profile-heading">
        <ProfilePhoto name={profile.displayName ?? profile.userPrincipalName ?? "you"} />
        <p style={{ margin: 0, fontSize: "1.25rem", fontWeight: 600 }}>{profile.displayName}</p>
      </div>
      <dl className="profile" aria-label="Profile">
        {rows.map(([label, value]) => (
          <div key={label} style={{ display: "contents" }}>
            <dt>{label}</dt>
            <dd>{value || <span className="muted">Not set</span>}</dd>
          </div>
        ))}
      </dl>
      <details>
        <summary>Raw JSON from the API</summary>
        <pre>{JSON.stringify(data.data, null, 2)}</pre>
      </details>
      <RequestTraceView trace={data.trace} />
    </>
  );
}
