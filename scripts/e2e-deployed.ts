/**
 * `npm run test:e2e:deployed [-- <playwright args>]`: the Playwright suite of e2e/deployed/ against
 * a deployment (E2E_BASE_URL) as a test user of its tenant (E2E_USERNAME, E2E_PASSWORD), with no
 * server and no identity emulator of its own (playwright.deployed.config.ts).
 *
 * Checks the variables first and stops with one message naming every missing or malformed one
 * (exit code 2). The run gets the caller's environment minus anything of the emulator or the app
 * (scripts/lib/deployed-env.ts): the suite never calls the emulator's control API.
 */
import { checkDeployedEnv, deployedEnvMessage, deployedRunEnv } from "./lib/deployed-env";
import { localBin } from "./lib/next-bin";
import { run } from "./lib/run";

async function main(): Promise<number> {
  const check = checkDeployedEnv(process.env);
  if (!check.ok) {
    console.error(deployedEnvMessage(check));
    return 2;
  }
  // (NodeJS.ProcessEnv insists on NODE_ENV, which a test run need not have.)
  const env = { ...deployedRunEnv(process.env), E2E_BASE_URL: check.baseUrl } as unknown as NodeJS.ProcessEnv;
  return run(localBin("playwright"), ["test", "--config", "playwright.deployed.config.ts", ...process.argv.slice(2)], env);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`test:e2e:deployed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
