/**
 * `npm run test:e2e:deployed:offline` (a step of `npm test`): proves the deployed suite offline.
 *
 * 1. A fresh identity emulator, with the deployed origin's redirect URIs registered.
 * 2. The standalone build started exactly as App Service starts it (`node server.js` in the package,
 *    HOSTNAME=0.0.0.0, PORT, NODE_ENV=production), configured by app settings only, in tenant mode:
 *    the emulator's URLs, client ids and secrets stand where a real tenant's would (no control API,
 *    no tenant file), behind the App Service-like TLS front end of e2e/support/app-service.ts.
 * 3. `npm run test:e2e:deployed` against that https origin, as a seeded user. The only thing of the
 *    emulator that run receives is its CA certificate (E2E_CA_CERT), as a private CA.
 *
 *   tsx scripts/deployed-offline.ts [playwright args]
 */
import { randomBytes } from "node:crypto";
import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { startEmulator } from "../emulator";
import { startAppServiceLike, type AppServiceLike } from "../e2e/support/app-service";
import { deployedRunEnv } from "./lib/deployed-env";
import { deployedAppSettings } from "./lib/emulator-env";
import { run } from "./lib/run";

const STATE_DIR = path.resolve(".emulator");
const PUBLIC_PORT = Number(process.env.E2E_APP_SERVICE_PORT ?? 3443);
const TEST_USER = "megan.bowen@contoso.test";

async function main(): Promise<number> {
  if (!existsSync(path.resolve(".next", "standalone", "server.js"))) {
    console.error("deployed-offline: no standalone build: run `npm run build` first.");
    return 1;
  }
  // The check CI runs on the package before it is zipped and deployed.
  const packageCheck = await run(process.execPath, ["infra/scripts/check-package.mjs", ".next/standalone"], process.env);
  if (packageCheck !== 0) return packageCheck;

  const origin = `https://localhost:${PUBLIC_PORT}`;
  const tenantFile = path.join(STATE_DIR, `deployed-tenant-${process.pid}.json`);
  const emulator = await startEmulator({ port: 0, stateDir: STATE_DIR, tenantFile, appOrigins: [origin] });
  let site: AppServiceLike | undefined;
  try {
    const appSettings = {
      ...deployedAppSettings(emulator.tenant, origin, randomBytes(32).toString("base64url")),
      // Not an App Service setting: Entra's certificates chain to public CAs, the emulator's to its own.
      NODE_EXTRA_CA_CERTS: emulator.tenant.caCertPath,
    };
    site = await startAppServiceLike(PUBLIC_PORT, { appSettings });
    console.log(`deployed-offline: the standalone build (tenant mode, the emulator as its tenant) at ${site.origin}; signing in as ${TEST_USER}`);

    const user = emulator.tenant.users.find((u) => u.username === TEST_USER);
    if (!user) throw new Error(`the seed has no user ${TEST_USER}`);
    const env = {
      ...deployedRunEnv(process.env),
      E2E_BASE_URL: site.origin,
      E2E_USERNAME: user.username,
      E2E_PASSWORD: user.password,
      E2E_CA_CERT: emulator.tenant.caCertPath,
    } as unknown as NodeJS.ProcessEnv; // (NodeJS.ProcessEnv insists on NODE_ENV)
    delete env.NODE_EXTRA_CA_CERTS; // the launcher derives it from E2E_CA_CERT
    return await run("npm", ["run", "test:e2e:deployed", "--", ...process.argv.slice(2)], env);
  } finally {
    await site?.stop();
    await emulator.close();
    rmSync(tenantFile, { force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`deployed-offline: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
