import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import path from "node:path";
import { freePort } from "./free-port";

/**
 * Runs the standalone build the way Azure App Service does (`HOSTNAME=0.0.0.0 node server.js`
 * in the deployed folder, PORT from the platform, the container's name in the environment)
 * behind a TLS-terminating front end that adds X-Forwarded-Proto/Host/For, like App Service's.
 * The front end's certificate is the emulator's localhost certificate (signed by its CA, which
 * the test browser trusts).
 *
 * Scaled out (`instances` > 1) with ARR affinity off: every instance runs the same package with
 * the same app settings, and the front end sends each request to the next instance in turn. A
 * test that must reach one instance names it in the PIN_HEADER request header (the front end's
 * own test hook, removed before forwarding; App Service has no such thing).
 */
export interface AppServiceLike {
  /** The public https origin the browser uses. */
  origin: string;
  /** Requests the front end forwarded, with the headers the app saw and the instance that served them. */
  forwarded: { url: string; headers: http.IncomingHttpHeaders; instance: number }[];
  /** The running instances (each its own process and loopback port). */
  instances: AppServiceInstance[];
  stop(): Promise<void>;
}

export interface AppServiceInstance {
  index: number;
  pid: number;
  /** The instance's own http origin on loopback (behind the front end). */
  origin: string;
  /** What the instance printed so far (its log). */
  output(): string;
}

/** Request header that sends a request to instance <n> (0-based) instead of the next in turn. */
export const PIN_HEADER = "x-test-front-end-instance";


async function waitForHealth(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`standalone server exited with ${child.exitCode}:\n${output()}`);
    try {
      const response = await fetch(url);
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`standalone server did not become healthy:\n${output()}`);
}

export interface AppServiceLikeOptions {
  /**
   * The site's app settings, as infra/main.bicep sets them: then they are the app's whole
   * configuration (plus what the platform adds), nothing inherited from this process. Without
   * them the app inherits this process's environment (the emulator suite's).
   */
  appSettings?: Record<string, string>;
  /** Instances of the plan (scale out). Default 1. */
  instances?: number;
  /** The deployed folder. Default: this repository's .next/standalone. */
  standalone?: string;
}

export async function startAppServiceLike(publicPort: number, options: AppServiceLikeOptions = {}): Promise<AppServiceLike> {
  const standalone = options.standalone ?? path.resolve(".next", "standalone");
  const instances: (AppServiceInstance & { child: ChildProcess; port: number })[] = [];
  const stopInstances = () => {
    for (const i of instances) i.child.kill("SIGTERM");
  };
  try {
    for (let index = 0; index < (options.instances ?? 1); index++) instances.push(await startInstance(standalone, publicPort, index, options.appSettings));
  } catch (e) {
    stopInstances();
    throw e;
  }

  const stateDir = path.resolve(".emulator");
  const forwarded: AppServiceLike["forwarded"] = [];
  let turn = 0;
  const frontEnd = https.createServer(
    { cert: readFileSync(path.join(stateDir, "server.pem")), key: readFileSync(path.join(stateDir, "server-key.pem")) },
    (req, res) => {
      const pinned = Number(req.headers[PIN_HEADER]);
      const target = Number.isInteger(pinned) && instances[pinned] ? instances[pinned] : instances[turn++ % instances.length];
      if (!target) {
        res.writeHead(502);
        res.end();
        return;
      }
      const incoming = { ...req.headers };
      delete incoming[PIN_HEADER];
      const headers = {
        ...incoming,
        host: `127.0.0.1:${target.port}`,
        "x-forwarded-proto": "https",
        "x-forwarded-host": req.headers.host ?? `localhost:${publicPort}`,
        "x-forwarded-for": req.socket.remoteAddress ?? "127.0.0.1",
        "x-arr-ssl": "2048|256|CN=e2e|CN=localhost",
      };
      forwarded.push({ url: req.url ?? "/", headers, instance: target.index });
      const upstream = http.request({ host: "127.0.0.1", port: target.port, method: req.method, path: req.url, headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on("error", () => {
        res.writeHead(502);
        res.end();
      });
      req.pipe(upstream);
    },
  );
  await new Promise<void>((resolve) => frontEnd.listen(publicPort, "127.0.0.1", resolve));

  return {
    origin: `https://localhost:${publicPort}`,
    forwarded,
    instances: instances.map(({ index, pid, origin, output }) => ({ index, pid, origin, output })),
    async stop() {
      await new Promise<void>((resolve) => frontEnd.close(() => resolve()));
      frontEnd.closeAllConnections();
      stopInstances();
    },
  };
}

async function startInstance(standalone: string, publicPort: number, index: number, appSettings: Record<string, string> | undefined) {
  const appPort = await freePort();
  // What App Service itself puts into the container's environment.
  const platform = {
    NODE_ENV: "production" as const,
    PORT: String(appPort),
    HOSTNAME: "0.0.0.0",
    WEBSITE_SITE_NAME: "contoso-identity-web",
    WEBSITE_HOSTNAME: `localhost:${publicPort}`,
    WEBSITE_INSTANCE_ID: `e2e-instance-${index}`,
  };
  const env: NodeJS.ProcessEnv = appSettings
    ? { PATH: process.env.PATH ?? "", ...appSettings, ...platform }
    : // What infra/main.bicep sets on App Service: the site's https URL.
      { ...process.env, ...platform, APP_BASE_URL: `https://localhost:${publicPort}` };
  let output = "";
  const child = spawn(process.execPath, ["server.js"], { cwd: standalone, env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  try {
    await waitForHealth(`http://127.0.0.1:${appPort}/api/health`, child, () => output);
  } catch (e) {
    child.kill("SIGTERM");
    throw e;
  }
  return { index, pid: child.pid ?? -1, port: appPort, origin: `http://127.0.0.1:${appPort}`, child, output: () => output };
}
