import { expect, test } from "@playwright/test";
import { spawn } from "node:child_process";
import { freePort } from "./support/free-port";

/**
 * `npm start` (the standalone server, as on App Service) with bad configuration exits at once
 * with a message naming each bad variable, instead of serving errors request by request.
 */

/** Runs `node scripts/start.mjs` with `env` over this process's environment; its exit code (null: still running after 20 s) and output. */
async function start(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ["scripts/start.mjs"], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve(null);
    }, 20_000);
    child.on("exit", (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  return { code, output };
}


test("npm start stops with every bad variable named", async () => {
  const secret = "api-secret-that-must-never-be-printed";
  const { code, output } = await start({
    PORT: "3999",
    AZURE_SPA_CLIENT_ID: "not-a-guid",
    AZURE_API_CLIENT_SECRET: secret,
    SESSION_PASSWORD: "too-short",
    REDIS_URL: "redis://localhost:6379",
    TOKEN_CACHE_ENCRYPTION_KEY: "",
    APP_BASE_URL: "",
  });
  expect(code, output).toBe(1);
  // APP_BASE_URL: production never derives its public origin from request headers (issue #14 item 4)
  expect(output).toContain("Configuration is invalid (4 problems)");
  for (const variable of ["AZURE_SPA_CLIENT_ID", "SESSION_PASSWORD", "TOKEN_CACHE_ENCRYPTION_KEY", "APP_BASE_URL"]) expect(output).toContain(`  - ${variable}: `);
  expect(output).not.toContain(secret);
  expect(output).not.toMatch(/\n\s+at /);
});

test("npm start refuses emulator mode, naming IDENTITY_MODE (a production server never runs against the emulator)", async () => {
  // Otherwise the configuration this suite's own server starts with: only the mode differs.
  const port = String(await freePort());
  const { code, output } = await start({ PORT: port, APP_BASE_URL: `http://localhost:${port}`, IDENTITY_MODE: "emulator" });
  expect(code, output).toBe(1);
  expect(output).toContain("Configuration is invalid (1 problem)");
  expect(output).toContain('  - IDENTITY_MODE: is "emulator", which is for `npm run dev` only');
  expect(output).not.toMatch(/\n\s+at /);
});
