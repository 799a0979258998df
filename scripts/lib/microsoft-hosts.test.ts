/**
 * The Microsoft-host runs' CA and clean-up (issue #20 §1): a CA that can vouch only for the cloud's
 * exact host names, kept in a temporary folder that is gone after the run however it ends, and a
 * check that nothing of it reaches the product's build.
 */
import { execFileSync, spawn } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import tls from "node:tls";
import { createNameConstrainedCa, issueServerCertificate, type PemPair } from "../../emulator";
import { parseConfig } from "../../lib/config/parse";
import { createMicrosoftHostsRun, findTestOnlyMaterial, hostResolverRules, microsoftHostsAppEnv, nodeHostMapEnv } from "./microsoft-hosts";

const PUBLIC_NAMES = ["login.microsoftonline.com", "graph.microsoft.com", "management.azure.com"];

/** What Node's TLS (OpenSSL) says about a server presenting `leaf` for `name` to a client that trusts only `caPem`. */
async function tlsVerdict(leaf: PemPair, caPem: string, name: string): Promise<string> {
  const server = tls.createServer({ cert: leaf.certPem, key: leaf.keyPem }, (socket) => socket.end());
  const sockets = new Set<Socket>();
  server.on("connection", (s) => sockets.add(s));
  server.on("tlsClientError", () => undefined);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    return await new Promise<string>((resolve) => {
      const socket = tls.connect({ host: "127.0.0.1", port: (server.address() as AddressInfo).port, ca: [caPem], servername: name }, () => {
        socket.end();
        resolve("trusted");
      });
      socket.on("error", (e) => resolve(e.message));
    });
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
}

describe("the run's CA", () => {
  test("has critical name constraints for exactly the cloud's host names; TLS refuses any other name it signs", async () => {
    const ca = await createNameConstrainedCa("CN=test", PUBLIC_NAMES, 3600_000);
    // the extension, as OpenSSL prints it
    const dir = mkdtempSync(path.join(tmpdir(), "mh-ca-"));
    writeFileSync(path.join(dir, "ca.pem"), ca.certPem);
    const printed = execFileSync("openssl", ["x509", "-in", path.join(dir, "ca.pem"), "-noout", "-ext", "nameConstraints,basicConstraints"]).toString();
    rmSync(dir, { recursive: true, force: true });
    expect(printed).toMatch(/X509v3 Name Constraints: critical/);
    expect(printed.match(/DNS:[^\s,]+/g)).toEqual(PUBLIC_NAMES.map((n) => `DNS:${n}`));
    expect(printed).not.toMatch(/Excluded|IP:/);
    expect(printed).toMatch(/CA:TRUE, pathlen:0/);

    expect(await tlsVerdict(await issueServerCertificate(ca, PUBLIC_NAMES), ca.certPem, "graph.microsoft.com")).toBe("trusted");
    // Signed by the same key, for a name outside the constraints: refused by the chain check itself.
    for (const other of ["microsoft.com", "www.microsoft.com", "login.live.com", "evil.example", "microsoftonline.com"]) {
      expect({ other, verdict: await tlsVerdict(await issueServerCertificate(ca, [other]), ca.certPem, other) }).toEqual({ other, verdict: "permitted subtree violation" });
    }
    // RFC 5280: a dNSName constraint also permits the names below it. So the run lists exact hosts,
    // never a parent domain: only names under login.microsoftonline.com & co. could ever pass.
    expect(await tlsVerdict(await issueServerCertificate(ca, ["x.graph.microsoft.com"]), ca.certPem, "x.graph.microsoft.com")).toBe("trusted");
  });

  test("lives one day, in a temporary folder, with no private key on disk", async () => {
    const run = await createMicrosoftHostsRun("usgov");
    try {
      expect(run.names).toEqual(["login.microsoftonline.us", "graph.microsoft.us", "management.usgovcloudapi.net", "login.microsoftonline.com"]);
      expect(run.dir.startsWith(tmpdir())).toBe(true);
      const ca = new X509Certificate(readFileSync(run.caPath));
      const hours = (Date.parse(ca.validTo) - Date.now()) / 3600_000;
      expect(hours).toBeGreaterThan(23);
      expect(hours).toBeLessThanOrEqual(24);
      expect(new X509Certificate(run.leaf.certPem).checkIssued(ca)).toBe(true);
      expect(readdirSync(run.dir)).toEqual(["microsoft-hosts-ca.pem"]);
      expect(readFileSync(run.caPath, "utf8")).not.toMatch(/PRIVATE KEY/);
    } finally {
      run.cleanup();
    }
    expect(existsSync(run.dir)).toBe(false);
  });
});

