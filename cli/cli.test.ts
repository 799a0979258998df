/**
 * The CLI as a user runs it: a child process (`node --import tsx cli/main.ts`) against a real
 * identity emulator started here. Nothing is mocked: MSAL talks to the emulator over HTTPS, the
 * device login is completed on the emulator's own pages, and the emulator's counters prove what
 * reached the token endpoint.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import https from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";
import { rootCertificates } from "node:tls";
import { startEmulator } from "../emulator";
import { MiniBrowser, pageText, PROJECT_ROOT, runCliToEnd, SCRIPT_BIN, startCli, type CliRun } from "./test-helpers";

jest.setTimeout(60_000);

type Emulator = Awaited<ReturnType<typeof startEmulator>>;
type Tenant = Emulator["tenant"];

interface SeedUser {
  id: string;
  tenantId: string;
  userPrincipalName: string;
  displayName: string;
  managerId?: string;
  requiresMfa?: boolean;
}

let emulator: Emulator;
let tenant: Tenant;
let tmp: string;
let tenantFile: string;
let ca: string;
let seedUsers: SeedUser[];

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "cli-e2e-"));
  tenantFile = path.join(tmp, "tenant.json");
  // Polling every second keeps the device code tests quick (Entra says 5).
  emulator = await startEmulator({ port: 0, tenantFile, deviceCodeIntervalSeconds: 1 });
  tenant = emulator.tenant;
  ca = await readFile(tenant.caCertPath, "utf8");
  const seed = JSON.parse(await readFile(path.join(PROJECT_ROOT, "emulator", "tenant-data.json"), "utf8")) as { users: SeedUser[] };
  seedUsers = seed.users;
});

afterAll(async () => {
  await emulator?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

beforeEach(async () => {
  await control("POST", "/_control/reset");
});

// ---------- helpers ----------

let cacheCounter = 0;
/** A fresh, private cache folder (and HOME) per test unless one is passed. */
function env(extra: Record<string, string> = {}, cacheDir = path.join(tmp, `cache-${++cacheCounter}`)): Record<string, string> {
  return {
    HOME: path.join(tmp, "home"),
    NODE_ENV: "test", // as under jest: @next/env then skips .env.local, so a developer's tenant never leaks in
    IDENTITY_MODE: "emulator",
    EMULATOR_TENANT_FILE: tenantFile,
    CLI_CACHE_DIR: cacheDir,
    ...extra,
  };
}

function control(method: "GET" | "POST", route: string, body?: unknown): Promise<unknown> {
  const url = new URL(`${tenant.control.url.replace(/\/+$/, "")}${route.replace(/^\/_control/, "")}`);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method,
        ca,
        agent: false,
        headers: {
          authorization: `Bearer ${tenant.control.secret}`,
          ...(payload ? { "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)) } : {}),
        },
      },
      (res) => {
        let data = "";
        res.setEncoding("utf8").on("data", (c: string) => (data += c));
        res.on("end", () => {
          if ((res.statusCode ?? 500) >= 400) return reject(new Error(`control ${route}: HTTP ${res.statusCode} ${data}`));
          try {
            resolve(data ? JSON.parse(data) : null);
          } catch {
            resolve(data);
          }
        });
      },
    );
    req.on("error", reject);
    if (payload) req.write(payload);
    req.end();
  });
}

async function tokenRequests(grant?: string): Promise<number> {
  const c = (await control("GET", "/_control/counters")) as { tokenRequests: Record<string, Record<string, number>>; total: number };
  if (!grant) return c.total;
  return Object.values(c.tokenRequests[grant] ?? {}).reduce((a, b) => a + b, 0);
}

const homeUsers = () => seedUsers.filter((u) => u.tenantId === tenant.tenantId);
const user = (upn: string) => {
  const u = seedUsers.find((s) => s.userPrincipalName === upn);
  if (!u) throw new Error(`no seeded user ${upn}`);
  return u;
};
const password = (upn: string) => tenant.users.find((u) => u.username === upn)!.password;
const withManager = () => homeUsers().find((u) => u.managerId && !u.requiresMfa)!;
const withoutManager = () => homeUsers().find((u) => !u.managerId && !u.requiresMfa)!;
const mfaUser = () => homeUsers().find((u) => u.requiresMfa)!;

