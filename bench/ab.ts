/**
 * `npm run bench:ab -- <build A> <build B>`: which of two production builds costs less CPU per
 * request on a route, measured so that a busy, shared machine does not decide the answer: both
 * apps run at once beside one emulator, and short load rounds alternate between them (A, B, B, A,
 * ...), so drift in what else the machine is doing hits both alike. Prints each round and the
 * median CPU ms per request of each build and their difference.
 *
 *   npm run build && cp -r .next/standalone /tmp/build-b     # after the change
 *   npm run bench:ab -- /tmp/build-a /tmp/build-b [--path=/api/me] [--rounds=8] [--duration=8] [--connections=20] [--users=200] [--plan=B1|none]
 *   npm run bench:ab -- .next/standalone .next/standalone --plan-a=B1 --plan-b=none    # one build, two heap limits
 *
 * A build is a copy of `.next/standalone` (with `.next/static` in it: `npm run build` puts it there).
 * --plan-a / --plan-b give each side its own heap limit (default: --plan, i.e. the smallest plan's);
 * --flags-a / --flags-b add node flags to one side (e.g. --flags-a=--max-semi-space-size=32);
 * --env-a / --env-b set app settings on one side, comma-separated NAME=value (one build, two
 * configurations: --env-a=AZURE_APP_ROLES_ENFORCED=false,AZURE_SUBSCRIPTIONS_AUTH_CONTEXT= ).
 */
import path from "node:path";
import { Control, loadTenant } from "./lib/emulator";
import { heapArgs, planHeapLimit } from "./lib/plan";
import { runLoad } from "./lib/load";
import { appEnv, freePort, rssMb, spawnServer, type Managed } from "./lib/proc";
import { median, round } from "./lib/stats";

function parseArgs(argv: string[]) {
  const flags = new Map<string, string>();
  const dirs: string[] = [];
  for (const a of argv) {
    const m = /^--([a-z-]+)=(.*)$/.exec(a);
    if (m?.[1]) flags.set(m[1], m[2] ?? "");
    else if (a.startsWith("--")) throw new Error(`unknown argument ${a}`);
    else dirs.push(path.resolve(a));
  }
  if (dirs.length !== 2) throw new Error("usage: bench:ab -- <build A dir> <build B dir> [--path=/api/me] [--rounds=8] [--duration=8] [--connections=20] [--users=200] [--plan=B1|none] [--env-a=NAME=value,...] [--env-b=...]");
  const num = (name: string, dflt: number) => {
    const v = Number(flags.get(name) ?? dflt);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
    return v;
  };
  return {
    dirs: dirs as [string, string],
    path: flags.get("path") ?? "/api/me",
    rounds: num("rounds", 8),
    durationSeconds: num("duration", 8),
    connections: num("connections", 20),
    users: num("users", 200),
    nodeFlags: [(flags.get("flags-a") ?? "").split(/\s+/).filter(Boolean), (flags.get("flags-b") ?? "").split(/\s+/).filter(Boolean)] as const,
    env: [settings(flags.get("env-a")), settings(flags.get("env-b"))] as const,
    heapLimitMb: [planHeapLimit(flags.get("plan-a") ?? flags.get("plan")).heapLimitMb, planHeapLimit(flags.get("plan-b") ?? flags.get("plan")).heapLimitMb] as const,
  };
}

/** `NAME=value,NAME2=` → { NAME: "value", NAME2: "" }; an entry without `=` is refused. */
function settings(list: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of (list ?? "").split(",").filter(Boolean)) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(entry);
    if (!m?.[1]) throw new Error(`--env-a/--env-b take NAME=value pairs separated by commas, not '${entry}'`);
    out[m[1]] = m[2] ?? "";
  }
  return out;
}

async function start(dir: string, heapLimit: number | null, nodeFlags: readonly string[], env: Record<string, string>, name: string): Promise<Managed> {
  const port = await freePort();
  return spawnServer({
    command: process.execPath,
    args: [...heapArgs(heapLimit), ...nodeFlags, "server.js"],
    cwd: dir,
    env: appEnv(port, env),
    port,
    logFile: path.join(process.cwd(), "bench", "out", `ab-${name}.log`),
    readyPath: "/api/health",
  });
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  const control = new Control(loadTenant());
  const [a, b] = await Promise.all([start(opts.dirs[0], opts.heapLimitMb[0], opts.nodeFlags[0], opts.env[0], "a"), start(opts.dirs[1], opts.heapLimitMb[1], opts.nodeFlags[1], opts.env[1], "b")]);
  const shown = (env: Record<string, string>) => Object.entries(env).map(([k, v]) => `${k}=${v}`).join(" ");
  console.log(`A: ${opts.dirs[0]}, heap limit ${opts.heapLimitMb[0] ?? "V8's own"} ${opts.nodeFlags[0].join(" ")} ${shown(opts.env[0])}; B: ${opts.dirs[1]}, heap limit ${opts.heapLimitMb[1] ?? "V8's own"} ${opts.nodeFlags[1].join(" ")} ${shown(opts.env[1])}`);
  try {
    const tokens = await control.apiTokens(80_001, opts.users);
    const cpu: Record<"A" | "B", number[]> = { A: [], B: [] };
    const rps: Record<"A" | "B", number[]> = { A: [], B: [] };
    const rss: Record<"A" | "B", number[]> = { A: [], B: [] };
    const one = async (name: "A" | "B", app: Managed, record: boolean) => {
      const r = await runLoad({ url: app.origin, path: opts.path, tokens, connections: opts.connections, durationSeconds: opts.durationSeconds, cpuOf: { app: app.pid } });
      if (r.non2xx) throw new Error(`build ${name} answered ${r.non2xx} non-2xx responses on ${opts.path}`);
      if (record) {
        cpu[name].push(r.cpuMsPerRequest.app ?? NaN);
        rps[name].push(r.rps);
        rss[name].push(rssMb(app.pid));
      }
      return r;
    };
    console.log(`warm-up: ${opts.durationSeconds} s each`);
    await one("A", a, false);
    await one("B", b, false);
    for (let i = 0; i < opts.rounds; i++) {
      // ABBA order: neither build always goes first
      const order: ["A" | "B", Managed][] = i % 2 === 0 ? [["A", a], ["B", b]] : [["B", b], ["A", a]];
      const line: string[] = [];
      for (const [name, app] of order) {
        const r = await one(name, app, true);
        line.push(`${name} ${r.cpuMsPerRequest.app} ms/req (${r.rps} req/s)`);
      }
      console.log(`round ${i + 1}: ${line.join(", ")}`);
    }
    const ma = median(cpu.A);
    const mb = median(cpu.B);
    console.log(`\n${opts.path}: median app CPU A ${ma} ms/request, B ${mb} ms/request: B − A = ${round(mb - ma, 2)} ms (${round(((mb - ma) / ma) * 100, 0)} %)`);
    console.log(`median req/s A ${median(rps.A)}, B ${median(rps.B)}; peak RSS A ${Math.max(...rss.A)} MB, B ${Math.max(...rss.B)} MB`);
    return 0;
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`bench:ab: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
