/**
 * The front-channel logout URL is unauthenticated (the identity provider's iframe carries no
 * cookie): anyone can call it. Its budget bounds what a flood costs the shared store and the logs
 * (issue #22 §4 finding 1). The route handler as Next.js runs it, with its process-wide limiter
 * (a test file gets its own globals, so this file starts with a full budget).
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator, type RunningEmulator } from "@/emulator";
import { resetConfigForTests } from "@/lib/config";
import { emulatorEnv, installEnv } from "@/test-support/emulator-config";
import { GET as frontChannelLogout } from "./frontchannel-logout/route";

const APP = "http://localhost:3100";
let emu: RunningEmulator;
let restoreEnv: (() => void) | undefined;

beforeAll(async () => {
  emu = await startEmulator({ port: 0, tenantFile: join(mkdtempSync(join(tmpdir(), "fcl-limit-")), "tenant.json"), appOrigins: [APP] });
});
afterAll(async () => {
  restoreEnv?.();
  resetConfigForTests();
  await emu?.close();
});

const call = (headers: Record<string, string> = {}) => frontChannelLogout(new Request(`${APP}/auth/frontchannel-logout?sid=${randomUUID()}`, { headers }));

/** Statuses of `n` calls as fast as they go. */
async function burst(n: number, headers?: Record<string, string>): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push((await call(headers)).status);
  return statuses;
}

describe("GET /auth/frontchannel-logout under a flood", () => {
  afterEach(() => {
    restoreEnv?.();
    restoreEnv = undefined;
    resetConfigForTests();
  });

  it("behind a trusted proxy, one client spending its own budget does not spend another's", async () => {
    restoreEnv = installEnv(emulatorEnv(emu.tenant, { overrides: { TRUST_FORWARDED_HEADERS: "true" } }));
    resetConfigForTests();
    const flooding = { "x-forwarded-for": "192.0.2.1, 203.0.113.7" }; // the proxy appended 203.0.113.7
    const statuses = await burst(50, flooding);
    const first = statuses.indexOf(429);
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(50);
    expect((await call({ "x-forwarded-for": "192.0.2.1, 198.51.100.9" })).status).toBe(200);
    expect((await call(flooding)).status).toBe(429);
  });

  it("answers 429 with Retry-After and no content once the instance's budget is spent, whatever X-Forwarded-For claims, and accepts again once it refills", async () => {
    restoreEnv = installEnv(emulatorEnv(emu.tenant));
    resetConfigForTests();
    // Forwarded headers are not trusted (the default): a forged X-Forwarded-For per call buys nothing.
    let n = 0;
    const statuses: number[] = [];
    for (let i = 0; i < 400; i++) statuses.push((await call({ "x-forwarded-for": `203.0.113.${n++ % 250}` })).status);
    const first = statuses.indexOf(429);
    expect(first).toBeGreaterThanOrEqual(80); // a wave of real sign-outs passes (the test above spent ~12)
    expect(statuses.slice(0, first).every((s) => s === 200)).toBe(true);
    expect(statuses.filter((s) => s === 200).length).toBeLessThan(200);

    const refused = await call();
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get("cache-control")).toBe("no-store");
    expect(await refused.text()).toBe("");

    await new Promise((r) => setTimeout(r, 1_100));
    expect((await call()).status).toBe(200);
  });
});
