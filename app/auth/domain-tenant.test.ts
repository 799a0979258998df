/**
 * AZURE_TENANT_ID given as a verified domain (contoso.onmicrosoft.com, which .env.local.example
 * invites), as production starts the app: instrumentation.ts's register() runs first, then the
 * real route handlers with real msal-node against a private emulator. Tokens carry the tenant's
 * GUID in `tid`; home-tenant users must still sign in (issue #20 item 1). A domain whose tenant ID
 * cannot be read stops startup with a message naming AZURE_TENANT_ID, never a stack trace.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator, type RunningEmulator } from "@/emulator";
import { Browser } from "@/emulator/test-support/harness";
import { authenticate } from "@/lib/auth";
import { getConfig, getPublicConfig, resetConfigForTests } from "@/lib/config";
import { emulatorEnv, installEnv } from "@/test-support/emulator-config";
import { EmulatorControl } from "@/test-support/emulator-control";
import { register } from "@/instrumentation";
import { GET as callback } from "./callback/route";
import { GET as login } from "./login/route";

const APP = "http://localhost:3100";

let emu: RunningEmulator;
let restoreEnv: (() => void) | undefined;

beforeAll(async () => {
  emu = await startEmulator({ port: 0, tenantFile: join(mkdtempSync(join(tmpdir(), "domain-tenant-")), "tenant.json"), appOrigins: [APP] });
});

afterAll(async () => {
  restoreEnv?.();
  resetConfigForTests();
  await emu?.close();
});

afterEach(() => {
  jest.restoreAllMocks();
  restoreEnv?.();
  restoreEnv = undefined;
  resetConfigForTests();
});

/** The app's environment for the emulator, with AZURE_TENANT_ID set to `tenant`; then the server starts. */
async function startApp(tenant: string): Promise<{ exitCode: number | undefined; stderr: string }> {
  restoreEnv = installEnv({ ...emulatorEnv(emu.tenant, { overrides: { AZURE_TENANT_ID: tenant } }), NEXT_RUNTIME: "nodejs" });
  resetConfigForTests();
  let exitCode: number | undefined;
  const errors: string[] = [];
  // Small seams: the startup hook exits the process and prints to the console on bad config.
  jest.spyOn(process, "exit").mockImplementation(((code?: number) => {
    exitCode = code ?? 0;
    throw new Error(`process.exit(${String(code)})`);
  }) as typeof process.exit);
  jest.spyOn(console, "error").mockImplementation((...args: unknown[]) => void errors.push(args.map(String).join(" ")));
  jest.spyOn(console, "info").mockImplementation(() => undefined);
  try {
    await register();
  } catch (e) {
    if (exitCode === undefined) throw e;
  }
  return { exitCode, stderr: errors.join("\n") };
}

function cookieOf(res: Response): string {
  return (res.headers.getSetCookie()[0] ?? "").split(";")[0] ?? "";
}

it("a home-tenant user signs in to /web when AZURE_TENANT_ID is the tenant's domain", async () => {
  const domain = emu.tenant.tenants[0]!.domain;
  expect((await startApp(domain)).exitCode).toBeUndefined();

  const start = await login(new Request(`${APP}/auth/login?returnTo=%2Fweb`));
  expect(start.status).toBe(302);
  const browser = new Browser(emu);
  const megan = emu.tenant.users[0]!;
  const page = await browser.submit(await browser.go(start.headers.get("location") ?? ""), { username: megan.username, password: megan.password }, { name: "action", value: "signin" });
  const done = await callback(new Request(page.leftTo ?? "", { headers: { cookie: cookieOf(start) } }));
  const body = done.status === 303 ? "" : await done.text();
  expect({ status: done.status, tenantNotAllowed: body.includes("tenant_not_allowed") }).toEqual({ status: 303, tenantNotAllowed: false });
  expect(done.headers.get("location")).toBe(`${APP}/web`);

  // Everything the app derives from the tenant names its GUID, as tokens do.
  const config = getConfig();
  expect(config.tenantId).toBe(emu.tenant.tenantId);
  expect(config.allowedTenants).toEqual([emu.tenant.tenantId]);
  expect(getPublicConfig().authority).toBe(`${emu.tenant.authorityHost}/${emu.tenant.tenantId}`);

  // The API accepts the home tenant's tokens too.
  const token = (await new EmulatorControl(emu.tenant).mint({ username: megan.username, clientId: emu.tenant.apps.spa.clientId, scopes: [emu.tenant.apps.api.scope] })).access_token;
  const caller = await authenticate(new Request(`${APP}/api/me`, { headers: { authorization: `Bearer ${token}` } }));
  expect(caller.tid).toBe(emu.tenant.tenantId);
});

it("a domain whose tenant cannot be found stops startup with a message naming AZURE_TENANT_ID, without a stack trace", async () => {
  const { exitCode, stderr } = await startApp("nowhere.example");
  expect(exitCode).toBe(1);
  expect(stderr).toMatch(/AZURE_TENANT_ID: /);
  expect(stderr).toMatch(/tenant ID/);
  expect(stderr).not.toMatch(/\n\s+at /);
});
