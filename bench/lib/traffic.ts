/**
 * Steady traffic for the fault suite: a few concurrent workers calling the app in a loop, each
 * request described by a provider (path + token + a tag saying who it stands for), every answer
 * recorded with its status, problem `code`, Retry-After, WWW-Authenticate and latency.
 */
import http from "node:http";
import { parseServerTiming } from "./stats";

export interface Call {
  path: string;
  token: string;
  /** Who the request stands for in the report, e.g. "cached-user", "new-user". */
  tag: string;
}

export interface Answer {
  tag: string;
  path: string;
  status: number;
  /** problem+json `code` for errors. */
  code?: string;
  retryAfter?: string;
  wwwAuthenticate?: string;
  serverTiming?: string;
  /** Downstream attempts seen in Server-Timing (e.g. "me x3" → 3). */
  attempts?: number;
  ms: number;
  startedAt: number;
  /** Socket-level failure (connection refused/reset): the app crashed or dropped us. */
  error?: string;
}

export function request(agent: http.Agent, origin: string, call: Call, timeoutMs = 30_000): Promise<Answer> {
  const startedAt = Date.now();
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = http.get(`${origin}${call.path}`, { agent, headers: { authorization: `Bearer ${call.token}` }, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const status = res.statusCode ?? 0;
        let code: string | undefined;
        if (status >= 400) {
          try {
            code = (JSON.parse(Buffer.concat(chunks).toString("utf8")) as { code?: string }).code;
          } catch {
            code = undefined;
          }
        }
        const serverTiming = res.headers["server-timing"] ? String(res.headers["server-timing"]) : undefined;
        let attempts: number | undefined;
        for (const [name, m] of parseServerTiming(serverTiming)) {
          if (name === "verify" || name === "obo") continue;
          for (const d of m.desc) attempts = Math.max(attempts ?? 1, Number(/ x(\d+)/.exec(d)?.[1] ?? 1));
        }
        resolve({
          tag: call.tag,
          path: call.path,
          status,
          code,
          retryAfter: res.headers["retry-after"] ? String(res.headers["retry-after"]) : undefined,
          wwwAuthenticate: res.headers["www-authenticate"] ? String(res.headers["www-authenticate"]) : undefined,
          serverTiming,
          attempts,
          ms: performance.now() - t0,
          startedAt,
        });
      });
      res.on("error", (e) => resolve({ tag: call.tag, path: call.path, status: 0, ms: performance.now() - t0, startedAt, error: e.message }));
    });
    req.on("timeout", () => req.destroy(new Error("client timeout")));
    req.on("error", (e) => resolve({ tag: call.tag, path: call.path, status: 0, ms: performance.now() - t0, startedAt, error: e.message }));
  });
}

/** Workers looping until stop(); `next` may change what they send at any time. */
export class Traffic {
  readonly answers: Answer[] = [];
  private running = false;
  private workers: Promise<void>[] = [];
  private readonly agent: http.Agent;

  constructor(
    private readonly origin: string,
    public next: () => Call,
    private readonly concurrency = 6,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  }

  start(): this {
    this.running = true;
    this.workers = Array.from({ length: this.concurrency }, async () => {
      while (this.running) this.answers.push(await request(this.agent, this.origin, this.next()));
    });
    return this;
  }

  async stop(): Promise<Answer[]> {
    this.running = false;
    await Promise.all(this.workers);
    this.agent.destroy();
    return this.answers;
  }
}

/** "200×34 503×12" style summary of answers, grouped by tag. */
export function statusCounts(answers: Answer[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const a of answers) {
    const byTag = (out[a.tag] ??= {});
    const key = a.error ? `error(${a.error})` : a.code ? `${a.status} ${a.code}` : String(a.status);
    byTag[key] = (byTag[key] ?? 0) + 1;
  }
  return out;
}
