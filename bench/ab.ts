/**
 * `npm run bench:ab -- <build A> <build B>`: which of two production builds costs less CPU per
 * request on a route, measured so that a busy, shared machine does not decide the answer: both
 * apps run at once beside one emulator, and short load rounds alternate between them (A, B, B, A,
 * ...), so drift in what else the machine is doing hits both alike. Prints each round and the
 * median CPU ms per request of each build and their difference.
 *
 *   npm run build && cp -r .next/standalone /tmp/build-b     # after the change
 *   npm run bench:ab -- /tmp/build-a /tmp/build-b [--path=/api/me] [--rounds=8] [--duration=8] [--connections=20] [--users=200] [--plan=B1|none]
 *
 * A build is a copy of `.next/standalone` (with `.next/static` in it: `npm run build` puts it there).
 */
import path from "node:path";
import { PLAN_MEMORY_MB, SMALLEST_PLAN, heapLimitMb } from "../scripts/lib/heap.mjs";
import { Control, loadTenant } from "./lib/emulator";
import { runLoad } from "./lib/load";
import { appEnv, freePort, spawnServer, type Managed } from "./lib/proc";
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
  if (dirs.length !== 2) throw new Error("usage: bench:ab -- <build A dir> <build B dir> [--path=/api/me] [--rounds=8] [--duration=8] [--connections=20] [--users=200] [--plan=B1|none]");
  const num = (name: string, dflt: number) => {
    const v = Number(flags.get(name) ?? dflt);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
    return v;
  };
  const plan = flags.get("plan") ?? SMALLEST_PLAN;
  if (plan !== "none" && !(plan in PLAN_MEMORY_MB)) throw new Error(`--plan must be one of ${Object.keys(PLAN_MEMORY_MB).join(", ")} or none`);
  return {
    dirs: dirs as [string, string],
    path: flags.get("path") ?? "/api/me",
    rounds: num("rounds", 8),
    durationSeconds: num("duration", 8),
    connections: num("connections", 20),
    users: num("users", 200),
    heapLimitMb: plan === "none" ? null : heapLimitMb(PLAN_MEMORY_MB[plan as keyof typeof PLAN_MEMORY_MB]),
  };
}

async function start(dir: string, heapLimit: number | null, name: string): Promise<Managed> {
  const port = await freePort();
  return spawnServer({
    command: process.execPath,
    args: [...(heapLimit === null ? [] : [`--max-old-space-size=${heapLimit}`]), "server.js"],
    cwd: dir,
    env: appEnv(port),
    port,
    logFile: path.join(process.cwd(), "bench", "out", `ab-${name}.log`),
    readyPath: "/api/health",
  });
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  const control = new Control(loadTenant());
  const [a, b] = await Promise.all([start(opts.dirs[0], opts.heapLimitMb, "a"), start(opts.dirs[1], opts.heapLimitMb, "b")]);
  try {
    const tokens = await control.apiTokens(80_001, opts.users);
    const cpu: Record<"A" | "B", number[]> = { A: [], B: [] };
    const one = async (name: "A" | "B", app: Managed, record: boolean) => {
      const r = await runLoad({ url: app.origin, path: opts.path, tokens, connections: opts.connections, durationSeconds: opts.durationSeconds, cpuOf: { app: app.pid } });
      if (r.non2xx) throw new Error(`build ${name} answered ${r.non2xx} non-2xx responses on ${opts.path}`);
      if (record) cpu[name].push(r.cpuMsPerRequest.app ?? NaN);
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
