import { isIP } from "node:net";

/**
 * The app's public origin (scheme://host[:port]) as the browser sees it: the base of the redirect
 * URI, of post-logout redirects, and of the same-origin check on POST /auth/logout.
 *
 * A fixed `baseUrl` (APP_BASE_URL) wins over every header; production requires it (lib/config).
 * Without it, behind a TLS-terminating proxy the app receives plain http and the proxy reports
 * the original scheme and host in X-Forwarded-Proto and X-Forwarded-Host. Those headers are only
 * believed when `trustForwardedHeaders` is on (default off), and then only the value the nearest
 * proxy appended (the rightmost: whatever is left of it came from the client or farther away),
 * and only when well formed (a scheme of http/https, a host name or IP with an optional port).
 *
 * Why forged headers are not a hole here: an attacker can only forge them on their own requests
 * (browsers never let a cross-site page set them), and the identity provider only redirects to
 * registered redirect URIs, so a forged origin only breaks the forger's own sign-in.
 */
export interface OriginOptions {
  /** A configured public base URL (e.g. https://contoso.azurewebsites.net); overrides all headers. */
  baseUrl?: string;
  /** Believe X-Forwarded-Proto / X-Forwarded-Host (set by a proxy in front of the app). Default false. */
  trustForwardedHeaders?: boolean;
}

export class OriginError extends Error {
  readonly code = "bad_host";
  constructor(message: string) {
    super(message);
    this.name = "OriginError";
  }
}

// host = reg-name or IPv4 (letters, digits, dots, hyphens) or [IPv6]; optional :port. No userinfo, path, spaces.
const HOST = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::(\d{1,5}))?$/i;

/** True for `host`, `host:port`, `1.2.3.4:80`, `[::1]:3000`; false for anything carrying more than a host. */
export function isValidHost(value: string): boolean {
  if (value.length > 261) return false;
  const m = HOST.exec(value);
  if (!m) return false;
  const port = m[1];
  return port === undefined || (Number(port) >= 1 && Number(port) <= 65535);
}

/** The value the nearest proxy appended: the last of a comma-separated list (several header lines are joined). */
function nearestProxyValue(header: string | null): string | undefined {
  const value = header?.split(",").at(-1)?.trim();
  return value ? value : undefined;
}

/**
 * @param headers the request headers
 * @param requestUrl the URL the server saw (used when no usable Host header is present)
 */
export function publicOrigin(headers: Headers, requestUrl: string, options: OriginOptions = {}): string {
  if (options.baseUrl) {
    const base = new URL(options.baseUrl);
    if (base.protocol !== "https:" && base.protocol !== "http:") throw new OriginError("the configured base URL must be http(s)");
    return base.origin;
  }
  const seen = new URL(requestUrl);
  const trust = options.trustForwardedHeaders ?? false;

  let proto = seen.protocol === "https:" ? "https" : "http";
  let host: string | undefined;
  if (trust) {
    const fProto = nearestProxyValue(headers.get("x-forwarded-proto"))?.toLowerCase();
    if (fProto === "https" || fProto === "http") proto = fProto;
    const fHost = nearestProxyValue(headers.get("x-forwarded-host"));
    if (fHost && isValidHost(fHost)) host = fHost;
  }
  if (!host) {
    const h = headers.get("host")?.trim();
    if (h !== undefined && h !== "") {
      if (!isValidHost(h)) throw new OriginError("the request's Host header is not a valid host name");
      host = h;
    } else {
      host = seen.host;
    }
  }
  // new URL normalizes case and drops a default port (https://x:443 -> https://x).
  return new URL(`${proto}://${host}`).origin;
}

/** True when the origin is https (cookies are then Secure and `__Host-` prefixed). */
export function isSecureOrigin(origin: string): boolean {
  return origin.startsWith("https:");
}

/**
 * The caller's IP address as the nearest proxy reported it (the rightmost X-Forwarded-For value;
 * App Service appends `ip:port`), only when forwarded headers are trusted; undefined otherwise or
 * when the value is not an IP address. For per-client rate limits, never for authorization.
 */
export function forwardedClientAddress(headers: Headers, trustForwardedHeaders: boolean): string | undefined {
  if (!trustForwardedHeaders) return undefined;
  const value = nearestProxyValue(headers.get("x-forwarded-for"));
  if (!value || value.length > 64) return undefined;
  const bracketed = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/i.exec(value);
  const ipv4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(value);
  const address = bracketed?.[1] ?? ipv4WithPort?.[1] ?? value;
  return isIP(address) ? address.toLowerCase() : undefined;
}
