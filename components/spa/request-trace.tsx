import type { TimingMetric } from "./server-timing";

export interface RequestTrace {
  path: string;
  status: number;
  /** Round trip measured in the browser. */
  totalMs: number;
  metrics: TimingMetric[];
  correlationId: string | null;
}

const HOP_LABELS: Record<string, string> = {
  "proxy-verify": "API verifies your access token (proxy.ts)",
  verify: "Route handler checks the verified token",
  obo: "API gets a token On-Behalf-Of you",
  graph: "Microsoft Graph",
  arm: "Azure Resource Manager",
  self: "API's own time (without Graph and ARM)",
};

function ms(value: number | undefined): string {
  return value === undefined ? "" : `${value < 10 ? value.toFixed(2) : Math.round(value)} ms`;
}

/**
 * The hops behind one API call, from the API's Server-Timing header: learners see that the
 * second request is served from the token cache (obo "hit") and what Graph or ARM cost.
 */
export function RequestTraceView({ trace }: { trace: RequestTrace }) {
  return (
    <section className="panel trace" aria-labelledby="trace-heading">
      <h2 id="trace-heading" style={{ marginTop: 0 }}>
        Request trace
      </h2>
      <ol>
        <li>
          Browser → <code>GET {trace.path}</code> → {trace.status} in {ms(trace.totalMs)}
        </li>
        {trace.metrics
          .filter((m) => m.name !== "total")
          .map((m, index) => (
            <li key={`${m.name}-${index}`}>
              {HOP_LABELS[m.name] ?? m.name}
              {m.name === "obo" && m.description ? (
                <>
                  {" "}
                  <span className="badge">{m.description === "hit" ? "cache hit" : "cache miss: asked the identity provider"}</span>
                </>
              ) : m.description ? (
                <span className="muted"> ({m.description})</span>
              ) : null}
              {m.durationMs !== undefined ? <> — {ms(m.durationMs)}</> : null}
            </li>
          ))}
      </ol>
      {trace.correlationId ? (
        <p className="muted">
          Correlation id <code>{trace.correlationId}</code> (also sent downstream as <code>client-request-id</code>)
        </p>
      ) : null}
    </section>
  );
}