function expectOneLineError(stderr: string, pattern: RegExp) {
  expect(stderr).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /); // never a stack trace
  const line = stderr.split("\n").find((l) => pattern.test(l));
  expect(line).toBeDefined();
}

/** Reads the verification URL and user code from the IdP message the CLI printed, and completes the device login. */
async function completeDeviceLogin(run: CliRun, upn: string, opts: { decline?: boolean; expectConsent?: boolean } = {}): Promise<string> {
  const [, url, code] = await run.waitForStderr(/(https:\/\/\S+?)\s+and enter the code\s+(\S+?)\s/);
  const browser = new MiniBrowser(ca);
  let page = await browser.get(url!);
  page = await browser.submit(page, { Code: code! }, "Next");
  if (opts.decline) {
    page = await browser.submit(page, {}, "Cancel"); // "Cancel" on the sign-in page declines the request
    return pageText(page);
  }
  page = await browser.submit(page, { "Email or username": upn, Password: password(upn) }, "Sign in");
  if (/Verification code/.test(page.html)) {
    const mfaCode = tenant.users.find((u) => u.username === upn)?.mfaCode;
    if (!mfaCode) throw new Error(`unexpected MFA prompt for ${upn}`);
    page = await browser.submit(page, { "Verification code": mfaCode }, "Verify");
  }
  const consent = /<button[^>]*>\s*Accept\s*<\/button>/.test(page.html);
  expect(consent).toBe(Boolean(opts.expectConsent));
  if (consent) page = await browser.submit(page, {}, "Accept");
  expect(page.status).toBeLessThan(400);
  return pageText(page);
}

// ---------- usage ----------

describe("usage", () => {
  test("--help prints usage on stdout, naming the password variable; exit 0", async () => {
    const r = await runCliToEnd(["--help"], env());
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/device-code/);
    expect(r.stdout).toMatch(/CLI_PASSWORD/);
  });

  test.each([[["bogus"]], [["device-code", "--bogus"]], [["users"]], [[]]])("%j -> usage on stderr, exit 2", async (args) => {
    const r = await runCliToEnd(args, env());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Usage: npm run cli/);
    expect(r.stdout).toBe("");
  });

  test("--password is refused with the reason, and the value is never echoed", async () => {
    const r = await runCliToEnd(["users", "--username", "a@contoso.test", "--password", "hunter2"], env());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--password is not accepted.*shell history/);
    expect(r.stderr + r.stdout).not.toContain("hunter2");
  });
});

// ---------- users (ROPC) ----------

