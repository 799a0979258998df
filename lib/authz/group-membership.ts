import "server-only";
import { createHash } from "node:crypto";
import type { Caller } from "@/lib/auth";
import type { CacheStore } from "@/lib/cache";
import type { AppConfig } from "@/lib/config";
import { downstreamGet, onBehalfOf } from "@/lib/downstream";
import { describeError, log } from "@/lib/http/log";
import type { ServerTiming } from "@/lib/http/server-timing";
import type { OboTokenService } from "@/lib/tokens";

/**
 * How long a user's answer is kept: a user removed from a group keeps a view for at most this long
 * (their token's own `groups`, when it has them, lasts its hour anyway).
 */
export const GROUP_MEMBERSHIP_TTL_SECONDS = 300;
/** Microsoft Graph's checkMemberGroups takes at most 20 group ids per request. */
const GROUPS_PER_REQUEST = 20;

export interface MembershipRequest {
  correlationId: string;
  timing: ServerTiming;
  /** Test seam: answer Graph with this fetch. */
  fetch?: typeof fetch;
}

/**
 * Which of the configured groups a user belongs to, when the token cannot say (group overage, or
 * no `groups` claim): Microsoft Graph `POST /me/checkMemberGroups` On-Behalf-Of the user (User.Read
 * suffices for one's own memberships; direct and nested membership count). Never the URL in the
 * token's `_claim_sources`: that is data from the token, and following it would send the user's
 * Graph token wherever it points.
 *
 * Answers are cached per user and group set for GROUP_MEMBERSHIP_TTL_SECONDS in the shared store
 * (Redis when configured, encrypted; every instance then asks Graph once per user), concurrent
 * lookups for one user share one Graph call, and a failure is never cached: the caller gets the
 * 503 (Retry-After) and no access.
 * https://learn.microsoft.com/graph/api/directoryobject-checkmembergroups
 */
export class GroupMembership {
  private readonly inflight = new Map<string, Promise<ReadonlySet<string>>>();

  constructor(
    private readonly config: AppConfig,
    private readonly store: CacheStore,
    private readonly tokens: OboTokenService,
  ) {}

  async memberOf(caller: Caller, groupIds: readonly string[], request: MembershipRequest): Promise<ReadonlySet<string>> {
    const wanted = [...new Set(groupIds.map((g) => g.toLowerCase()))].sort();
    const key = `grp:v1:${createHash("sha256").update(`${this.config.api.clientId}|${caller.tid}|${caller.oid}|${wanted.join(",")}`).digest("hex").slice(0, 48)}`;
    const start = performance.now();
    const cached = await this.read(key);
    if (cached) {
      request.timing.add("groups", performance.now() - start, "cache");
      return cached;
    }
    const existing = this.inflight.get(key);
    if (existing) return existing;
    const lookup = this.ask(caller, wanted, request)
      .then(async (members) => {
        await this.store.set(key, JSON.stringify([...members]), GROUP_MEMBERSHIP_TTL_SECONDS).catch((e: unknown) => log("warn", "authz.groups_cache_write_failed", { error: describeError(e) }));
        return members;
      })
      .finally(() => {
        this.inflight.delete(key);
        request.timing.add("groups", performance.now() - start, "graph");
      });
    this.inflight.set(key, lookup);
    return lookup;
  }

  private async read(key: string): Promise<ReadonlySet<string> | undefined> {
    try {
      const raw = await this.store.get(key);
      if (raw === undefined) return undefined;
      const parsed: unknown = JSON.parse(raw);
      return Array.isArray(parsed) && parsed.every((g) => typeof g === "string") ? new Set(parsed) : undefined;
    } catch {
      return undefined; // an unreadable entry is a miss: ask Graph
    }
  }

  private async ask(caller: Caller, groupIds: string[], request: MembershipRequest): Promise<ReadonlySet<string>> {
    const graph = this.config.downstream.graph;
    const ctx = onBehalfOf(caller, graph, { config: this.config, tokens: this.tokens, correlationId: request.correlationId, timing: request.timing, fetch: request.fetch });
    const members = new Set<string>();
    for (let i = 0; i < groupIds.length; i += GROUPS_PER_REQUEST) {
      const chunk = groupIds.slice(i, i + GROUPS_PER_REQUEST);
      const res = await downstreamGet<{ value?: unknown }>(graph, "/me/checkMemberGroups", ctx, { postJson: { groupIds: chunk }, label: "checkMemberGroups" });
      const value = res.body?.value;
      if (!Array.isArray(value)) throw new Error("checkMemberGroups answered without a value array");
      // Only ids we asked about count, whatever else an answer might hold.
      for (const id of value) if (typeof id === "string" && chunk.includes(id.toLowerCase())) members.add(id.toLowerCase());
    }
    return members;
  }
}
