/**
 * The CLI exactly as a user of a real tenant runs it (issue #20 §1): tenant mode (no IDENTITY_MODE,
 * no tenant file), Microsoft's sign-in host (by default, or US Government's), Graph left to its
 * default, and no CA but the run's own (NODE_EXTRA_CA_CERTS). The identity emulator answers under
 * those host names; the child process reaches it through the test-only preload
 * (scripts/lib/test-host-map.cjs), the device login is completed on the emulator's page at
 * login.microsoftonline.com(.us), and the emulator's counters show where every request went.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { startEmulator, type EmulatorCloudName, type RunningEmulator } from "../emulator";
import { createMicrosoftHostsRun, nodeHostMapEnv, type MicrosoftHostsRun } from "../scripts/lib/microsoft-hosts";
import { MiniBrowser, pageText, runCliToEnd, startCli, type CliRun } from "./test-helpers";

jest.setTimeout(90_000);

const MEGAN = "megan.bowen@contoso.test";

interface Counters {
  tokenRequests: Record<string, Record<string, number> | undefined>;
  requestsByHost: Record<string, number>;
  instanceDiscovery: number;
}

describe.each([
  ["public", undefined],
  ["usgov", "https://login.microsoftonline.us"],
] as [EmulatorCloudName, string | undefined][])("the %s cloud's host names", (cloud, authorityHost) => {
  let hostsRun: MicrosoftHostsRun;
  let emulator: RunningEmulator;
  let tmp: string;
  let port: number;

  beforeAll(async () => {
    hostsRun = await createMicrosoftHostsRun(cloud);
    tmp = await mkdtemp(path.join(tmpdir(), "cli-microsoft-hosts-"));
    emulator = await startEmulator({ port: 0, tenantFile: path.join(tmp, "tenant.json"), cloud, microsoftHosts: hostsRun.leaf, deviceCodeIntervalSeconds: 1 });
    port = Number(new URL(emulator.url).port);
  });
  afterAll(async () => {
    await emulator?.close();
    hostsRun?.cleanup();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });
  beforeEach(() => control("POST", "/reset", { sessions: true }));

  const control = async (method: string, route: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${emulator.tenant.control.url}${route}`, {
      method,
      headers: { authorization: `Bearer ${emulator.tenant.control.secret}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`control ${route}: ${res.status}`);
    return res.json();
  };

  let caches = 0;
  /** A real tenant's CLI environment: nothing of the emulator but the test-only name mapping and the run's CA. */
  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    HOME: path.join(tmp, "home"),
    NODE_ENV: "test", // as under jest: @next/env then skips .env.local, so a developer's tenant never leaks in
    AZURE_TENANT_ID: emulator.tenant.tenantId,
    AZURE_CLI_CLIENT_ID: emulator.tenant.apps.cli.clientId,
    ...(authorityHost ? { AZURE_AUTHORITY_HOST: authorityHost } : {}),
    CLI_CACHE_DIR: path.join(tmp, `cache-${++caches}`),
    NODE_EXTRA_CA_CERTS: hostsRun.caPath,
    ...nodeHostMapEnv(hostsRun.names, port),
    ...extra,
  });

  /** Only the cloud's sign-in host and Graph were used, and MSAL asked for no instance discovery. */
  async function expectMicrosoftHostsOnly(): Promise<void> {
    const c = (await control("GET", "/counters")) as Counters;
    const m = emulator.tenant.microsoftHosts!;
    expect(Object.keys(c.requestsByHost).sort()).toEqual([new URL(m.authorityHost).hostname, new URL(m.graphBaseUrl).hostname].sort());
    expect(c.instanceDiscovery).toBe(0);
  }

  async function completeDeviceLogin(run: CliRun): Promise<string> {
    const [, url, code] = await run.waitForStderr(/(https:\/\/\S+?)\s+and enter the code\s+(\S+?)\s/);
    expect(new URL(url!).origin).toBe(emulator.tenant.microsoftHosts!.authorityHost);
    const browser = new MiniBrowser(await readFile(hostsRun.caPath, "utf8"), () => ({ host: "127.0.0.1", port }));
    let page = await browser.get(url!);
    page = await browser.submit(page, { Code: code! }, "Next");
    const password = emulator.tenant.users.find((u) => u.username === MEGAN)!.password;
    page = await browser.submit(page, { "Email or username": MEGAN, Password: password }, "Sign in");
    expect(page.status).toBeLessThan(400);
    return pageText(page);
  }

  test("device-code: signs in at the cloud's own host, shows the Graph profile and manager", async () => {
    await control("DELETE", "/counters");
    const run = startCli(["device-code"], env());
    expect(await completeDeviceLogin(run)).toMatch(/signed in/i);
    const r = await run.done;
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Profile\n\s+Display name\s+Megan Bowen/);
    expect(r.stdout).toMatch(/Manager\n/);
    const c = (await control("GET", "/counters")) as Counters;
    expect(c.tokenRequests.device_code?.[emulator.tenant.apps.cli.clientId]).toBeGreaterThanOrEqual(1);
    await expectMicrosoftHostsOnly();
  });

  test("users (username/password): every user of the tenant, from the cloud's own Graph", async () => {
    await control("DELETE", "/counters");
    const password = emulator.tenant.users.find((u) => u.username === MEGAN)!.password;
    const r = await runCliToEnd(["users", "--username", MEGAN, "--json"], env({ CLI_PASSWORD: password }));
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { count: number; users: { userPrincipalName: string }[] };
    // The tenant's members and its B2B guest objects (listed in tenant.json under the home account).
    const home = emulator.tenant.users.filter((u) => u.tenantId === emulator.tenant.tenantId).map((u) => u.username);
    const guests = emulator.tenant.users.flatMap((u) => (u.guestIn ?? []).filter((g) => g.tenantId === emulator.tenant.tenantId).map((g) => g.userPrincipalName));
    expect(guests.length).toBeGreaterThan(0);
    expect(out.users.map((u) => u.userPrincipalName).sort()).toEqual([...home, ...guests].sort());
    await expectMicrosoftHostsOnly();
  });

  test("without the run's CA the CLI trusts nothing there: a one-line TLS explanation, exit 1", async () => {
    const withoutCa = env({ CLI_PASSWORD: "x" });
    delete withoutCa.NODE_EXTRA_CA_CERTS;
    const r = await runCliToEnd(["users", "--username", MEGAN], withoutCa);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/certificate/i);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
