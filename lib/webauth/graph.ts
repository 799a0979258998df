import "server-only";
import type { AppConfig } from "@/lib/config";
import { downstreamGet, type DownstreamContext } from "@/lib/downstream";
import { insufficientClaims, isApiError } from "@/lib/errors";
import { ServerTiming } from "@/lib/http/server-timing";
import { SignInRequiredError } from "./flow";

/**
 * GET {graph}/me with the user's token, for the /web page, through lib/downstream (timeouts,
 * bounded retries honouring Retry-After, correlation id). Failures come back as values the page
 * shows in a panel; a Conditional Access claims challenge from Graph throws SignInRequiredError
 * (a web app answers it by sending the user through sign-in again with the claims).
 */
export type GraphMeResult =
  | { ok: true; status: number; profile: GraphProfile; rawJson: string; durationMs: number }
  | { ok: false; status: number; code: string; message: string; retryAfterSeconds?: number; durationMs: number };

export interface GraphProfile {
  id?: string;
  displayName?: string;
  userPrincipalName?: string;
  mail?: string | null;
  jobTitle?: string | null;
  officeLocation?: string | null;
  [key: string]: unknown;
}

export async function fetchGraphMe(
  config: Pick<AppConfig, "downstream" | "http" | "authority">,
  accessToken: string,
  correlationId: string,
  options: { fetch?: typeof fetch } = {},
): Promise<GraphMeResult> {
  const graph = config.downstream.graph;
  const timing = new ServerTiming();
  const ctx: DownstreamContext = {
    correlationId,
    timing,
    http: config.http,
    fetch: options.fetch,
    token: async (claims) => {
      // The token is fixed for this render; a claims challenge needs the user (see below).
      if (claims) throw insufficientClaims(claims, Buffer.from(claims).toString("base64"), `${config.authority}/oauth2/v2.0/authorize`);
      return accessToken;
    },
  };
  const elapsed = () => timing.entries.reduce((sum, e) => sum + e.durationMs, 0);
  try {
    const res = await downstreamGet<GraphProfile>(graph, "me", ctx, { label: "me" });
    const profile = res.body ?? {};
    return { ok: true, status: res.status, profile, rawJson: JSON.stringify(profile, null, 2), durationMs: elapsed() };
  } catch (e) {
    if (isApiError(e)) {
      if (e.code === "insufficient_claims") throw new SignInRequiredError("interaction_required", graph.scopes, e.claims, { cause: e });
      return { ok: false, status: e.status, code: e.code, message: e.detail, retryAfterSeconds: e.retryAfterSeconds, durationMs: elapsed() };
    }
    throw e;
  }
}