describe("users (username/password)", () => {
  test("lists every seeded user across pages; the second run makes no token request", async () => {
    const me = withManager().userPrincipalName;
    const e = env({ CLI_PASSWORD: password(me) });

    const first = await runCliToEnd(["users", "--username", me, "--json", "--page-size", "5"], e);
    expect(first.stderr).toMatch(/legacy/);
    expect(first.code).toBe(0);
    const out = JSON.parse(first.stdout) as { count: number; pages: number; users: Array<{ userPrincipalName: string }>; account: { username: string; fromCache: boolean } };
    expect(out.users.map((u) => u.userPrincipalName).sort()).toEqual(homeUsers().map((u) => u.userPrincipalName).sort());
    expect(out.count).toBe(homeUsers().length);
    expect(out.pages).toBe(Math.ceil(homeUsers().length / 5)); // every nextLink was followed
    expect(out.account).toMatchObject({ username: me, fromCache: false });
    expect(await tokenRequests("password")).toBe(1);

    // The cache file is private.
    const cacheFile = path.join(e.CLI_CACHE_DIR!, (await import("node:fs")).readdirSync(e.CLI_CACHE_DIR!).find((f) => f.endsWith(".json"))!);
    if (process.platform !== "win32") expect((await stat(cacheFile)).mode & 0o777).toBe(0o600);

    const before = await tokenRequests();
    const second = await runCliToEnd(["users", "--username", me], { ...e, CLI_PASSWORD: "" });
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(new RegExp(`${homeUsers().length} users \\(1 page from Microsoft Graph\\)`));
    for (const u of homeUsers()) expect(second.stdout).toContain(u.userPrincipalName);
    expect(await tokenRequests()).toBe(before);

    // sign-out forgets it: the file is gone and the next run must ask the identity provider again.
    const out2 = await runCliToEnd(["sign-out", "--json"], e);
    expect(out2.code).toBe(0);
    expect(JSON.parse(out2.stdout)).toMatchObject({ signedOut: [me], cacheFilesRemoved: [cacheFile] });
    await expect(stat(cacheFile)).rejects.toMatchObject({ code: "ENOENT" });
    const third = await runCliToEnd(["users", "--username", me], e);
    expect(third.code).toBe(0);
    expect(await tokenRequests("password")).toBe(2);
  });

  test("after the access token expires, the next run refreshes it silently: a refresh token request, no password", async () => {
    // Shorter than MSAL's 5-minute refresh margin, so every later run counts as "expired".
    await control("POST", "/_control/token-lifetime", { seconds: 60 });
    const me = withManager().userPrincipalName;
    const e = env({ CLI_PASSWORD: password(me) });
    expect((await runCliToEnd(["users", "--username", me], e)).code).toBe(0);
    const r = await runCliToEnd(["users", "--username", me, "--json"], { ...e, CLI_PASSWORD: "" });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ count: homeUsers().length, account: { fromCache: false } });
    expect(await tokenRequests("password")).toBe(1);
    expect(await tokenRequests("refresh_token")).toBe(1);
  });

  test("a cached token that Graph rejects (signing key rotated away) is refreshed once and the call retried", async () => {
    const me = withManager().userPrincipalName;
    const e = env({ CLI_PASSWORD: password(me) });
    expect((await runCliToEnd(["users", "--username", me], e)).code).toBe(0);
    await control("POST", "/_control/keys/rotate", { dropPrevious: true });
    const r = await runCliToEnd(["users", "--username", me], { ...e, CLI_PASSWORD: "" });
    expect(r.code).toBe(0);
    expect(await tokenRequests("password")).toBe(1);
    expect(await tokenRequests("refresh_token")).toBe(1);
  });

  test("wrong password -> explained, exit 1", async () => {
    const me = withManager().userPrincipalName;
    const r = await runCliToEnd(["users", "--username", me], env({ CLI_PASSWORD: "not-the-password" }));
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /wrong username or password \(AADSTS50126\)/);
  });

  test("MFA user -> explained (use device-code), exit 1", async () => {
    const mfa = mfaUser().userPrincipalName;
    const r = await runCliToEnd(["users", "--username", mfa, "--json"], env({ CLI_PASSWORD: password(mfa) }));
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /multi-factor authentication.*device-code/);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: "mfa_required" } });
  });

  test("unknown user -> explained, exit 1", async () => {
    const r = await runCliToEnd(["users", "--username", `nobody@${homeUsers()[0]!.userPrincipalName.split("@")[1]}`], env({ CLI_PASSWORD: "x" }));
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /that user does not exist in this tenant \(AADSTS50034\)/);
  });

  test("consent revoked -> explained, exit 1", async () => {
    await control("POST", "/_control/consent/revoke", { clientId: tenant.apps.cli.clientId });
    const me = withManager().userPrincipalName;
    const r = await runCliToEnd(["users", "--username", me], env({ CLI_PASSWORD: password(me) }));
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /not been granted consent.*AADSTS65001/);
  });

  test("no password and no terminal -> says how to give one, exit 1", async () => {
    const r = await runCliToEnd(["users", "--username", withManager().userPrincipalName], env());
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /CLI_PASSWORD/);
  });
});

// ---------- device code ----------

