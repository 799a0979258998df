// Local PKI generation and the CLI entry point (ready line, signals, production refusal).
import { spawn } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ensureCertificates } from "./index";
import { REPO_ROOT } from "./test-support/harness";

describe("ensureCertificates", () => {
  test("creates a CA and a localhost server certificate once, with private keys readable only by the owner", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "emu-certs-"));
    // Concurrent first runs (parallel test workers) must agree on one set of files.
    const [a, b, c] = await Promise.all([ensureCertificates(dir), ensureCertificates(dir), ensureCertificates(dir)]);
    expect(a).toEqual(b);
    expect(b).toEqual(c);
    const ca = new X509Certificate(readFileSync(a.caCertPath));
    const server = new X509Certificate(readFileSync(a.serverCertPath));
    expect(ca.ca).toBe(true);
    expect(server.checkIssued(ca)).toBe(true);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.subjectAltName).toContain("DNS:localhost");
    expect(server.subjectAltName).toContain("IP Address:127.0.0.1");
    expect(server.subjectAltName).toMatch(/IP Address:(::1|0:0:0:0:0:0:0:1)/);
    for (const key of [a.caKeyPath, a.serverKeyPath, a.apiClientKeyPath, a.signingKeyPath]) {
      expect(statSync(key).mode & 0o777).toBe(0o600);
    }
    const before = readFileSync(a.caCertPath, "utf8");
    const serverBefore = readFileSync(a.serverCertPath, "utf8");
    await ensureCertificates(dir);
    expect(readFileSync(a.caCertPath, "utf8")).toBe(before);
    expect(readFileSync(a.serverCertPath, "utf8")).toBe(serverBefore);

    // A damaged server certificate is replaced; the trusted CA is kept.
    writeFileSync(a.serverCertPath, "garbage");
    await ensureCertificates(dir);
    expect(readFileSync(a.caCertPath, "utf8")).toBe(before);
    expect(new X509Certificate(readFileSync(a.serverCertPath)).checkIssued(ca)).toBe(true);
  });
});

function runCli(env: Record<string, string>): { child: ReturnType<typeof spawn>; lines: string[]; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(path.join(REPO_ROOT, "node_modules", ".bin", "tsx"), ["emulator/main.ts"], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  let err = "";
  let buf = "";
  child.stdout?.on("data", (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split("\n");
    buf = parts.pop() ?? "";
    lines.push(...parts);
  });
  child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, lines, stderr: () => err, exited };
}

describe("emulator/main.ts", () => {
  test("prints one ready line after writing tenant.json and stops cleanly on SIGTERM", async () => {
    const tenantFile = path.join(mkdtempSync(path.join(tmpdir(), "emu-cli-")), "tenant.json");
    const run = runCli({ EMULATOR_PORT: "0", EMULATOR_TENANT_FILE: tenantFile, NODE_ENV: "development" });
    const deadline = Date.now() + 20_000;
    while (run.lines.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const line = run.lines[0] ?? "";
    const m = /^identity emulator ready: (https:\/\/localhost:\d+) \(tenant file: (\/.+)\)$/.exec(line);
    expect(m).not.toBeNull();
    expect(m?.[2]).toBe(tenantFile);
    expect(existsSync(tenantFile)).toBe(true);
    const tenant = JSON.parse(readFileSync(tenantFile, "utf8")) as { authorityHost: string; control: { secret: string } };
    expect(tenant.authorityHost).toBe(m?.[1]);
    expect(statSync(tenantFile).mode & 0o777).toBe(0o600);
    expect((await fetch(`${m?.[1]}/_health`)).status).toBe(200);
    run.child.kill("SIGTERM");
    expect(await run.exited).toBe(0);
    expect(run.lines.filter((l) => l.trim())).toHaveLength(1);
  }, 30_000);

  test("refuses to start with NODE_ENV=production", async () => {
    const run = runCli({ EMULATOR_PORT: "0", NODE_ENV: "production" });
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toContain("refusing to start with NODE_ENV=production");
    expect(run.lines.filter((l) => l.trim())).toHaveLength(0);
  }, 30_000);
});
