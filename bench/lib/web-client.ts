/**
 * A browser without a browser, for the fault suite's web-app checks: a cookie jar per origin (the
 * app's session cookie, the identity provider's), redirects followed on request, the first HTML
 * form of a page submitted with its hidden fields. No JavaScript: the server-rendered web app and
 * the emulator's pages need none.
 */
export interface Page {
  status: number;
  url: string;
  html: string;
  headers: Headers;
}

export interface RequestOptions {
  method?: string;
  form?: Record<string, string>;
  headers?: Record<string, string>;
  /** Send no cookies (a cross-site iframe: SameSite=Lax cookies stay home). */
  withoutCookies?: boolean;
}

export class WebClient {
  private readonly jars = new Map<string, Map<string, string>>();

  /** One request, no redirect followed; cookies stored. */
  async request(url: string, options: RequestOptions = {}): Promise<Page> {
    const origin = new URL(url).origin;
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    const jar = this.jars.get(origin);
    if (jar?.size && !options.withoutCookies) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
    let body: string | undefined;
    if (options.form) {
      body = new URLSearchParams(options.form).toString();
      headers["content-type"] = "application/x-www-form-urlencoded";
    }
    const res = await fetch(url, { method: options.method ?? (options.form ? "POST" : "GET"), headers, body, redirect: "manual" });
    if (!options.withoutCookies) this.store(origin, res);
    return { status: res.status, url, html: await res.text(), headers: res.headers };
  }

  /**
   * Requests `url` and follows redirects (GET) while `follow(next)` allows; returns the last page.
   * `headersFor(url)` adds headers per request (e.g. the front end's instance pin).
   */
  async go(url: string, options: RequestOptions & { follow?: (next: string) => boolean; headersFor?: (url: string) => Record<string, string> } = {}): Promise<Page & { visited: string[] }> {
    const visited: string[] = [];
    let current = url;
    let init: RequestOptions = options;
    for (let hops = 0; hops < 15; hops++) {
      visited.push(current);
      const page = await this.request(current, { ...init, headers: { ...(init.headers ?? {}), ...(options.headersFor?.(current) ?? {}) } });
      const location = page.headers.get("location");
      if (page.status < 300 || page.status >= 400 || !location) return { ...page, visited };
      const next = new URL(location, current).toString();
      if (options.follow && !options.follow(next)) return { ...page, visited };
      current = next;
      init = {};
    }
    throw new Error(`too many redirects from ${url}`);
  }

  /** The page's first form, submitted with its named inputs and `fields` (and a pressed button). */
  async submit(page: Page, fields: Record<string, string>, options: Parameters<WebClient["go"]>[1] = {}): Promise<Page & { visited: string[] }> {
    const form = /<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(page.html);
    if (!form) throw new Error(`no form on ${page.url}:\n${page.html.slice(0, 1500)}`);
    const values: Record<string, string> = {};
    for (const m of (form[2] ?? "").matchAll(/<input\b([^>]*)>/g)) {
      const attrs = m[1] ?? "";
      const name = /\bname="([^"]*)"/.exec(attrs)?.[1];
      const value = /\bvalue="([^"]*)"/.exec(attrs)?.[1];
      if (name && value !== undefined && !/type="(?:submit|radio|checkbox)"/.test(attrs)) values[unescapeHtml(name)] = unescapeHtml(value);
    }
    return this.go(new URL(unescapeHtml(form[1] ?? ""), page.url).toString(), { ...options, form: { ...values, ...fields } });
  }

  /** The cookie `name` this client holds for `origin`. */
  cookie(origin: string, name: string): string | undefined {
    return this.jars.get(origin)?.get(name);
  }

  /** Sets (or, with undefined, drops) a cookie, as a copy of someone else's would be. */
  setCookie(origin: string, name: string, value: string | undefined): void {
    const jar = this.jars.get(origin) ?? new Map<string, string>();
    if (value === undefined) jar.delete(name);
    else jar.set(name, value);
    this.jars.set(origin, jar);
  }

  private store(origin: string, res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(";");
      const eq = (pair ?? "").indexOf("=");
      if (!pair || eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      this.setCookie(origin, name, expired || value === "" ? undefined : value);
    }
  }
}

export function unescapeHtml(s: string): string {
  return s.replace(/&quot;/g, '"').replace(/&#x27;|&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

/** The visible text of a page, roughly (tags dropped, entities decoded). */
export function textOf(html: string): string {
  return unescapeHtml(html.replace(/<script[\s\S]*?<\/script>/gi, " ").replace(/<[^>]+>/g, " ")).replace(/\s+/g, " ");
}