describe("the run's folder is deleted however the run ends", () => {
  /** A child process that makes a run, prints its folder, then does `then`. */
  function child(then: "exit" | "throw" | "wait"): { dir: Promise<string>; exited: Promise<number | null>; kill: (s: NodeJS.Signals) => void } {
    const scriptDir = mkdtempSync(path.join(tmpdir(), "mh-child-"));
    const script = path.join(scriptDir, "child.ts");
    writeFileSync(
      script,
      `const { createMicrosoftHostsRun } = require(${JSON.stringify(path.resolve(__dirname, "microsoft-hosts.ts"))});
       createMicrosoftHostsRun("public").then((run) => {
         console.log("DIR " + run.dir);
         if (${JSON.stringify(then)} === "throw") setTimeout(() => { throw new Error("a failing run"); }, 50);
         else if (${JSON.stringify(then)} === "exit") setTimeout(() => process.exit(3), 50);
         else setInterval(() => undefined, 1000);
       });`,
    );
    const proc = spawn(process.execPath, ["--import", "tsx", script], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const dir = new Promise<string>((resolve, reject) => {
      proc.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /DIR (\S+)/.exec(out);
        if (m?.[1]) resolve(m[1]);
      });
      proc.on("exit", () => reject(new Error(`child exited before printing its folder: ${out}`)));
    });
    dir.catch(() => undefined);
    const exited = new Promise<number | null>((resolve) =>
      proc.on("exit", (code, signal) => {
        rmSync(scriptDir, { recursive: true, force: true });
        resolve(code ?? (signal ? -1 : null));
      }),
    );
    return { dir, exited, kill: (s) => proc.kill(s) };
  }

  test.each(["exit", "throw"] as const)("when the process ends (%s)", async (then) => {
    const c = child(then);
    const dir = await c.dir;
    await c.exited;
    expect(existsSync(dir)).toBe(false);
  });

  test.each(["SIGINT", "SIGTERM"] as const)("when it is interrupted (%s)", async (signal) => {
    const c = child("wait");
    const dir = await c.dir;
    expect(existsSync(dir)).toBe(true);
    c.kill(signal);
    expect(await c.exited).toBe(signal === "SIGINT" ? 130 : 143);
    expect(existsSync(dir)).toBe(false);
  });
});