describe("device-code", () => {
  test("prints the IdP message, completes on the emulator's page, shows profile and manager; second run is silent", async () => {
    const me = withManager();
    const manager = user(seedUsers.find((u) => u.id === me.managerId)!.userPrincipalName);
    const e = env();

    const run = startCli(["device-code"], e);
    await completeDeviceLogin(run, me.userPrincipalName);
    const r = await run.done;
    expect(r.stderr).toMatch(/To sign in, use a web browser to open the page https:\/\/\S+ and enter the code/);
    expect(r.stderr).toMatch(/Waiting for sign-in \(the code expires in \d+:\d\d/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`Profile\\n\\s+Display name\\s+${me.displayName}`));
    expect(r.stdout).toMatch(new RegExp(`Manager\\n\\s+Display name\\s+${manager.displayName}`));
    expect(await tokenRequests("device_code")).toBeGreaterThanOrEqual(1);

    const before = await tokenRequests();
    const again = await runCliToEnd(["device-code", "--json"], e);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/Using the saved sign-in/);
    const out = JSON.parse(again.stdout) as { profile: { userPrincipalName: string }; manager: { displayName: string } | null; account: { fromCache: boolean } };
    expect(out.profile.userPrincipalName).toBe(me.userPrincipalName);
    expect(out.manager?.displayName).toBe(manager.displayName);
    expect(out.account.fromCache).toBe(true);
    expect(await tokenRequests()).toBe(before);
  });

  test("a Fabrikam user signs in (organizations authority) and sees their own profile", async () => {
    const fabrikam = seedUsers.find((u) => u.tenantId === tenant.secondTenantId && !u.requiresMfa)!;
    const run = startCli(["device-code", "--json"], env());
    await completeDeviceLogin(run, fabrikam.userPrincipalName);
    const r = await run.done;
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ profile: { userPrincipalName: fabrikam.userPrincipalName }, account: { tenantId: tenant.secondTenantId } });
    const byTenant = ((await control("GET", "/_control/counters")) as { tokenRequestsByTenant: Record<string, Record<string, number>> }).tokenRequestsByTenant;
    expect(byTenant.device_code?.organizations).toBeGreaterThanOrEqual(1);
  });

  test("a user without a manager: --json says manager null", async () => {
    const me = withoutManager();
    const run = startCli(["device-code", "--json"], env());
    await completeDeviceLogin(run, me.userPrincipalName);
    const r = await run.done;
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ profile: { userPrincipalName: me.userPrincipalName }, manager: null });
    expect(r.stderr).toMatch(/To sign in/); // messages on stderr, stdout is pure JSON
  });

  test("consent missing: the emulator's consent page is shown, accepting completes the sign-in", async () => {
    await control("POST", "/_control/consent/revoke", { clientId: tenant.apps.cli.clientId });
    const me = withManager();
    const run = startCli(["device-code", "--json"], env());
    await completeDeviceLogin(run, me.userPrincipalName, { expectConsent: true });
    const r = await run.done;
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ profile: { userPrincipalName: me.userPrincipalName } });
  });

  test("an MFA user, refused by the username/password flow, signs in with device-code (MFA on the device page)", async () => {
    const me = mfaUser();
    const run = startCli(["device-code", "--json"], env());
    await completeDeviceLogin(run, me.userPrincipalName);
    const r = await run.done;
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ profile: { userPrincipalName: me.userPrincipalName } });
  });

  test("declined on the device login page -> clear message, exit 1", async () => {
    const run = startCli(["device-code"], env());
    await completeDeviceLogin(run, withManager().userPrincipalName, { decline: true });
    const r = await run.done;
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /declined/);
    expect(r.stdout).toBe("");
  });

  // Device codes live 15 minutes; the emulator's control API shortens that to see expiry.
  test("expired code -> clear message, exit 1", async () => {
    await control("POST", "/_control/settings", { deviceCodeLifetimeSeconds: 2 });
    const r = await runCliToEnd(["device-code"], env());
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /device code expired.*Run the command again/);
  });

  test("Ctrl-C while waiting cancels cleanly: exit 130", async () => {
    const run = startCli(["device-code"], env());
    await run.waitForStderr(/enter the code/);
    run.child.kill("SIGINT");
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/Cancelled\./);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

// ---------- in a terminal ----------

// A pseudo-terminal comes from util-linux `script` (present on Debian and most Linux machines);
// where it is missing these two cannot run and are reported as skipped.
describe("in a terminal", () => {
  const ptyTest = SCRIPT_BIN ? test : test.skip;

  ptyTest("users prompts for the password and does not echo it", async () => {
    const me = withManager().userPrincipalName;
    const run = startCli(["users", "--username", me], env(), { pty: true });
    await run.waitForStderr(/Password for \S+: /);
    run.child.stdin.write(`${password(me)}\r`);
    const r = await run.done;
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`${homeUsers().length} users`));
    expect(r.stdout).not.toContain(password(me));
  });

  ptyTest("device-code shows a live countdown, and Ctrl-C typed at the terminal cancels with exit 130", async () => {
    const run = startCli(["device-code"], env(), { pty: true });
    await run.waitForStderr(/expires in 14:5\d/); // at least one tick after 15:00
    run.child.stdin.write("\u0003");
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.stdout).toMatch(/\r\u001b\[2KWaiting for you to sign in: the code expires in 15:00\. Press Ctrl-C to cancel\./);
    expect(r.stdout).toMatch(/Cancelled\./);
    expect(r.stdout).not.toMatch(/\n\s+at /);
  });
});

