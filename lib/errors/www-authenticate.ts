/**
 * RFC 7235 `WWW-Authenticate` challenges: a serializer and a parser that agree with each other.
 *
 * Shared by server and browser code (the SPA reads `claims` out of an `insufficient_claims`
 * challenge), so this module imports nothing and never touches Node APIs.
 *
 * Grammar (RFC 7235 §2.1, §4.1; RFC 7230 §3.2.6):
 *   WWW-Authenticate = 1#challenge
 *   challenge        = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 *   auth-param       = token BWS "=" BWS ( token / quoted-string )
 *   quoted-string    = DQUOTE *( qdtext / quoted-pair ) DQUOTE
 *   quoted-pair      = "\" ( HTAB / SP / VCHAR / obs-text )
 * Values such as base64 `claims` contain `=` and `,`, so naive splitting on either is wrong.
 */

export interface Challenge {
  /** Auth scheme as sent, e.g. "Bearer". Compare case-insensitively. */
  scheme: string;
  /** Auth-params with lower-cased names (names are case-insensitive). First occurrence wins. */
  params: Record<string, string>;
  /** The token68 form (e.g. `Negotiate abc==`), when the challenge used it instead of params. */
  token68?: string;
}

const TCHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Characters a quoted-string may carry (qdtext plus what quoted-pair escapes): HTAB, SP, VCHAR, obs-text.
const QUOTABLE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** True when `value` is an RFC 7230 token (usable as a scheme or parameter name). */
export function isToken(value: string): boolean {
  return TCHAR.test(value);
}

