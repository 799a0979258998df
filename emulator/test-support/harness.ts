// Test helpers for the emulator's own Jest suites: start an isolated instance,
// call the control API, and drive the HTML pages over real HTTP with a cookie
// jar (no mocks, no browser).
import { createHash, randomBytes } from "node:crypto";
import { execFile } from "node:child_process";
import { mkdtempSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ensureCertificates, startEmulator, type RunningEmulator, type StartEmulatorOptions } from "../index";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const STATE_DIR = path.join(REPO_ROOT, ".emulator");

/**
 * Starts an emulator on a free port with its own tenant.json. Certificates come
 * from the shared state folder because this process trusts that CA through
 * NODE_EXTRA_CA_CERTS, which Node reads only at start-up.
 */
export async function startTestEmulator(opts: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  const certs = await ensureCertificates(STATE_DIR);
  const trusted = process.env.NODE_EXTRA_CA_CERTS;
  if (!trusted || realpathSync(path.resolve(trusted)) !== realpathSync(certs.caCertPath)) {
    throw new Error(
      `Emulator tests need this process to trust the emulator CA. Run:\n` +
        `  npx tsx emulator/main.ts --ensure-certs\n` +
        `  NODE_EXTRA_CA_CERTS=${certs.caCertPath} npx jest emulator\n(NODE_EXTRA_CA_CERTS is '${trusted ?? ""}')`,
    );
  }
  const dir = mkdtempSync(path.join(tmpdir(), "emulator-test-"));
  return startEmulator({ port: 0, stateDir: STATE_DIR, tenantFile: path.join(dir, "tenant.json"), deviceCodeIntervalSeconds: 1, ...opts });
}

/**
 * One emulator for a test file: started before its tests, closed after them and, unless `reset`
 * is false, reset through the control API after each test (a reset body, e.g. `{ sessions: true }`,
 * may say what else to clear). `assign` receives the running emulator.
 */
export function setupTestEmulator(
  assign: (emu: RunningEmulator) => void,
  opts: StartEmulatorOptions & { reset?: false | Record<string, unknown> } = {},
): void {
  const { reset = {}, ...start } = opts;
  let running: RunningEmulator | undefined;
  beforeAll(async () => {
    running = await startTestEmulator(start);
    assign(running);
  });
  afterAll(async () => {
    await running?.close();
  });
  if (reset !== false) {
    afterEach(async () => {
      if (running) await control(running, "POST", "/reset", reset);
    });
  }
}

export async function control<T = Record<string, unknown>>(
  emu: RunningEmulator,
  method: string,
  route: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${emu.tenant.control.url}${route}`, {
    method,
    headers: { authorization: `Bearer ${emu.tenant.control.secret}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`control ${method} ${route} -> ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

export function decodePayload(token: string): Record<string, unknown> {
  const part = token.split(".")[1] ?? "";
  return JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as Record<string, unknown>;
}

export function decodeHeader(token: string): Record<string, unknown> {
  const part = token.split(".")[0] ?? "";
  return JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as Record<string, unknown>;
}

export function msalAuth(emu: RunningEmulator, clientId: string, tenant = emu.tenant.tenantId) {
  return {
    clientId,
    authority: `${emu.tenant.authorityHost}/${tenant}`,
    knownAuthorities: [new URL(emu.url).host],
  };
}

export async function tokenRequest(
  emu: RunningEmulator,
  form: Record<string, string>,
  headers: Record<string, string> = {},
  tenant = emu.tenant.tenantId,
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(`${emu.url}/${tenant}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

// ---------- a tiny browser ----------

export interface Page {
  status: number;
  url: string;
  html: string;
  /** Set when a redirect left the emulator (the app's redirect URI). */
  leftTo?: string;
}

export class Browser {
  private cookies = new Map<string, string>();

  constructor(private readonly emu: RunningEmulator) {}

  cookieNames(): string[] {
    return [...this.cookies.keys()];
  }

  private store(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(";");
      const eq = (pair ?? "").indexOf("=");
      if (eq <= 0 || !pair) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a));
      if (expired || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  /** Requests a URL and follows redirects while they stay on the emulator. */
  async go(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Page> {
    let current = url;
    let method = init.method ?? (init.form ? "POST" : "GET");
    let body: string | undefined = init.form ? new URLSearchParams(init.form).toString() : undefined;
    for (let hops = 0; hops < 10; hops++) {
      const headers: Record<string, string> = {};
      if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
      if (body !== undefined) headers["content-type"] = "application/x-www-form-urlencoded";
      const res = await fetch(current, { method, headers, body, redirect: "manual" });
      this.store(res);
      const location = res.headers.get("location");
      if (res.status >= 300 && res.status < 400 && location) {
        const next = new URL(location, current).toString();
        if (!next.startsWith(this.emu.url)) return { status: res.status, url: current, html: await res.text(), leftTo: next };
        current = next;
        method = "GET";
        body = undefined;
        continue;
      }
      return { status: res.status, url: current, html: await res.text() };
    }
    throw new Error("too many redirects");
  }

  /** Submits the page's first form, with hidden fields kept and `fields` filled in. */
  async submit(page: Page, fields: Record<string, string> = {}, button?: { name: string; value: string }): Promise<Page> {
    const form = /<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(page.html);
    if (!form) throw new Error(`no form on page:\n${page.html.slice(0, 2000)}`);
    const action = new URL(unescapeHtml(form[1] ?? ""), page.url).toString();
    const values: Record<string, string> = {};
    // Like a browser: every named input with a value is submitted (buttons only when pressed).
    for (const m of (form[2] ?? "").matchAll(/<input\b([^>]*)>/g)) {
      const attrs = m[1] ?? "";
      const name = /\bname="([^"]*)"/.exec(attrs)?.[1];
      const value = /\bvalue="([^"]*)"/.exec(attrs)?.[1];
      if (name && value !== undefined) values[unescapeHtml(name)] = unescapeHtml(value);
    }
    Object.assign(values, fields);
    if (button) values[button.name] = button.value;
    if (action.startsWith(this.emu.url)) return this.go(action, { form: values });
    // form_post to the app: hand back what would be posted.
    return { status: 200, url: page.url, html: "", leftTo: `${action}#${new URLSearchParams(values).toString()}` };
  }
}

export function unescapeHtml(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

export function has(page: Page, text: string): boolean {
  return unescapeHtml(page.html).includes(text);
}

/** Parameters the emulator sent back to the app (query, fragment or form_post). */
export function redirectParams(leftTo: string | undefined): URLSearchParams {
  if (!leftTo) throw new Error("the flow did not redirect back to the app");
  const u = new URL(leftTo);
  return new URLSearchParams(u.hash ? u.hash.slice(1) : u.search);
}

/**
 * Runs jose's createRemoteJWKSet + jwtVerify in a child Node process: jose 6 is
 * ESM-only and Jest (CommonJS here) cannot load it in-process.
 */
export function verifyWithJose(
  jwksUri: string,
  checks: { token: string; issuer: string; audience: string }[],
): Promise<{ ok: boolean; kid?: string; code?: string; payload?: Record<string, unknown> }[]> {
  const script = path.join(__dirname, "jose-verify.mjs");
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [script], { env: process.env, cwd: REPO_ROOT, timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`jose verifier failed: ${err.message}\n${stderr}`));
      try {
        resolve(JSON.parse(stdout) as { ok: boolean; kid?: string; code?: string }[]);
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
    child.stdin?.end(JSON.stringify({ jwksUri, checks }));
  });
}