test("sign-out works with the emulator gone, deleting every CLI cache file in the folder", async () => {
  const me = withManager().userPrincipalName;
  const e = env({ CLI_PASSWORD: password(me) });
  expect((await runCliToEnd(["users", "--username", me], e)).code).toBe(0);
  const other = path.join(e.CLI_CACHE_DIR!, "msal-cache-0123456789abcdef.json"); // e.g. from an earlier emulator port
  const unrelated = path.join(e.CLI_CACHE_DIR!, "notes.txt");
  await writeFile(other, "{}");
  await writeFile(unrelated, "keep me");
  const r = await runCliToEnd(["sign-out"], { ...e, EMULATOR_TENANT_FILE: path.join(tmp, "missing", "tenant.json") });
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/Deleted 2 token cache files/);
  expect((await import("node:fs")).readdirSync(e.CLI_CACHE_DIR!)).toEqual(["notes.txt"]);
  const again = await runCliToEnd(["sign-out"], e);
  expect(again.stdout).toMatch(/Nobody was signed in/);
});

// ---------- environment problems ----------

describe("environment problems are one line, exit 1", () => {
  test("emulator not running (no tenant.json)", async () => {
    const r = await runCliToEnd(["device-code"], env({ EMULATOR_TENANT_FILE: path.join(tmp, "missing", "tenant.json") }));
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /identity emulator is not running.*npm run emulator/);
  });

  test("emulator stopped (stale tenant.json) -> cannot reach", async () => {
    const stale = path.join(tmp, "stale");
    await (await import("node:fs/promises")).mkdir(stale, { recursive: true });
    const t = JSON.parse(await readFile(tenantFile, "utf8")) as Record<string, unknown>;
    const port = new URL(tenant.authority).port;
    const swap = (v: unknown): unknown => (typeof v === "string" ? v.replaceAll(`:${port}`, ":9") : v); // port 9 (discard): nothing listens
    await writeFile(path.join(stale, "tenant.json"), JSON.stringify({ ...t, authority: swap(t.authority), graphBaseUrl: swap(t.graphBaseUrl), caCertPath: tenant.caCertPath }));
    const r = await runCliToEnd(["users", "--username", withManager().userPrincipalName], env({ EMULATOR_TENANT_FILE: path.join(stale, "tenant.json"), CLI_PASSWORD: "x" }));
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /Cannot reach the identity emulator at localhost:9 \(ECONNREFUSED\).*npm run emulator/);
  });

  test("the emulator's CA is not the one trusted -> TLS explained", async () => {
    const wrong = path.join(tmp, "wrong-ca");
    await (await import("node:fs/promises")).mkdir(wrong, { recursive: true });
    await writeFile(path.join(wrong, "other-ca.pem"), rootCertificates[0]!);
    const t = JSON.parse(await readFile(tenantFile, "utf8")) as Record<string, unknown>;
    await writeFile(path.join(wrong, "tenant.json"), JSON.stringify({ ...t, caCertPath: path.join(wrong, "other-ca.pem") }));
    // With an https.Agent `ca`, Node's bundled roots are kept but the emulator's CA is missing.
    const r = await runCliToEnd(["users", "--username", withManager().userPrincipalName], env({ EMULATOR_TENANT_FILE: path.join(wrong, "tenant.json"), CLI_PASSWORD: "x" }));
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /certificate of the identity emulator .* is not trusted/);
  });

  test("tenant mode names every missing variable", async () => {
    const r = await runCliToEnd(["device-code"], env({ IDENTITY_MODE: "tenant" }));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/AZURE_TENANT_ID: is not set/);
    expect(r.stderr).toMatch(/AZURE_CLI_CLIENT_ID: is not set/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
