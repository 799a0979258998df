/**
 * The test-only preload (scripts/lib/test-host-map.cjs) in a real Node process: the listed names,
 * on port 443, reach the emulator through both of Node's HTTPS clients (fetch and node:https), the
 * certificate is still checked against the name and the run's CA, and nothing else changes.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { RunningEmulator } from "../../emulator";
import { microsoftHostNames } from "../../emulator";
import { startTestEmulator } from "../../emulator/test-support/harness";
import { microsoftHostsMaterial } from "../../emulator/test-support/microsoft-hosts";
import { nodeHostMapEnv } from "./microsoft-hosts";

let emu: RunningEmulator;
let dir: string;
let caPath: string;
const names = microsoftHostNames("public");

beforeAll(async () => {
  const material = await microsoftHostsMaterial(names);
  emu = await startTestEmulator({ microsoftHosts: material.leaf });
  dir = mkdtempSync(path.join(tmpdir(), "host-map-"));
  caPath = path.join(dir, "ca.pem");
  writeFileSync(caPath, material.ca.certPem);
});
afterAll(async () => {
  await emu?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `code` (CommonJS) in a fresh node with exactly `env` (plus PATH); resolves with its output. */
function node(code: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["-e", code], { env: { PATH: process.env.PATH ?? "", ...env } as unknown as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (exit: number | null) => resolve({ code: exit, stdout, stderr }));
  });
}

const port = () => Number(new URL(emu.url).port);

const PROBE = `
const https = require("node:https");
const dns = require("node:dns");
const viaHttps = (url) => new Promise((resolve) => https.get(url, (res) => { res.resume(); resolve(res.statusCode); }).on("error", (e) => resolve(e.code || e.message)));
(async () => {
  const out = {};
  out.fetchGraph = await fetch("https://graph.microsoft.com/v1.0/me").then((r) => r.status, (e) => String(e.cause && e.cause.code || e.message));
  out.httpsArm = await viaHttps("https://management.azure.com/subscriptions?api-version=2022-12-01");
  out.discovery = await fetch("https://login.microsoftonline.com/common/discovery/instance?api-version=1.1&authorization_endpoint=https://login.microsoftonline.com/common/oauth2/v2.0/authorize").then((r) => r.status, (e) => String(e.cause && e.cause.code || e.message));
  out.lookup = await new Promise((r) => dns.lookup("graph.microsoft.com", (e, a) => r(e ? e.code : a)));
  out.lookupAll = await new Promise((r) => dns.lookup("Login.MicrosoftOnline.com", { all: true }, (e, a) => r(e ? e.code : a)));
  out.promisesLookup = await dns.promises.lookup("management.azure.com");
  out.unlisted = await new Promise((r) => dns.lookup("not-listed.invalid", (e, a) => r(e ? e.code : a)));
  out.otherPort = await fetch("https://graph.microsoft.com:8443/v1.0/me", { signal: AbortSignal.timeout(3000) }).then((r) => r.status, (e) => "not mapped");
  console.log(JSON.stringify(out));
})();
`;

test("fetch and node:https reach the emulator under the listed names; DNS answers 127.0.0.1 for them only", async () => {
  const r = await node(PROBE, { ...nodeHostMapEnv(names, port()), NODE_EXTRA_CA_CERTS: caPath });
  expect(r.stderr).toBe("");
  expect(JSON.parse(r.stdout)).toEqual({
    fetchGraph: 401, // the emulator's Graph: no token
    httpsArm: 401,
    discovery: 200,
    lookup: "127.0.0.1",
    lookupAll: [{ address: "127.0.0.1", family: 4 }],
    promisesLookup: { address: "127.0.0.1", family: 4 },
    unlisted: "ENOTFOUND",
    otherPort: "not mapped",
  });
});

test("the certificate is still checked: without the run's CA the same request fails verification", async () => {
  const r = await node(PROBE, { ...nodeHostMapEnv(names, port()) });
  const out = JSON.parse(r.stdout) as Record<string, unknown>;
  expect(out.fetchGraph).toBe("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
  expect(out.httpsArm).toBe("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
});

test("without TEST_HOST_MAP the preload does nothing; a map to anything but loopback stops the process", async () => {
  const none = await node(`require("node:dns").lookup("graph.microsoft.com", (e, a) => console.log(e ? e.code : a))`, { NODE_OPTIONS: nodeHostMapEnv(names, port()).NODE_OPTIONS! });
  expect(none.stdout.trim()).not.toBe("127.0.0.1");
  const bad = await node("console.log('ran')", { ...nodeHostMapEnv(names, port()), TEST_HOST_MAP: "graph.microsoft.com=10.0.0.1:443" });
  expect(bad.code).not.toBe(0);
  expect(bad.stdout).toBe("");
  expect(bad.stderr).toContain('TEST_HOST_MAP must read "<name>,<name>=127.0.0.1:<port>"');
});
