/**
 * Runs a command (jest, playwright) with a fresh identity emulator beside it and the app's
 * environment pointed at it, in tenant mode: the emulator's URLs and registrations stand where a
 * tenant's would, so the production server the suites start runs as a deployment does (it refuses
 * IDENTITY_MODE=emulator). Tests always use the emulator, even when .env.local names a real
 * tenant, so `npm test` never touches Azure.
 *
 *   tsx scripts/with-emulator.ts [--front-channel-logout=e2e|app-service] <command> [args...]
 *
 * A registration has one front-channel logout URL, as in Entra: by default the e2e app's
 * (http://localhost:$E2E_PORT, where the sign-out specs run); `app-service` puts it on the App
 * Service-like TLS front end (https://localhost:$E2E_APP_SERVICE_PORT), where the fault suite's
 * two instances run.
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
  const argv = process.argv.slice(2);
  const option = /^--front-channel-logout=(.*)$/.exec(argv[0] ?? "");
  if (option) argv.shift();
  const frontChannel = option?.[1] ?? "e2e";
  const [command, ...args] = argv;
  if (!command || (frontChannel !== "e2e" && frontChannel !== "app-service")) {
    console.error("usage: tsx scripts/with-emulator.ts [--front-channel-logout=e2e|app-service] <command> [args...]");
    return 2;
  }
  const e2eOrigin = `http://localhost:${E2E_PORT}`;
  const appServiceOrigin = `https://localhost:${E2E_APP_SERVICE_PORT}`;
  // One file per run: two suites running at once must not point at each other's emulator.
  const tenantFile = path.join(STATE_DIR, `test-tenant-${process.pid}.json`);
  const emulator = await startEmulator({
    port: 0,
    stateDir: STATE_DIR,
    tenantFile,
    // The e2e app, `npm run dev`'s default, and the App Service-like TLS front end (e2e/app-service.spec.ts).
    appOrigins: [e2eOrigin, "http://localhost:3000", appServiceOrigin],
    // A registration has one front-channel logout URL (as in Entra): where this run's sign-outs happen.
    frontChannelLogoutOrigin: frontChannel === "app-service" ? appServiceOrigin : e2eOrigin,
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
