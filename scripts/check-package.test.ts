/**
 * infra/scripts/check-package.mjs, the last check before the standalone build is zipped and
 * deployed (CI, azd's postpackage hook, `npm run test:e2e:deployed:offline`): local configuration,
 * key material and the emulator's state folder fail it at any depth (issue #22 §4 finding 5).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const SCRIPT = path.join(ROOT, "infra", "scripts", "check-package.mjs");

/** A package with what a deployable standalone build must have, plus `extra` files (relative path -> content). */
function packageWith(extra: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "check-package-"));
  const files: Record<string, string> = {
    "server.js": "",
    ".next/BUILD_ID": "build",
    ".next/static/chunks/app.js": "",
    "node_modules/next/package.json": "{}",
    "public/icon.svg": "",
    ...extra,
  };
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

function check(dir: string): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, [SCRIPT, dir], { cwd: ROOT, encoding: "utf8" });
  return { status: r.status, output: r.stdout + r.stderr };
}

describe("check-package", () => {
  const made: string[] = [];
  const pkg = (extra?: Record<string, string>) => {
    const dir = packageWith(extra);
    made.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });

  it("passes a complete package, example files included", () => {
    const r = check(pkg({ "node_modules/some-lib/.env.example": "X=" }));
    expect(r.output).toContain("is deployable");
    expect(r.status).toBe(0);
  });

  it.each([
    ["the emulator's state folder deep in node_modules", { "node_modules/some-lib/.emulator/ca-key.pem": "key" }, "node_modules/some-lib/.emulator/"],
    ["an empty .emulator folder next to the server code", { ".next/server/.emulator/.keep": "" }, ".next/server/.emulator/"],
    ["a PEM file in a nested folder", { ".next/server/app/server.pem": "cert" }, ".next/server/app/server.pem"],
    ["a private key file", { "node_modules/a/b/c/tls.key": "key" }, "node_modules/a/b/c/tls.key"],
    ["a nested .env.production", { "apps/web/.env.production": "AZURE_API_CLIENT_SECRET=x" }, "apps/web/.env.production"],
    ["a .env at the root", { ".env": "SESSION_PASSWORD=x" }, ".env"],
  ])("fails on %s, naming it", (_label, extra, named) => {
    const r = check(pkg(extra));
    expect(r.status).toBe(1);
    expect(r.output).toContain("is not deployable");
    expect(r.output).toContain(`  - ${named}`);
  });
});
