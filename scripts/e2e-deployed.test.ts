/**
 * `npm run test:e2e:deployed`: the Playwright suite for a deployment someone names. Without its
 * three variables it must stop at once with one message naming every missing one (no stack trace,
 * exit code 2); the run it starts carries no trace of the identity emulator's control API; and the
 * deployed specs cannot import the emulator's control helpers (ESLint).
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { checkDeployedEnv, deployedRunEnv } from "./lib/deployed-env";

const ROOT = path.resolve(__dirname, "..");
const E2E_VARIABLES = ["E2E_BASE_URL", "E2E_USERNAME", "E2E_PASSWORD", "E2E_CA_CERT"];

/** Runs the npm script exactly as a user types it, with the E2E_* variables replaced by `env`. */
function runDeployedSuite(env: Record<string, string>) {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const name of E2E_VARIABLES) delete base[name];
  const result = spawnSync("npm", ["run", "test:e2e:deployed"], { cwd: ROOT, env: { ...base, ...env }, encoding: "utf8", timeout: 60_000 });
  return { code: result.status, output: `${result.stdout}\n${result.stderr}` };
}

const STACK_FRAME = /\n\s+at .+[(:]\d+/;

describe("npm run test:e2e:deployed", () => {
  it("with no variable set: one message naming all three, exit code 2, no stack trace", () => {
    const { code, output } = runDeployedSuite({});
    expect(code).toBe(2);
    const message = output.split("\n").filter((line) => line.includes("test:e2e:deployed: missing"));
    expect(message).toEqual(["test:e2e:deployed: missing E2E_BASE_URL, E2E_USERNAME and E2E_PASSWORD"]);
    expect(output).toContain("E2E_BASE_URL=https://");
    expect(output).not.toMatch(STACK_FRAME);
    expect(output).not.toContain("Running"); // Playwright never started
  });

  it("names only what is missing and never echoes a value it was given", () => {
    const { code, output } = runDeployedSuite({ E2E_BASE_URL: "https://contoso-identity.azurewebsites.net", E2E_USERNAME: "e2e-user@contoso.example" });
    expect(code).toBe(2);
    expect(output).toContain("test:e2e:deployed: missing E2E_PASSWORD\n");
    expect(output).not.toMatch(STACK_FRAME);

    const secret = "p@ssw0rd-that-must-never-be-printed";
    const bad = runDeployedSuite({ E2E_BASE_URL: "http://contoso-identity.azurewebsites.net/app", E2E_USERNAME: "e2e-user@contoso.example", E2E_PASSWORD: secret, E2E_CA_CERT: "/nonexistent/ca.pem" });
    expect(bad.code).toBe(2);
    expect(bad.output).toContain("  - E2E_BASE_URL: ");
    expect(bad.output).toContain("  - E2E_CA_CERT: ");
    expect(bad.output).not.toContain(secret);
    expect(bad.output).not.toMatch(STACK_FRAME);
  });
});

describe("checkDeployedEnv", () => {
  const valid = { E2E_BASE_URL: "https://contoso-identity.azurewebsites.net", E2E_USERNAME: "e2e@contoso.example", E2E_PASSWORD: "x" };

  it.each([
    ["https://contoso-identity.azurewebsites.net", "https://contoso-identity.azurewebsites.net"],
    ["https://contoso-identity.azurewebsites.net/", "https://contoso-identity.azurewebsites.net"],
    ["https://identity.contoso.example:8443", "https://identity.contoso.example:8443"],
    ["http://localhost:3000", "http://localhost:3000"],
    ["http://127.0.0.1:3000/", "http://127.0.0.1:3000"],
  ])("accepts %s as the origin %s", (given, origin) => {
    expect(checkDeployedEnv({ ...valid, E2E_BASE_URL: given })).toEqual({ ok: true, baseUrl: origin });
  });

  it.each([
    ["http://contoso-identity.azurewebsites.net", "https://"],
    ["https://contoso-identity.azurewebsites.net/app", "no path"],
    ["https://user:pw@contoso-identity.azurewebsites.net", "no path"],
    ["contoso-identity.azurewebsites.net", "https://"],
  ])("refuses %s", (given, hint) => {
    const result = checkDeployedEnv({ ...valid, E2E_BASE_URL: given });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.invalid).toEqual([expect.objectContaining({ variable: "E2E_BASE_URL", message: expect.stringContaining(hint) })]);
  });

  it("treats blank values as missing", () => {
    const result = checkDeployedEnv({ E2E_BASE_URL: " ", E2E_USERNAME: "", E2E_PASSWORD: "x" });
    expect(result).toMatchObject({ ok: false, missing: ["E2E_BASE_URL", "E2E_USERNAME"] });
  });
});