describe("nothing of the run reaches the product", () => {
  test("findTestOnlyMaterial finds the preload, its variable, the browser flag and the run's CA, and nothing in a clean build", async () => {
    const run = await createMicrosoftHostsRun("public");
    const dir = mkdtempSync(path.join(tmpdir(), "mh-standalone-"));
    try {
      mkdirSync(path.join(dir, ".next", "server"), { recursive: true });
      writeFileSync(path.join(dir, "server.js"), "require('next'); // the product");
      expect(findTestOnlyMaterial(dir, readFileSync(run.caPath, "utf8"))).toEqual([]);
      const planted = {
        "a.js": "process.env.TEST_HOST_MAP",
        ".next/server/b.js": "require('../scripts/lib/test-host-map.cjs')",
        "c.json": `{"ca":${JSON.stringify(readFileSync(run.caPath, "utf8"))}}`,
      };
      for (const [file, text] of Object.entries(planted)) writeFileSync(path.join(dir, file), text);
      const found = findTestOnlyMaterial(dir, readFileSync(run.caPath, "utf8")).map((h) => h.file);
      expect(new Set(found)).toEqual(new Set(Object.keys(planted)));
    } finally {
      run.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the mapping is spelled once, for Node and for Chromium, loopback only", () => {
    const env = nodeHostMapEnv(PUBLIC_NAMES, 41234, "--max-old-space-size=512");
    expect(env.NODE_OPTIONS).toMatch(/^--max-old-space-size=512 --require ".*\/scripts\/lib\/test-host-map\.cjs"$/);
    expect(env.TEST_HOST_MAP).toBe("login.microsoftonline.com,graph.microsoft.com,management.azure.com=127.0.0.1:41234");
    expect(hostResolverRules(PUBLIC_NAMES, 41234)).toBe(
      "MAP login.microsoftonline.com:443 127.0.0.1:41234, MAP graph.microsoft.com:443 127.0.0.1:41234, MAP management.azure.com:443 127.0.0.1:41234",
    );
  });

  test("the app's configuration is a production one: the Microsoft sign-in host, Graph and ARM left to their defaults, tenant mode", () => {
    const tenant = {
      tenantId: "t",
      secondTenantId: "f",
      apps: { spa: { clientId: "s" }, api: { clientId: "a", clientSecret: "x", scope: "api://a/access_as_user" }, web: { clientId: "w", clientSecret: "y" }, cli: { clientId: "c" } },
      microsoftHosts: { authorityHost: "https://login.microsoftonline.us", graphBaseUrl: "", armBaseUrl: "", names: [] },
    } as unknown as Parameters<typeof microsoftHostsAppEnv>[0];
    const env = microsoftHostsAppEnv(tenant, "p".repeat(32));
    expect(env.AZURE_AUTHORITY_HOST).toBe("https://login.microsoftonline.us");
    for (const unset of ["IDENTITY_MODE", "GRAPH_BASE_URL", "ARM_BASE_URL", "GRAPH_SCOPES", "ARM_SCOPES", "AZURE_TOKEN_EXCHANGE_AUDIENCE", "EMULATOR_TENANT_FILE"]) expect(env[unset]).toBe("");
    expect(Object.values(env).join(" ")).not.toMatch(/localhost|127\.0\.0\.1/);
  });

  test("a production start accepts it as it is, and it sets up authorization as the emulator's tenant is (roles, the directory group, step-up c1)", () => {
    const tenant = {
      tenantId: "566bf9d7-c55a-45f8-91a6-e55e9b9b1325",
      secondTenantId: "5d96cf7f-265b-4da9-8f0c-26ef4243ed52",
      apps: {
        spa: { clientId: "11111111-1111-4111-8111-111111111111" },
        api: { clientId: "22222222-2222-4222-8222-222222222222", clientSecret: "x".repeat(40), scope: "api://22222222-2222-4222-8222-222222222222/access_as_user" },
        web: { clientId: "33333333-3333-4333-8333-333333333333", clientSecret: "y".repeat(40) },
        cli: { clientId: "44444444-4444-4444-8444-444444444444" },
      },
      authorization: { appRoles: [], directoryGroupId: "55555555-5555-4555-8555-555555555555", authenticationContexts: [{ id: "c1", displayName: "Require MFA" }] },
      microsoftHosts: { authorityHost: "https://login.microsoftonline.com", graphBaseUrl: "", armBaseUrl: "", names: [] },
    } as unknown as Parameters<typeof microsoftHostsAppEnv>[0];
    const env = { ...microsoftHostsAppEnv(tenant, "p".repeat(32)), NODE_ENV: "production", APP_BASE_URL: "http://localhost:3100" };
    const config = parseConfig(env, () => "", { heapLimitMb: 2048 });
    expect(config.authorization).toMatchObject({
      rolesEnforced: true,
      views: {
        directory: { groupIds: ["55555555-5555-4555-8555-555555555555"] },
        subscriptions: { authContext: "c1" },
      },
    });
  });
});
