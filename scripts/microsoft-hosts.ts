/**
 * The Microsoft-host runs (issue #20 §1): the product configured exactly as a production deployment
 * (tenant mode, the cloud's own sign-in host, Graph and ARM by default, no knownAuthorities), against
 * the identity emulator answering under Microsoft's host names. Steps of `npm test`.
 *
 *   tsx scripts/microsoft-hosts.ts e2e      [--cloud=public,usgov] [playwright args]
 *       the e2e specs of playwright.microsoft-hosts.config.ts against `next start`
 *   tsx scripts/microsoft-hosts.ts deployed [--cloud=public,usgov] [playwright args]
 *       `npm run test:e2e:deployed` against the standalone build started as App Service starts it
 * (both clouds unless --cloud names one).
 *
 * Each run: a CA of its own in a temporary folder, name-constrained to the cloud's host names
 * (scripts/lib/microsoft-hosts.ts); a check that the standalone build holds nothing of it; a fresh
 * emulator with a certificate for those names; the app and the test runner reach them through the
 * test-only preload (Node) and --host-resolver-rules (Chromium). The folder is deleted at the end,
 * on failure and on Ctrl-C.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import https from "node:https";
import path from "node:path";
import { startEmulator, type EmulatorCloudName, type RunningEmulator } from "../emulator";
import { startAppServiceLike, type AppServiceLike } from "../e2e/support/app-service";
import { deployedRunEnv } from "./lib/deployed-env";
import { deployedAppSettings } from "./lib/emulator-env";
import { createMicrosoftHostsRun, findTestOnlyMaterial, hostResolverRules, nodeHostMapEnv, type MicrosoftHostsRun } from "./lib/microsoft-hosts";
import { localBin } from "./lib/next-bin";
import { run } from "./lib/run";

const STATE_DIR = path.resolve(".emulator");
const STANDALONE = path.resolve(".next", "standalone");
const E2E_PORT = Number(process.env.E2E_PORT ?? 3100);
const E2E_APP_SERVICE_PORT = Number(process.env.E2E_APP_SERVICE_PORT ?? 3443);
const TEST_USER = "megan.bowen@contoso.test";
const CLOUDS: readonly EmulatorCloudName[] = ["public", "usgov"];
const USAGE = "usage: tsx scripts/microsoft-hosts.ts <e2e|deployed> [--cloud=public,usgov] [playwright args...]";

async function main(): Promise<number> {
  const [mode, ...rest] = process.argv.slice(2);
  const cloudArg = rest.find((a) => a.startsWith("--cloud="));
  const clouds = (cloudArg?.slice("--cloud=".length) ?? CLOUDS.join(",")).split(",") as EmulatorCloudName[];
  const playwrightArgs = rest.filter((a) => a !== cloudArg);
  if ((mode !== "e2e" && mode !== "deployed") || clouds.length === 0 || !clouds.every((c) => CLOUDS.includes(c))) {
    console.error(USAGE);
    return 2;
  }
  if (!existsSync(path.join(STANDALONE, "server.js"))) {
    console.error("microsoft-hosts: no production build: run `npm run build` first.");
    return 1;
  }
  // One cloud after the other, each with its own CA, emulator and app.
  let worst = 0;
  for (const cloud of clouds) worst = Math.max(worst, await runCloud(mode, cloud, playwrightArgs));
  return worst;
}

async function runCloud(mode: "e2e" | "deployed", cloud: EmulatorCloudName, playwrightArgs: string[]): Promise<number> {
  const started = Date.now();
  const hostsRun = await createMicrosoftHostsRun(cloud);
  const tenantFile = path.join(STATE_DIR, `microsoft-hosts-tenant-${process.pid}.json`);
  let emulator: RunningEmulator | undefined;
  try {
    // Name resolution and trust live in this run only: the product's build must not know them.
    const leaks = findTestOnlyMaterial(STANDALONE, readFileSync(hostsRun.caPath, "utf8"));
    if (leaks.length > 0) {
      console.error(`microsoft-hosts: the standalone build holds test-only material:\n${leaks.map((l) => `  - ${l.file}: ${l.found}`).join("\n")}`);
      return 1;
    }
    const appOrigin = mode === "e2e" ? `http://localhost:${E2E_PORT}` : `https://localhost:${E2E_APP_SERVICE_PORT}`;
    emulator = await startEmulator({ port: 0, stateDir: STATE_DIR, tenantFile, cloud, microsoftHosts: hostsRun.leaf, appOrigins: [appOrigin] });
    const port = Number(new URL(emulator.url).port);
    console.log(
      `microsoft-hosts (${cloud}): ${hostsRun.names.join(", ")} → the emulator at 127.0.0.1:${port}, through a CA of this run only (${hostsRun.dir}); ` +
        `the standalone build holds none of it`,
    );
    const code = mode === "e2e" ? await e2e(hostsRun, emulator, tenantFile, port, playwrightArgs) : await deployed(hostsRun, emulator, port, appOrigin, playwrightArgs);
    console.log(`microsoft-hosts (${cloud}, ${mode}): ${code === 0 ? "passed" : `failed (exit ${code})`} in ${Math.round((Date.now() - started) / 1000)} s`);
    return code;
  } finally {
    await emulator?.close();
    rmSync(tenantFile, { force: true });
    hostsRun.cleanup();
  }
}

/** The runner's part of the mapping: the preload, the browser's rules, the run's CA and folder. */
function runnerEnv(hostsRun: MicrosoftHostsRun, port: number): Record<string, string> {
  return {
    ...nodeHostMapEnv(hostsRun.names, port, process.env.NODE_OPTIONS),
    E2E_HOST_RESOLVER_RULES: hostResolverRules(hostsRun.names, port),
    E2E_MICROSOFT_HOSTS_CA: hostsRun.caPath,
    E2E_MICROSOFT_HOSTS_DIR: hostsRun.dir,
    // The sign-in pages at Entra's host names are the emulator's (e2e/support/sign-in/index.ts).
    E2E_SIGN_IN_PAGES: "emulator",
  };
}