describe("deployedRunEnv", () => {
  it("carries no emulator tenant file, control secret or app secret; the CA given becomes Node's extra CA", () => {
    const env = deployedRunEnv({
      PATH: "/usr/bin",
      CI: "1",
      E2E_BASE_URL: "https://localhost:3443",
      E2E_USERNAME: "megan.bowen@contoso.test",
      E2E_PASSWORD: "pw",
      E2E_CA_CERT: "/repo/.emulator/ca.pem",
      EMULATOR_TENANT_FILE: "/repo/.emulator/test-tenant-1.json",
      EMULATOR_CONTROL_SECRET: "s",
      IDENTITY_MODE: "emulator",
      AZURE_API_CLIENT_SECRET: "api-secret",
      AZURE_WEB_CLIENT_SECRET: "web-secret",
      SESSION_PASSWORD: "session",
      NODE_EXTRA_CA_CERTS: "/somewhere/else.pem",
    });
    expect(env).toEqual({
      PATH: "/usr/bin",
      CI: "1",
      E2E_BASE_URL: "https://localhost:3443",
      E2E_USERNAME: "megan.bowen@contoso.test",
      E2E_PASSWORD: "pw",
      E2E_CA_CERT: "/repo/.emulator/ca.pem",
      NODE_EXTRA_CA_CERTS: "/repo/.emulator/ca.pem",
    });
  });

  it("keeps a NODE_EXTRA_CA_CERTS of the user's own (a corporate proxy) when no E2E_CA_CERT is given", () => {
    expect(deployedRunEnv({ NODE_EXTRA_CA_CERTS: "/etc/ssl/corp.pem" })).toEqual({ NODE_EXTRA_CA_CERTS: "/etc/ssl/corp.pem" });
  });
});

describe("the deployed specs' import boundary (ESLint)", () => {
  /** Lints `source` as if it were the file `file` (relative to the repository). */
  function lint(file: string, source: string): string[] {
    const result = spawnSync(process.execPath, [path.join(ROOT, "node_modules", "eslint", "bin", "eslint.js"), "--format", "json", "--stdin", "--stdin-filename", file], {
      cwd: ROOT,
      input: source,
      encoding: "utf8",
    });
    const [report] = JSON.parse(result.stdout) as { messages: { ruleId: string | null; message: string }[] }[];
    const boundaryRules = new Set(["no-restricted-imports", "no-restricted-syntax"]);
    return (report?.messages ?? []).filter((m) => m.ruleId !== null && boundaryRules.has(m.ruleId)).map((m) => m.message);
  }
  const controlImports = [
    `import { control } from "../emulator";`,
    `import { tenant } from "../../e2e/emulator";`,
    `import { startEmulator } from "../../emulator";`,
    `import { emulatorAppEnv } from "../../scripts/lib/emulator-env";`,
    `export { counters } from "../emulator";`,
    `const lazy = () => import("../emulator");`,
    `const required = require("../../emulator/index");`,
  ];

  it("refuses every way into the emulator's control API from e2e/deployed/, and nothing else", () => {
    const source = [...controlImports, `import { test } from "../support/signed-in";`, `void lazy; void required; void control; void tenant; void startEmulator; void emulatorAppEnv; void test;`].join("\n");
    const messages = lint("e2e/deployed/planted.spec.ts", source);
    expect(messages).toHaveLength(controlImports.length);
    expect(messages[0]).toContain("never calls the identity emulator's control API");
  });

  it("leaves the emulator suite free to use them", () => {
    expect(lint("e2e/planted.spec.ts", `import { control } from "./emulator";\nvoid control;\n`)).toEqual([]);
  });
});
