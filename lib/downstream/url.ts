import type { DownstreamApi } from "@/lib/config";
import { downstreamError } from "@/lib/errors";

/** Absolute URL for `path` under the API's base URL; absolute URLs must stay on the API's origin. */
export function resolveUrl(api: DownstreamApi, pathOrUrl: string): URL {
  const base = new URL(api.baseUrl.endsWith("/") ? api.baseUrl : `${api.baseUrl}/`);
  if (/^https?:\/\//i.test(pathOrUrl)) {
    const url = new URL(pathOrUrl);
    // Never send the user's token to another host (a nextLink is data from the response).
    if (url.origin !== base.origin) throw downstreamError(api.name, 502, new Error(`refusing to follow a link to another origin (${url.origin})`));
    return url;
  }
  return new URL(pathOrUrl.replace(/^\/+/, ""), base);
}
