import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";

/** A free TCP port on loopback (bind to 0, read, release). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  port: number;
  url: string;
  process: ChildProcess;
  /** SIGKILL the server (simulates an outage); resolves when it has exited. */
  kill(): Promise<void>;
  /** Start a fresh server on the same port (after kill), with the same data folder if it had one. */
  restart(): Promise<RedisServer>;
}

export interface RedisServerOptions {
  /**
   * Keep the data in this folder (append-only file, fsync on every write), so a restart, even after
   * SIGKILL, comes back with everything it acknowledged: a managed Redis with persistence or a
   * replica. Without it the server keeps nothing and comes back empty.
   */
  dataDir?: string;
}

/**
 * Starts Debian's redis-server on a free loopback port for a test, without persistence unless
 * `dataDir` is given. Call kill() in afterAll.
 */
export async function startRedisServer(port?: number, options: RedisServerOptions = {}): Promise<RedisServer> {
  const p = port ?? (await freePort());
  const persistence = options.dataDir ? ["--dir", options.dataDir, "--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"];
  const child = spawn("redis-server", ["--port", String(p), "--bind", "127.0.0.1", "--save", "", ...persistence, "--protected-mode", "no"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("redis-server did not start within 10 s")), 10_000);
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("Ready to accept connections")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}: ${out.slice(-500)}`));
    });
  });
  child.stdout?.removeAllListeners("data");
  child.stdout?.resume();
  child.stderr?.resume();
  const server: RedisServer = {
    port: p,
    url: `redis://127.0.0.1:${p}`,
    process: child,
    kill: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGKILL");
      }),
    restart: () => startRedisServer(p, options),
  };
  return server;
}
