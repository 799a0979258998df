import { expect, test } from "@playwright/test";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "./support/free-port";

/**
 * Emulator mode where it legitimately runs: `npm run dev` (scripts/dev.ts: the bundled identity
 * emulator, then `next dev` with IDENTITY_MODE=emulator). Every page says so with the offline
 * badge. The production server never runs in this mode — it refuses IDENTITY_MODE=emulator
 * (e2e/startup.spec.ts), and the rest of this suite runs it in tenant mode, as deployed — so this
 * is the one place the badge can be seen, and the deployed suite proves its absence
 * (e2e/deployed/critical-path.spec.ts).
 *
 * `next dev` builds into .next/dev (the production build in .next is untouched) and allows one dev
 * server per checkout: stop your own `npm run dev` before running this spec.
 */

const ROOT = path.resolve(__dirname, "..");
/** next dev compiles each page on its first request: minutes on a small CI machine. */
const FIRST_COMPILE_MS = 180_000;

interface DevServer {
  origin: string;
  output: () => string;
  stop: () => Promise<void>;
}


/** `npm run dev` as a developer runs it, with its own emulator on a free port and its own tenant file. */
async function startDev(): Promise<DevServer> {
  const port = await freePort();
  const stateDir = mkdtempSync(path.join(os.tmpdir(), "dev-server-"));
  const env: NodeJS.ProcessEnv = {
    NODE_ENV: "development",
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PORT: String(port),
    EMULATOR_PORT: "0",
    EMULATOR_TENANT_FILE: path.join(stateDir, "tenant.json"),
    // The emulator even if a developer's .env.local names a tenant (what the README says to do).
    IDENTITY_MODE: "emulator",
    NEXT_TELEMETRY_DISABLED: "1",
  };
  // Its own process group, so stopping it stops next dev and the emulator with it.
  const child: ChildProcess = spawn(path.join(ROOT, "node_modules", ".bin", "tsx"), ["scripts/dev.ts"], { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const origin = `http://localhost:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm run dev exited with ${child.exitCode} (is another \`npm run dev\` running in this checkout?):\n${output}`);
    if (/Ready in|Local:\s+http/.test(output)) break;
    if (Date.now() > deadline) throw new Error(`npm run dev did not start within 60 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    origin,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.pid) {
        process.kill(-child.pid, "SIGTERM");
        const killed = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000))]);
        if (!killed) process.kill(-child.pid, "SIGKILL");
      }
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

let dev: DevServer | undefined;

test.beforeAll(async () => {
  test.setTimeout(90_000);
  dev = await startDev();
});

test.afterAll(async () => {
  await dev?.stop();
});

test("npm run dev (emulator mode): the offline badge appears on the SPA and on the web app", async ({ page }) => {
  test.setTimeout(2 * FIRST_COMPILE_MS);
  const server = dev!;
  const badge = page.getByRole("banner").getByText("offline tenant", { exact: true });

  await page.goto(`${server.origin}/`, { timeout: FIRST_COMPILE_MS });
  await expect(badge, server.output()).toBeVisible({ timeout: FIRST_COMPILE_MS });
  await expect(badge).toHaveAttribute("title", /bundled identity emulator, not Microsoft Entra ID/);

  await page.goto(`${server.origin}/web`, { timeout: FIRST_COMPILE_MS });
  await expect(badge, server.output()).toBeVisible({ timeout: FIRST_COMPILE_MS });
});
