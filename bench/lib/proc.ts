/**
 * Child processes the benchmarks measure: the standalone app (and the bare baseline server), each
 * in its own process with its own port, stdout/stderr in a file (reading a busy log pipe would
 * cost the load generator CPU), and /proc readings for RSS and open file descriptors.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import http from "node:http";
import net from "node:net";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resident set size of a process, MB (VmRSS from /proc/<pid>/status). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? NaN);
  return Math.round((kb / 1024) * 10) / 10;
}

/** CPU time (user + system) a process has used so far, ms (/proc/<pid>/stat, 100 ticks/s). */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * The emulator's process id: scripts/with-emulator.ts runs it in its own process and names the
 * tenant file after that process (test-tenant-<pid>.json). Undefined when run another way.
 */
export function emulatorPid(): number | undefined {
  const m = /test-tenant-(\d+)\.json$/.exec(process.env.EMULATOR_TENANT_FILE ?? "");
  const pid = m ? Number(m[1]) : NaN;
  try {
    return Number.isInteger(pid) && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("with-emulator") ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Open file descriptors of a process, and how many of them are sockets. */
export function openFds(pid: number): { total: number; sockets: number } {
  let total = 0;
  let sockets = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    total++;
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith("socket:")) sockets++;
    } catch {
      // closed while we looked
    }
  }
  return { total, sockets };
}

/** One GET over a fresh connection; resolves with the status (0 when the connection failed). */
export function probe(url: string, timeoutMs = 2_000): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(0));
  });
}

export async function waitForStatus(url: string, child: ChildProcess, deadlineMs = 60_000, intervalMs = 10): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`process exited (${child.exitCode ?? child.signalCode}) before ${url} answered 200`);
    if ((await probe(url, 1_000)) === 200) return;
    await sleep(intervalMs);
  }
  throw new Error(`${url} did not answer 200 within ${deadlineMs} ms`);
}

export interface Managed {
  child: ChildProcess;
  pid: number;
  port: number;
  origin: string;
  logFile: string;
  /** The log file's lines (JSON log records parsed where possible). */
  logLines(): string[];
  stop(): Promise<void>;
}

export interface SpawnOptions {
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  port: number;
  logFile: string;
  /** Path answered with 200 once the process is ready. */
  readyPath: string;
}

export async function spawnServer(options: SpawnOptions): Promise<Managed> {
  const fd = openSync(options.logFile, "w");
  const child = spawn(options.command, options.args, { cwd: options.cwd, env: options.env, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  const origin = `http://127.0.0.1:${options.port}`;
  const managed: Managed = {
    child,
    pid: child.pid ?? -1,
    port: options.port,
    origin,
    logFile: options.logFile,
    logLines: () => readFileSync(options.logFile, "utf8").split("\n").filter(Boolean),
    stop: () => stopChild(child),
  };
  try {
    await waitForStatus(origin + options.readyPath, child);
  } catch (e) {
    await managed.stop();
    const tail = managed.logLines().slice(-20).join("\n");
    throw new Error(`${(e as Error).message}\n--- ${options.logFile} (tail) ---\n${tail}`);
  }
  return managed;
}

export function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** Environment for the standalone app: the emulator's app env from the launcher, plus overrides. */
export function appEnv(port: number, overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: "production",
    PORT: String(port),
    HOSTNAME: "127.0.0.1",
    // production requires the public origin (lib/config)
    APP_BASE_URL: `http://localhost:${port}`,
    ...overrides,
  };
}
