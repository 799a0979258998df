/**
 * What every scenario of `npm run bench` shares: the options, the emulator's control API, where
 * the copy of the build lives, and how to start the app from it (its own process, its own port,
 * under the plan's heap limit) and make each user's first call.
 */
import path from "node:path";
import http from "node:http";
import type { Control, TenantDescription } from "./emulator";
import type { Options } from "./options";
import { heapArgs } from "./plan";
import { appEnv, freePort, spawnServer, type Managed } from "./proc";
import { parseServerTiming, Samples } from "./stats";

export interface BenchContext {
  opts: Options;
  tenant: TenantDescription;
  control: Control;
  /** The copy of the build this run measures (bench/lib/snapshot.ts). */
  appDir: string;
  logDir: string;
  /** Said in the report and printed at the end. */
  notes: string[];
}

export const say = (line: string) => process.stdout.write(line + "\n");

/** `node .next/standalone/server.js` from the run's copy of the build, as App Service starts it. */
export async function startApp(ctx: BenchContext, name: string, env: Record<string, string> = {}, nodeArgs: string[] = [], heapLimit = ctx.opts.heapLimitMb): Promise<Managed> {
  const port = await freePort();
  return spawnServer({
    command: process.execPath,
    args: [...heapArgs(heapLimit), ...ctx.opts.nodeFlags, ...nodeArgs, "server.js"],
    cwd: path.join(ctx.appDir, ".next", "standalone"),
    env: appEnv(port, env),
    port,
    logFile: path.join(ctx.logDir, `${name}.log`),
    readyPath: "/api/health",
  });
}

export interface FirstCalls {
  statuses: Record<string, number>;
  /** proxy.ts's verification of each token (Server-Timing proxy-verify), ms: all first-time verifications here. */
  proxyVerifyFirstSeen: Samples;
}

/**
 * Every token once (what a burst of first sign-ins does, 16 at a time): each is verified for the
 * first time, and each new user costs one OBO per API the route calls.
 */
export async function firstCalls(origin: string, pathName: string, tokens: string[], concurrency = 16): Promise<FirstCalls> {
  const statuses: Record<string, number> = {};
  const proxyVerifyFirstSeen = new Samples();
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < tokens.length) {
          const token = tokens[next++] ?? "";
          const answer = await get(agent, origin + pathName, token);
          statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
          const verify = parseServerTiming(answer.serverTiming).get("proxy-verify");
          if (verify?.desc.includes("full")) proxyVerifyFirstSeen.push(verify.dur);
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  return { statuses, proxyVerifyFirstSeen };
}

function get(agent: http.Agent, url: string, token: string): Promise<{ status: number; serverTiming: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, serverTiming: res.headers["server-timing"] ? String(res.headers["server-timing"]) : undefined }));
    });
    req.on("error", reject);
  });
}
