"use client";

import { useMemo, useState } from "react";
import type { Subscription, SubscriptionsResponse } from "./api-types";
import { ErrorPanel } from "./error-panel";
import { RequestTraceView } from "./request-trace";
import { useApi } from "./use-api";

type SortKey = keyof Pick<Subscription, "displayName" | "subscriptionId" | "state" | "tenantId">;
const COLUMNS: { key: SortKey; label: string }[] = [
  { key: "displayName", label: "Name" },
  { key: "subscriptionId", label: "Subscription id" },
  { key: "state", label: "State" },
  { key: "tenantId", label: "Tenant" },
];

export function SubscriptionsSkeleton() {
  return (
    <div aria-busy="true" aria-label="Loading your subscriptions">
      {Array.from({ length: 6 }, (_, i) => (
        <div key={i} className="skeleton" style={{ width: "100%" }} />
      ))}
    </div>
  );
}

/** The user's Azure subscriptions (every ARM page), fetched by our API On-Behalf-Of the user. */
export function SubscriptionsView() {
  const { data, error, isLoading, mutate } = useApi<SubscriptionsResponse>("/api/subscriptions");
  const [sort, setSort] = useState<{ key: SortKey; ascending: boolean }>({ key: "displayName", ascending: true });
  const rows = useMemo(() => {
    const list = [...(data?.data.value ?? [])];
    list.sort((a, b) => a[sort.key].localeCompare(b[sort.key], undefined, { numeric: true }) * (sort.ascending ? 1 : -1));
    return list;
  }, [data, sort]);

  if (error) return <ErrorPanel error={error} onRetry={() => void mutate()} />;
  if (isLoading || !data) return <SubscriptionsSkeleton />;

  if (rows.length === 0) {
    return (
      <>
        <section className="panel">
          <h2 style={{ marginTop: 0 }}>No subscriptions</h2>
          <p>
            Azure Resource Manager returned no subscriptions for you in this tenant. You may have no role on any
            subscription, or they may live in another tenant (subscriptions are listed for the tenant you signed in to).
          </p>
        </section>
        <RequestTraceView trace={data.trace} />
      </>
    );
  }

  return (
    <>
      <p role="status">
        {rows.length} subscription{rows.length === 1 ? "" : "s"}
      </p>
      <div className="table-scroll">
        <table>
          <caption className="visually-hidden">Your Azure subscriptions, sortable by column</caption>
          <thead>
            <tr>
              {COLUMNS.map((c) => (
                <th key={c.key} scope="col" aria-sort={sort.key === c.key ? (sort.ascending ? "ascending" : "descending") : "none"}>
                  <button
                    type="button"
                    onClick={() => setSort((s) => ({ key: c.key, ascending: s.key === c.key ? !s.ascending : true }))}
                  >
                    {c.label}
                    <span aria-hidden="true">{sort.key === c.key ? (sort.ascending ? " ▲" : " ▼") : ""}</span>
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((s) => (
              <tr key={s.subscriptionId}>
                <td>{s.displayName}</td>
                <td>
                  <code>{s.subscriptionId}</code>
                </td>
                <td>{s.state}</td>
                <td>
                  <code>{s.tenantId}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <RequestTraceView trace={data.trace} />
    </>
  );
}
