import type { DownstreamApi } from "@/lib/config";
import { downstreamLinkRefused } from "@/lib/errors";
import { checkNextLink, checkOrigin } from "./next-link";

export interface ResolveOptions {
  /** Accept an http:// base URL and links (local test servers only; configuration requires https). */
  insecureHttpForTests?: boolean;
}

function baseOf(api: DownstreamApi): URL {
  return new URL(api.baseUrl.endsWith("/") ? api.baseUrl : `${api.baseUrl}/`);
}

/**
 * The URL to call: a path from our code under the API's base URL (`/me` → `<base>/me`), or a URL
 * already checked by nextLinkUrl. Either way it is parsed and must be https on the base URL's
 * origin: a token for `api` is never sent anywhere else.
 */
export function resolveUrl(api: DownstreamApi, pathOrUrl: string | URL, options: ResolveOptions = {}): URL {
  const base = baseOf(api);
  const url = typeof pathOrUrl === "string" ? new URL(pathOrUrl.replace(/^\/+/, ""), base) : pathOrUrl;
  const checked = checkOrigin(url, base, { allowHttp: options.insecureHttpForTests });
  if (!checked.ok) throw downstreamLinkRefused(api.name, new Error(`refusing ${url.protocol}//${url.host}: ${checked.reason}`));
  return checked.url;
}

/**
 * A paging link (`@odata.nextLink`, `nextLink`) from `api`'s response, as a URL to follow, or a
 * 502 downstream_link_refused when it is not an absolute https URL on `api`'s own origin.
 */
export function nextLinkUrl(api: DownstreamApi, link: unknown, options: ResolveOptions = {}): URL {
  const checked = checkNextLink(link, baseOf(api), { allowHttp: options.insecureHttpForTests });
  if (!checked.ok) throw downstreamLinkRefused(api.name, new Error(`refusing a paging link ${checked.reason}`));
  return checked.url;
}
