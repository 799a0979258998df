/**
 * Runs a command (jest, playwright) with a fresh identity emulator beside it and the app's
 * environment pointed at it, in tenant mode: the emulator's URLs and registrations stand where a
 * tenant's would, so the production server the suites start runs as a deployment does (it refuses
 * IDENTITY_MODE=emulator). Tests always use the emulator, even when .env.local names a real
 * tenant, so `npm test` never touches Azure.
 *
 *   tsx scripts/with-emulator.ts <command> [args...]
 */
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import path from "node:path";
import { startEmulator } from "../emulator";
import { emulatorAppEnv } from "./lib/emulator-env";
import { localBin } from "./lib/next-bin";
import { run } from "./lib/run";

const STATE_DIR = path.resolve(".emulator");
const E2E_PORT = Number(process.env.E2E_PORT ?? 3100);
const E2E_APP_SERVICE_PORT = Number(process.env.E2E_APP_SERVICE_PORT ?? 3443);

async function main(): Promise<number> {
  const [command, ...args] = process.argv.slice(2);
  if (!command) {
    console.error("usage: tsx scripts/with-emulator.ts <command> [args...]");
    return 2;
  }
  // One file per run: two suites running at once must not point at each other's emulator.
  const tenantFile = path.join(STATE_DIR, `test-tenant-${process.pid}.json`);
  const emulator = await startEmulator({
    port: 0,
    stateDir: STATE_DIR,
    tenantFile,
    // The e2e app, `npm run dev`'s default, and the App Service-like TLS front end (e2e/app-service.spec.ts).
    appOrigins: [`http://localhost:${E2E_PORT}`, "http://localhost:3000", `https://localhost:${E2E_APP_SERVICE_PORT}`],
    // A registration has one front-channel logout URL (as in Entra): the e2e app's, where the sign-out specs run.
    frontChannelLogoutOrigin: `http://localhost:${E2E_PORT}`,
  });
  try {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...emulatorAppEnv(emulator.tenant, randomBytes(32).toString("base64url")),
      // The suites start the production server, which refuses emulator mode: the emulator stands where a tenant would, as in a deployment (`npm run dev` keeps emulator mode).
      IDENTITY_MODE: "tenant",
      EMULATOR_TENANT_FILE: tenantFile,
      E2E_PORT: String(E2E_PORT),
      E2E_APP_SERVICE_PORT: String(E2E_APP_SERVICE_PORT),
    };
    return await run(localBin(command), args, env);
  } finally {
    await emulator.close();
    rmSync(tenantFile, { force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`with-emulator: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
