/**
 * Test helpers for cli/*.test.ts: run the CLI as a child process, and fill in the emulator's HTML
 * forms over plain HTTPS with a cookie jar (no browser needed for a few forms).
 */
import { spawn, type ChildProcessByStdio, type SpawnOptionsWithStdioTuple, type StdioPipe } from "node:child_process";
import { existsSync } from "node:fs";
import type { Readable, Writable } from "node:stream";
import https from "node:https";
import path from "node:path";

export const PROJECT_ROOT = path.resolve(__dirname, "..");

export interface CliRun {
  child: ChildProcessByStdio<Writable, Readable, Readable>;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the first match of `pattern` in stderr (in a pseudo-terminal: in the terminal output). */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves when the process exits. */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** util-linux `script`, which runs a command in a pseudo-terminal; undefined where it is missing. */
export const SCRIPT_BIN = ["/usr/bin/script", "/bin/script"].find((p) => existsSync(p));

/**
 * Starts `node --import tsx cli/main.ts ...args` with exactly `env` (plus PATH). With `pty`, the CLI
 * runs inside `script` so stdin/stdout/stderr are a terminal (prompt, countdown, Ctrl-C); the
 * terminal output then arrives on stdout and what the test writes to stdin is "typed".
 */
export function startCli(args: string[], env: Record<string, string>, opts: { pty?: boolean } = {}): CliRun {
  const nodeArgs = ["--import", "tsx", path.join(PROJECT_ROOT, "cli", "main.ts"), ...args];
  const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  if (opts.pty && !SCRIPT_BIN) throw new Error("no `script` binary to run a pseudo-terminal");
  const [command, commandArgs] = opts.pty
    ? [SCRIPT_BIN!, ["-q", "-e", "-c", [process.execPath, ...nodeArgs].map(quote).join(" "), "/dev/null"]]
    : [process.execPath, nodeArgs];
  const options: SpawnOptionsWithStdioTuple<StdioPipe, StdioPipe, StdioPipe> = {
    cwd: PROJECT_ROOT,
    // Exactly this environment: nothing from the developer's shell (a tenant, a password) leaks in.
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", NODE_ENV: "test", ...env } as NodeJS.ProcessEnv,
    stdio: ["pipe", "pipe", "pipe"],
  };
  const child = spawn(command, commandArgs, options);
  if (!opts.pty) child.stdin.end(); // not a terminal, and nothing to read
  let out = "";
  let err = "";
  const waiters: Array<() => void> = [];
  child.stdout.setEncoding("utf8").on("data", (c: string) => {
    out += c;
    waiters.forEach((w) => w());
  });
  child.stderr.setEncoding("utf8").on("data", (c: string) => {
    err += c;
    waiters.forEach((w) => w());
  });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on("close", (code, signal) => {
      waiters.forEach((w) => w());
      resolve({ code, signal, stdout: out, stderr: err });
    }),
  );
  const watched = () => (opts.pty ? out : err);
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    done,
    waitForStderr(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}:\n${watched()}`)), timeoutMs);
        const check = () => {
          const m = pattern.exec(watched());
          if (m) {
            clearTimeout(timer);
            resolve(m);
          } else if (child.exitCode !== null) {
            clearTimeout(timer);
            reject(new Error(`CLI exited (${child.exitCode}) before ${pattern} appeared:\n${err}\nstdout:\n${out}`));
          }
        };
        waiters.push(check);
        check();
      });
    },
  };
}

export async function runCliToEnd(args: string[], env: Record<string, string>) {
  return startCli(args, env).done;
}

// ---------- a tiny browser: cookies, redirects, forms ----------

interface Page {
  url: string;
  status: number;
  html: string;
}

interface Field {
  name: string;
  value: string;
  type: string;
  id?: string;
}

interface Form {
  action: string;
  method: string;
  fields: Field[];
  /** Submit buttons: visible text, and name/value when the button has them. */
  buttons: Array<{ text: string; name?: string; value?: string }>;
  /** Label text -> input name. */
  labels: Map<string, string>;
}

const attr = (tag: string, name: string): string | undefined => {
  const m = new RegExp(`\\s${name}\\s*=\\s*("([^"]*)"|'([^']*)'|([^\\s>]+))`, "i").exec(tag);
  return m ? decode(m[2] ?? m[3] ?? m[4] ?? "") : undefined;
};
const decode = (s: string) =>
  s.replace(/&amp;/g, "&").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;|&#x27;/g, "'");
const text = (html: string) => decode(html.replace(/<[^>]*>/g, "")).replace(/\s+/g, " ").trim();

/** Where to connect for a URL's host (a Microsoft-host run: the emulator's port on 127.0.0.1); the URL's host stays the TLS name and Host. */
export type Route = (url: URL) => { host: string; port: number } | undefined;

export class MiniBrowser {
  private readonly cookies = new Map<string, string>();

  constructor(
    private readonly ca: string,
    private readonly route?: Route,
  ) {}

  async get(url: string): Promise<Page> {
    return this.follow(url, "GET");
  }

