import { existsSync, statSync } from "node:fs";

/**
 * The environment of the deployed e2e suite (`npm run test:e2e:deployed`): which deployment, as
 * which test user. Environment only: a password never sits in a file of the repository.
 */
export const DEPLOYED_VARIABLES = {
  E2E_BASE_URL: "the deployment's origin, e.g. https://contoso-identity.azurewebsites.net",
  E2E_USERNAME: "a test user of the deployment's tenant who signs in without MFA (docs/deploy.md, \"Test a deployment\")",
  E2E_PASSWORD: "that user's password, from your secret store or the CI environment's secrets",
} as const;

export type DeployedVariable = keyof typeof DEPLOYED_VARIABLES;

export interface DeployedEnvProblem {
  variable: string;
  message: string;
}

export type DeployedEnvCheck = { ok: true; baseUrl: string } | { ok: false; missing: DeployedVariable[]; invalid: DeployedEnvProblem[] };

// Plain http never leaves the machine only for these (URL.hostname spelling).
const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Every missing and every malformed variable at once, so one run says all that needs fixing. */
export function checkDeployedEnv(env: Readonly<Record<string, string | undefined>>): DeployedEnvCheck {
  const value = (name: string) => env[name]?.trim() || undefined;
  const missing = (Object.keys(DEPLOYED_VARIABLES) as DeployedVariable[]).filter((name) => !value(name));
  const invalid: DeployedEnvProblem[] = [];

  let baseUrl = "";
  const rawBase = value("E2E_BASE_URL");
  if (rawBase) {
    const problem = originProblem(rawBase);
    if (problem) invalid.push({ variable: "E2E_BASE_URL", message: problem });
    else baseUrl = new URL(rawBase).origin;
  }
  const ca = value("E2E_CA_CERT");
  if (ca && !(existsSync(ca) && statSync(ca).isFile())) {
    invalid.push({ variable: "E2E_CA_CERT", message: "names no readable file: it must be a PEM certificate of the CA the deployment's TLS certificate chains to (only for a private CA)" });
  }
  return missing.length === 0 && invalid.length === 0 ? { ok: true, baseUrl } : { ok: false, missing, invalid };
}

function originProblem(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "must be an absolute https:// origin, e.g. https://contoso-identity.azurewebsites.net";
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && LOOPBACK.has(url.hostname))) {
    return "must be an https:// origin (plain http only for localhost): the suite checks HSTS and Secure cookies as the deployment serves them";
  }
  if (url.pathname !== "/" || url.search || url.hash || url.username || url.password) {
    return "must be the deployment's origin: scheme, host and port, no path, query or credentials";
  }
  return undefined;
}

/** The one message a user reads when the run cannot start (no stack trace, no value echoed). */
export function deployedEnvMessage(check: Extract<DeployedEnvCheck, { ok: false }>, command = "test:e2e:deployed"): string {
  const lines: string[] = [];
  if (check.missing.length > 0) lines.push(`${command}: missing ${joinNames(check.missing)}`);
  if (check.invalid.length > 0) {
    lines.push(`${command}: ${check.invalid.length === 1 ? "one variable is" : `${check.invalid.length} variables are`} malformed`);
    for (const p of check.invalid) lines.push(`  - ${p.variable}: ${p.message}`);
  }
  lines.push(
    "",
    "The deployed suite signs a test user in to the deployment you name. It reads, from the environment only:",
    ...Object.entries(DEPLOYED_VARIABLES).map(([name, help]) => `  ${name.padEnd(13)} ${help}`),
    `  ${"E2E_CA_CERT".padEnd(13)} optional: the CA certificate (PEM) of a deployment behind a private CA`,
    "",
    `  E2E_BASE_URL=https://<app>.azurewebsites.net E2E_USERNAME=<user> E2E_PASSWORD=<password> npm run ${command}`,
  );
  return lines.join("\n");
}

function joinNames(names: readonly string[]): string {
  return names.length <= 1 ? (names[0] ?? "") : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

/**
 * What the Playwright run gets: the caller's environment without anything that could reach the
 * identity emulator's control API (its tenant file carries the control secret) or the app's own
 * configuration and secrets (a browser suite needs none). The CA of E2E_CA_CERT becomes Node's
 * extra CA, so API requests from the tests trust the deployment as the browser does.
 */
export function deployedRunEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || WITHHELD.test(name)) continue;
    out[name] = value;
  }
  const ca = env.E2E_CA_CERT?.trim();
  if (ca) out.NODE_EXTRA_CA_CERTS = ca;
  return out;
}

const WITHHELD = /^(EMULATOR_|IDENTITY_MODE$|AZURE_|SESSION_PASSWORD$|TOKEN_CACHE_ENCRYPTION_KEY$|REDIS_URL$)/;
