/**
 * The one check for paging links (`@odata.nextLink`, `nextLink`) before a token is sent to them,
 * shared by the API (lib/downstream) and the CLI. Pure: no imports, no I/O.
 *
 * A paging link is data from a response. URL parsers are forgiving (they drop spaces, tabs and
 * newlines, read `\` as `/`, resolve `http:host/x` without slashes), so a string that does not
 * *look* like `https://other/` may still lead there. The rule is therefore: parse it as an
 * absolute URL, and follow it only when it is https (http only when a test asks for it), carries
 * no user credentials, and has exactly the origin of the API's base URL. Anything a parser would
 * have to repair (whitespace, control characters, backslashes, non-ASCII) is refused before
 * parsing: Graph and ARM send plain absolute ASCII URLs.
 */

export interface NextLinkOptions {
  /** Accept http:// (local test servers only; never for a configured API). Default false. */
  allowHttp?: boolean;
}

export type NextLinkResult = { ok: true; url: URL } | { ok: false; reason: string };

/** ARM skip tokens run to a few kilobytes; anything far beyond is not a paging link. */
const MAX_LINK_LENGTH = 16_384;
// Visible ASCII only, and no backslash.
const PLAIN_URL_TEXT = /^[\x21-\x5b\x5d-\x7e]+$/;

export function checkNextLink(link: unknown, baseUrl: string | URL, options: NextLinkOptions = {}): NextLinkResult {
  if (typeof link !== "string" || link === "") return { ok: false, reason: "that is not a non-empty string" };
  if (link.length > MAX_LINK_LENGTH) return { ok: false, reason: `longer than ${MAX_LINK_LENGTH} characters` };
  if (!PLAIN_URL_TEXT.test(link)) {
    return { ok: false, reason: "with characters a URL must not contain (whitespace, control characters, backslashes or non-ASCII)" };
  }
  let url: URL;
  try {
    url = new URL(link); // no base: a relative link is not what Graph or ARM send
  } catch {
    return { ok: false, reason: "that is not an absolute URL" };
  }
  return checkOrigin(url, new URL(baseUrl), options);
}

/** The same origin rule for a URL the caller built itself (a path under the base URL). */
export function checkOrigin(url: URL, base: URL, options: NextLinkOptions = {}): NextLinkResult {
  const schemes = options.allowHttp ? ["https:", "http:"] : ["https:"];
  if (!schemes.includes(url.protocol)) return { ok: false, reason: `that is not https (${url.protocol})` };
  if (url.username || url.password) return { ok: false, reason: "carrying user credentials" };
  if (url.origin !== base.origin) return { ok: false, reason: `to another host (${url.host})` };
  return { ok: true, url };
}