  /** Fills the form that contains `button` (by visible text) with values keyed by label text or name, and submits it. */
  async submit(page: Page, values: Record<string, string>, button: string): Promise<Page> {
    const forms = parseForms(page.html);
    const form = forms.find((f) => f.buttons.some((b) => b.text.toLowerCase() === button.toLowerCase()));
    if (!form) throw new Error(`no form with a "${button}" button on ${page.url}:\n${text(page.html).slice(0, 500)}`);
    const body = new URLSearchParams();
    const byName = new Map(form.fields.filter((f) => f.type !== "submit" && f.type !== "button").map((f) => [f.name, f.value] as [string, string]));
    for (const [key, value] of Object.entries(values)) {
      const name = form.labels.get(key.toLowerCase()) ?? key;
      if (!byName.has(name)) throw new Error(`no field "${key}" in the form on ${page.url} (fields: ${[...byName.keys()].join(", ")}; labels: ${[...form.labels.keys()].join(", ")})`);
      byName.set(name, value);
    }
    for (const [k, v] of byName) body.append(k, v);
    const clicked = form.buttons.find((b) => b.text.toLowerCase() === button.toLowerCase())!;
    if (clicked.name) body.append(clicked.name, clicked.value ?? "");
    const action = new URL(form.action || page.url, page.url).toString();
    return this.follow(action, form.method.toUpperCase() === "POST" ? "POST" : "GET", body.toString());
  }

  private async follow(url: string, method: "GET" | "POST", body?: string): Promise<Page> {
    let current = url;
    let m = method;
    let b = body;
    for (let hops = 0; hops < 10; hops++) {
      const res = await this.request(current, m, b);
      const location = res.headers.location;
      if (res.status >= 300 && res.status < 400 && location) {
        current = new URL(location, current).toString();
        if (res.status !== 307 && res.status !== 308) {
          m = "GET";
          b = undefined;
        }
        continue;
      }
      return { url: current, status: res.status, html: res.body };
    }
    throw new Error(`too many redirects from ${url}`);
  }

  private request(url: string, method: string, body?: string): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    const u = new URL(url);
    const headers: Record<string, string> = { accept: "text/html" };
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    if (cookie) headers.cookie = cookie;
    if (body !== undefined) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      headers["content-length"] = String(Buffer.byteLength(body));
    }
    return new Promise((resolve, reject) => {
      const to = this.route?.(u);
      const target = to ? { host: to.host, hostname: to.host, port: to.port, path: `${u.pathname}${u.search}`, servername: u.hostname, headers: { ...headers, host: u.host } } : { headers };
      const req = https.request(u, { method, ca: this.ca, agent: false, ...target }, (res) => {
        for (const c of res.headers["set-cookie"] ?? []) {
          const [pair] = c.split(";");
          const eq = pair!.indexOf("=");
          if (eq > 0) this.cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
        }
        let data = "";
        res.setEncoding("utf8").on("data", (chunk: string) => (data += chunk));
        res.on("end", () => {
          const flat: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === "string") flat[k] = v;
          resolve({ status: res.statusCode ?? 0, headers: flat, body: data });
        });
      });
      req.on("error", reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }
}

export function pageText(page: Page): string {
  return text(page.html);
}

function parseForms(html: string): Form[] {
  const forms: Form[] = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const [, open = "", inner = ""] = m;
    const fields: Field[] = [];
    for (const input of inner.matchAll(/<input\b[^>]*>/gi)) {
      const tag = input[0];
      const name = attr(tag, "name");
      if (!name) continue;
      fields.push({ name, value: attr(tag, "value") ?? "", type: (attr(tag, "type") ?? "text").toLowerCase(), id: attr(tag, "id") });
    }
    for (const ta of inner.matchAll(/<textarea\b([^>]*)>([\s\S]*?)<\/textarea>/gi)) {
      const name = attr(ta[1] ?? "", "name");
      if (name) fields.push({ name, value: decode(ta[2] ?? ""), type: "textarea", id: attr(ta[1] ?? "", "id") });
    }
    const buttons: Form["buttons"] = [];
    for (const btn of inner.matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/gi)) {
      const type = (attr(btn[1] ?? "", "type") ?? "submit").toLowerCase();
      if (type !== "submit") continue;
      buttons.push({ text: text(btn[2] ?? ""), name: attr(btn[1] ?? "", "name"), value: attr(btn[1] ?? "", "value") });
    }
    for (const f of fields) if (f.type === "submit") buttons.push({ text: f.value, name: f.name, value: f.value });
    const labels = new Map<string, string>();
    for (const label of inner.matchAll(/<label\b([^>]*)>([\s\S]*?)<\/label>/gi)) {
      const labelText = text(label[2] ?? "").toLowerCase();
      const forId = attr(label[1] ?? "", "for");
      const nested = /<input\b[^>]*>/i.exec(label[2] ?? "");
      const name = forId ? fields.find((f) => f.id === forId)?.name : nested ? attr(nested[0], "name") : undefined;
      if (name) labels.set(labelText, name);
    }
    for (const f of fields) {
      const aria = new RegExp(`<input\\b[^>]*name="${f.name}"[^>]*>`, "i").exec(inner);
      const ariaLabel = aria ? attr(aria[0], "aria-label") : undefined;
      if (ariaLabel && !labels.has(ariaLabel.toLowerCase())) labels.set(ariaLabel.toLowerCase(), f.name);
    }
    forms.push({ action: attr(open, "action") ?? "", method: attr(open, "method") ?? "GET", fields, buttons, labels });
  }
  return forms;
}