/** Serializes one value as an RFC 7230 quoted-string, escaping `\` and `"`. */
export function quoteString(value: string): string {
  if (!QUOTABLE.test(value)) {
    throw new TypeError("auth-param value contains characters that cannot appear in an HTTP header (control characters or non-Latin-1)");
  }
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * Builds one challenge: `Bearer realm="", error="invalid_token", error_description="..."`.
 * Parameters keep their order; every value is sent as a quoted-string (RFC 6750 §3 requires it
 * for its attributes, and it is always valid). Entries whose value is undefined are skipped.
 */
export function formatChallenge(
  scheme: string,
  params: ReadonlyArray<readonly [string, string | undefined]> | Readonly<Record<string, string | undefined>>,
): string {
  if (!isToken(scheme)) throw new TypeError(`invalid auth-scheme: ${JSON.stringify(scheme)}`);
  const entries = Array.isArray(params) ? params : Object.entries(params);
  const parts: string[] = [];
  for (const [name, value] of entries as ReadonlyArray<readonly [string, string | undefined]>) {
    if (value === undefined) continue;
    if (!isToken(name)) throw new TypeError(`invalid auth-param name: ${JSON.stringify(name)}`);
    parts.push(`${name}=${quoteString(value)}`);
  }
  return parts.length ? `${scheme} ${parts.join(", ")}` : scheme;
}

/** Serializes several challenges into one header value. */
export function formatWwwAuthenticate(challenges: ReadonlyArray<Pick<Challenge, "scheme" | "params">>): string {
  return challenges.map((c) => formatChallenge(c.scheme, c.params)).join(", ");
}

/**
 * Parses a `WWW-Authenticate` header value (possibly several challenges) into challenges.
 * Lenient where the RFC allows (optional whitespace, empty list elements, unquoted token values),
 * strict where ambiguity would change meaning: an unterminated quoted-string or a parameter
 * without a value throws `SyntaxError`.
 */
export function parseWwwAuthenticate(header: string): Challenge[] {
  const p = new Parser(header);
  const challenges: Challenge[] = [];
  p.skipListSeparators();
  while (!p.done()) {
    const scheme = p.token();
    if (!scheme) throw new SyntaxError(`expected an auth-scheme at position ${p.pos}`);
    const challenge: Challenge = { scheme, params: {} };
    challenges.push(challenge);
    const hadSpace = p.skipSpaces();
    if (p.done() || p.peek() === ",") {
      p.skipListSeparators();
      continue;
    }
    if (!hadSpace) throw new SyntaxError(`expected a space after auth-scheme "${scheme}"`);

    // token68 or auth-param list? An auth-param starts with `token BWS =` followed by something
    // other than `=` (token68 may end in `=` padding, e.g. `abc==`).
    if (!p.looksLikeAuthParam()) {
      const t68 = p.token68();
      if (!t68) throw new SyntaxError(`expected token68 or auth-param at position ${p.pos}`);
      challenge.token68 = t68;
      p.skipSpaces();
      if (!p.done() && p.peek() !== ",") throw new SyntaxError(`unexpected character after token68 at position ${p.pos}`);
      p.skipListSeparators();
      continue;
    }

    // #auth-param; a following challenge starts where a list element is `token SP` (not `token =`).
    for (;;) {
      const name = p.token();
      p.skipSpaces();
      if (p.peek() !== "=") throw new SyntaxError(`expected "=" after auth-param "${name}" at position ${p.pos}`);
      p.pos++;
      p.skipSpaces();
      const value = p.peek() === '"' ? p.quoted() : p.token();
      const key = name.toLowerCase();
      if (!(key in challenge.params)) challenge.params[key] = value;
      p.skipSpaces();
      if (p.done()) break;
      if (p.peek() !== ",") throw new SyntaxError(`expected "," at position ${p.pos}`);
      p.skipListSeparators();
      if (p.done()) break;
      if (!p.looksLikeAuthParam()) break; // next challenge
    }
  }
  return challenges;
}

/** The first challenge with the given scheme (case-insensitive), if any. */
export function findChallenge(header: string | null | undefined, scheme = "Bearer"): Challenge | undefined {
  if (!header) return undefined;
  const wanted = scheme.toLowerCase();
  return parseWwwAuthenticate(header).find((c) => c.scheme.toLowerCase() === wanted);
}

/**
 * The decoded `claims` JSON of an `insufficient_claims` Bearer challenge (the SPA passes it to
 * msal-browser as `claims`), or undefined. Accepts standard and url-safe base64.
 */
export function claimsFromChallenge(header: string | null | undefined): string | undefined {
  const challenge = findChallenge(header);
  const encoded = challenge?.params.claims;
  if (!challenge || challenge.params.error !== "insufficient_claims" || !encoded) return undefined;
  return decodeBase64Text(encoded);
}

/** UTF-8 text to standard base64 (with padding), as Entra encodes `claims` in challenges. */
export function encodeBase64Text(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** Standard or url-safe base64 (padding optional) to UTF-8 text. */
export function decodeBase64Text(encoded: string): string {
  const normalized = encoded.replace(/-/g, "+").replace(/_/g, "/");
  const padded = normalized + "=".repeat((4 - (normalized.length % 4)) % 4);
  const binary = atob(padded);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
}

class Parser {
  pos = 0;
  constructor(private readonly s: string) {}

  done(): boolean {
    return this.pos >= this.s.length;
  }
  peek(): string | undefined {
    return this.s[this.pos];
  }
  skipSpaces(): boolean {
    const start = this.pos;
    while (this.s[this.pos] === " " || this.s[this.pos] === "\t") this.pos++;
    return this.pos > start;
  }
  /** Skips OWS and any number of commas (RFC 7230 §7: empty list elements are allowed). */
  skipListSeparators(): void {
    while (this.s[this.pos] === " " || this.s[this.pos] === "\t" || this.s[this.pos] === ",") this.pos++;
  }
  token(): string {
    const start = this.pos;
    while (this.pos < this.s.length && TCHAR.test(this.s[this.pos] as string)) this.pos++;
    return this.s.slice(start, this.pos);
  }
  token68(): string {
    const start = this.pos;
    while (this.pos < this.s.length && /[A-Za-z0-9\-._~+/]/.test(this.s[this.pos] as string)) this.pos++;
    while (this.s[this.pos] === "=") this.pos++;
    return this.s.slice(start, this.pos);
  }
  quoted(): string {
    // assumes peek() === '"'
    this.pos++;
    let out = "";
    while (this.pos < this.s.length) {
      const c = this.s[this.pos] as string;
      if (c === '"') {
        this.pos++;
        return out;
      }
      if (c === "\\") {
        const next = this.s[this.pos + 1];
        if (next === undefined) break;
        out += next;
        this.pos += 2;
        continue;
      }
      out += c;
      this.pos++;
    }
    throw new SyntaxError("unterminated quoted-string");
  }
  /** At the current position: `token BWS "=" <not "=">`, i.e. an auth-param rather than token68/scheme. */
  looksLikeAuthParam(): boolean {
    const save = this.pos;
    try {
      const name = this.token();
      if (!name) return false;
      this.skipSpaces();
      if (this.peek() !== "=") return false;
      this.pos++;
      this.skipSpaces();
      const next = this.peek();
      return next === '"' || (next !== undefined && next !== "=" && TCHAR.test(next));
    } finally {
      this.pos = save;
    }
  }
}