async function e2e(hostsRun: MicrosoftHostsRun, emulator: RunningEmulator, tenantFile: string, port: number, args: string[]): Promise<number> {
  const env = {
    ...process.env,
    ...runnerEnv(hostsRun, port),
    // The runner calls only the emulator's control API (localhost); the app gets the run's CA
    // and its configuration from playwright.microsoft-hosts.config.ts.
    NODE_EXTRA_CA_CERTS: emulator.tenant.caCertPath,
    EMULATOR_TENANT_FILE: tenantFile,
    E2E_PORT: String(E2E_PORT),
    E2E_APP_SERVICE_PORT: String(E2E_APP_SERVICE_PORT),
  } as NodeJS.ProcessEnv;
  return run(localBin("playwright"), ["test", "--config", "playwright.microsoft-hosts.config.ts", ...args], env);
}

async function deployed(hostsRun: MicrosoftHostsRun, emulator: RunningEmulator, port: number, origin: string, args: string[]): Promise<number> {
  // The check CI runs on the package before it is zipped and deployed.
  const packageCheck = await run(process.execPath, ["infra/scripts/check-package.mjs", ".next/standalone"], process.env);
  if (packageCheck !== 0) return packageCheck;
  const { microsoftHosts } = emulator.tenant;
  if (!microsoftHosts) throw new Error("the emulator does not answer at the Microsoft host names");
  // The app settings infra/main.bicep gives App Service (client-secret credential), with the cloud's
  // own sign-in host and nothing else of the cloud: Graph, ARM and their scopes are the defaults.
  const settings = deployedAppSettings(emulator.tenant, origin, randomBytes(32).toString("base64url"));
  for (const derived of ["GRAPH_BASE_URL", "ARM_BASE_URL", "GRAPH_SCOPES", "ARM_SCOPES", "AZURE_TOKEN_EXCHANGE_AUDIENCE"]) delete settings[derived];
  const appSettings = {
    ...settings,
    AZURE_AUTHORITY_HOST: microsoftHosts.authorityHost,
    // Not App Service settings: the test-only name resolution and the run's CA (public CAs in production).
    ...nodeHostMapEnv(hostsRun.names, port),
    NODE_EXTRA_CA_CERTS: hostsRun.caPath,
  };
  let site: AppServiceLike | undefined;
  try {
    site = await startAppServiceLike(E2E_APP_SERVICE_PORT, { appSettings });
    const user = emulator.tenant.users.find((u) => u.username === TEST_USER);
    if (!user) throw new Error(`the seed has no user ${TEST_USER}`);
    const env = {
      ...deployedRunEnv(process.env),
      ...runnerEnv(hostsRun, port),
      E2E_BASE_URL: site.origin,
      E2E_USERNAME: user.username,
      E2E_PASSWORD: user.password,
      // The App Service-like front end's certificate is the emulator's localhost one.
      E2E_CA_CERT: emulator.tenant.caCertPath,
    } as unknown as NodeJS.ProcessEnv;
    delete env.NODE_EXTRA_CA_CERTS; // the deployed launcher derives it from E2E_CA_CERT
    await control(emulator, "DELETE", "/counters");
    const code = await run("npm", ["run", "test:e2e:deployed", "--", ...args], env);
    if (code !== 0) return code;
    // The deployed suite knows nothing of the emulator; this launcher checks where the run went.
    return (await onlyMicrosoftHostsUsed(emulator)) ? 0 : 1;
  } finally {
    await site?.stop();
  }
}

/**
 * After a run: every request the emulator served came to the cloud's own Entra, Graph and ARM host
 * names (none to localhost, the control API aside), each of them was used, and MSAL asked for no
 * instance discovery (it has those clouds' metadata built in: e2e/identity-hosts.spec.ts).
 */
async function onlyMicrosoftHostsUsed(emulator: RunningEmulator): Promise<boolean> {
  const counters = (await control(emulator, "GET", "/counters")) as { requestsByHost: Record<string, number>; instanceDiscovery: number };
  const m = emulator.tenant.microsoftHosts!;
  const expected = [m.authorityHost, m.graphBaseUrl, m.armBaseUrl].map((u) => new URL(u).hostname).sort();
  const used = Object.keys(counters.requestsByHost).sort();
  const ok = JSON.stringify(used) === JSON.stringify(expected) && counters.instanceDiscovery === 0;
  console.log(`microsoft-hosts: requests by host ${JSON.stringify(counters.requestsByHost)}, instance discovery ${counters.instanceDiscovery}${ok ? "" : ` — expected exactly ${expected.join(", ")} and no instance discovery`}`);
  return ok;
}

/** The emulator's control API, trusting its localhost CA for this one request (the launcher has no NODE_EXTRA_CA_CERTS). */
function control(emulator: RunningEmulator, method: string, route: string): Promise<unknown> {
  const url = new URL(`${emulator.tenant.control.url}${route}`);
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, ca: readFileSync(emulator.tenant.caCertPath, "utf8"), agent: false, headers: { authorization: `Bearer ${emulator.tenant.control.secret}` } }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (c: string) => (text += c));
      res.on("end", () => ((res.statusCode ?? 500) >= 400 ? reject(new Error(`control ${method} ${route} → ${res.statusCode}`)) : resolve(text ? (JSON.parse(text) as unknown) : undefined)));
    });
    req.on("error", reject);
    req.end();
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`microsoft-hosts: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
