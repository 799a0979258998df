import "server-only";
import type { DownstreamApi } from "@/lib/config";
import { downstreamError } from "@/lib/errors";
import { describeError, log } from "@/lib/http/log";
import { downstreamGet, type DownstreamContext, type DownstreamResponse } from "./client";
import { nextLinkUrl } from "./url";

export interface PageOptions {
  /** Stop after this many pages (the result is then `truncated`). Default 20. */
  maxPages?: number;
  /** Stop after this many items. Default 5 000. */
  maxItems?: number;
  label?: string;
}

export interface PagedResult<T> {
  items: T[];
  pages: number;
  /** True when a bound stopped paging before the last page. */
  truncated: boolean;
}

/**
 * GET every page of a collection (`value` array), following `@odata.nextLink` (Graph) or
 * `nextLink` (ARM), bounded by maxPages/maxItems. A link that is not an absolute https URL on the
 * API's own origin ends the request with 502 downstream_link_refused: it is data from the
 * response, and following it would send the user's token wherever it points.
 */
export async function downstreamGetAll<T>(api: DownstreamApi, path: string, ctx: DownstreamContext, options: PageOptions = {}): Promise<PagedResult<T>> {
  const maxPages = options.maxPages ?? 20;
  const maxItems = options.maxItems ?? 5_000;
  const items: T[] = [];
  let next: string | URL | undefined = path;
  let pages = 0;
  while (next) {
    if (pages >= maxPages || items.length >= maxItems) {
      log("warn", "downstream.paging_truncated", { api: api.name, correlationId: ctx.correlationId, pages, items: items.length });
      return { items: items.slice(0, maxItems), pages, truncated: true };
    }
    pages++;
    const res: DownstreamResponse<{ value?: T[]; "@odata.nextLink"?: string; nextLink?: string }> = await downstreamGet(api, next, ctx, {
      label: `${options.label ?? "page"} ${pages}`,
    });
    const body = res.body;
    if (!body || !Array.isArray(body.value)) throw downstreamError(api.name, res.status, new Error("collection response without a value array"));
    items.push(...body.value);
    const link: unknown = body["@odata.nextLink"] ?? body.nextLink ?? undefined;
    try {
      next = link === undefined || link === null ? undefined : nextLinkUrl(api, link, ctx);
    } catch (e) {
      // The reason names the other host (for the operator); the caller's problem does not.
      log("warn", "downstream.link_refused", { api: api.name, correlationId: ctx.correlationId, page: pages, reason: describeError((e as Error).cause ?? e) });
      throw e;
    }
  }
  const truncated = items.length > maxItems;
  return { items: truncated ? items.slice(0, maxItems) : items, pages, truncated };
}
