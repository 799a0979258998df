/**
 * `npm run dev`: with a tenant in .env.local, validates the configuration and starts `next dev`.
 * Without one, starts the bundled identity emulator first and hands its tenant to the app, so a
 * fresh clone works offline in two commands.
 */
import { loadEnvConfig } from "@next/env";
import path from "node:path";
import { ConfigError, parseConfig } from "../lib/config";
import { startEmulator } from "../emulator";
import { emulatorAppEnv, localSessionPassword } from "./lib/emulator-env";
import { localBin } from "./lib/next-bin";
import { run } from "./lib/run";

const STATE_DIR = path.resolve(".emulator");

async function main(): Promise<number> {
  loadEnvConfig(process.cwd(), true);
  const port = Number(process.env.PORT ?? 3000);
  const nextArgs = ["dev", "--port", String(port), ...process.argv.slice(2)];
  const tenantConfigured = Boolean(process.env.AZURE_TENANT_ID?.trim()) && process.env.IDENTITY_MODE !== "emulator";

  if (tenantConfigured) {
    if (!validConfig(process.env)) return 1;
    return run(localBin("next"), nextArgs, process.env);
  }

  const emulator = await startEmulator({
    port: Number(process.env.EMULATOR_PORT ?? 8443),
    stateDir: STATE_DIR,
    appOrigins: [`http://localhost:${port}`],
  });
  try {
    const env = { ...process.env, ...emulatorAppEnv(emulator.tenant, localSessionPassword(STATE_DIR)) };
    if (!validConfig(env)) return 1;
    printEmulatorBanner(emulator.url, port, emulator.tenant.users, env.AZURE_SUBSCRIPTIONS_AUTH_CONTEXT);
    return await run(localBin("next"), nextArgs, env);
  } finally {
    await emulator.close();
  }
}

function validConfig(env: NodeJS.ProcessEnv): boolean {
  try {
    parseConfig(env);
    return true;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`\n${error.message}\n`);
    return false;
  }
}

type BannerUser = { username: string; password: string; requiresMfa?: boolean; mfaCode?: string; appRoles?: string[]; groupCount?: number };

function printEmulatorBanner(url: string, port: number, users: BannerUser[], authContext: string | undefined): void {
  const first = users[0];
  const noRoles = users.find((u) => !u.appRoles?.length && u.username.endsWith(first?.username.split("@")[1] ?? "") && !u.requiresMfa);
  const manyGroups = users.find((u) => (u.groupCount ?? 0) > 200);
  const note = (u: BannerUser | undefined, why: string) => (u ? [`    ${u.username} / ${u.password}   (${why})`] : []);
  const sample = [
    ...note(first, `every view${authContext ? `; Subscriptions asks for a verification code once (authentication context ${authContext}): ${first?.mfaCode ?? "any 6 digits"}` : ""}`),
    ...note(noRoles, "no app roles: sees the profile, and \"Ask your admin for access\" elsewhere"),
    ...note(manyGroups, `in ${manyGroups?.groupCount ?? 0} groups: the Directory through a group, by group-overage resolution`),
    ...users.filter((u) => u.requiresMfa).slice(0, 1).map((u) => `    ${u.username} / ${u.password}   (requires MFA)`),
  ];
  console.log(
    [
      "",
      "No tenant configured: using the local identity emulator (offline).",
      `  identity emulator  ${url}`,
      `  app                http://localhost:${port}`,
      "  sign in as any seeded user, for example:",
      ...sample,
      `  Your browser must trust the emulator's certificate once: open ${url} and accept it,`,
      "  or trust .emulator/ca.pem (see README, Troubleshooting).",
      "",
    ].join("\n"),
  );
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`npm run dev: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
