/**
 * `returnTo` sanitizer: the only values let through are same-origin, path-absolute references
 * ("/web", "/web?tab=raw#json"). Everything else (other origins, protocol-relative `//host`,
 * backslash tricks browsers normalize into `//`, schemes such as javascript:, control characters
 * browsers silently strip, percent-encoded slashes and backslashes that some servers or later
 * redirects decode) falls back to DEFAULT_RETURN_TO. An open redirect on a sign-in endpoint is a
 * phishing kit; when in doubt, the answer is "/web".
 */
export const DEFAULT_RETURN_TO = "/web";
const MAX_LENGTH = 512;
// Paths that must not be a destination after sign-in (would loop or act).
const FORBIDDEN_PREFIXES = ["/auth/", "/api/"];

export function sanitizeReturnTo(value: string | null | undefined): string {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_LENGTH) return DEFAULT_RETURN_TO;
  if (!isSafePath(value)) return DEFAULT_RETURN_TO;

  // Decode repeatedly (double/triple encoding) and require every layer to be just as safe.
  let decoded = value;
  for (let i = 0; i < 3; i++) {
    let next: string;
    try {
      next = decodeURIComponent(decoded);
    } catch {
      return DEFAULT_RETURN_TO; // malformed percent-encoding
    }
    if (next === decoded) break;
    if (!isSafePath(next, true)) return DEFAULT_RETURN_TO;
    decoded = next;
  }

  // Resolve against a sentinel origin: anything that escapes it is not a same-origin path.
  const sentinel = "http://return-to.invalid";
  let url: URL;
  try {
    url = new URL(value, sentinel);
  } catch {
    return DEFAULT_RETURN_TO;
  }
  if (url.origin !== sentinel) return DEFAULT_RETURN_TO;
  const path = url.pathname + url.search + url.hash;
  // Dot segments can normalize into a protocol-relative path: "/..//evil.com" -> "//evil.com".
  if (!isSafePath(path)) return DEFAULT_RETURN_TO;
  const lowerPath = url.pathname.toLowerCase();
  if (FORBIDDEN_PREFIXES.some((p) => lowerPath.startsWith(p) || lowerPath === p.slice(0, -1))) return DEFAULT_RETURN_TO;
  return path;
}

function isSafePath(v: string, decoded = false): boolean {
  if (!v.startsWith("/")) return false; // relative paths and schemes (javascript:, https:, data:)
  if (v.startsWith("//")) return false; // protocol-relative: another host
  if (v.includes("\\")) return false; // browsers treat \ as /: "/\evil.com" is "//evil.com"
  // control characters and whitespace: browsers strip tab/CR/LF, turning "/\t/evil.com" into "//evil.com"
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || (c === 0x20 && !decoded)) return false;
  }
  return true;
}
