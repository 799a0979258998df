/**
 * scripts/check-lockfile.mjs: the committed lock file passes, and each way a lock file breaks a
 * fresh `npm ci` (a platform's optional binary missing, package.json edited without the lock) is
 * caught. Each case runs the script as CI does, on a scratch copy with one mistake planted.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const SCRIPT = path.join(ROOT, "scripts", "check-lockfile.mjs");

interface Lock {
  packages: Record<string, { optionalDependencies?: Record<string, string>; [key: string]: unknown }>;
  [key: string]: unknown;
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(path.join(ROOT, file), "utf8")) as T;

let scratch: string;
beforeEach(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), "check-lockfile-test-"));
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

function check(lock: unknown, pkg: unknown) {
  const lockPath = path.join(scratch, "package-lock.json");
  const pkgPath = path.join(scratch, "package.json");
  writeFileSync(lockPath, JSON.stringify(lock, null, 2));
  writeFileSync(pkgPath, JSON.stringify(pkg, null, 2));
  const run = spawnSync(process.execPath, [SCRIPT, "--lock", lockPath, "--package", pkgPath, "--json"], { encoding: "utf8" });
  return { status: run.status, report: JSON.parse(run.stdout || "{}") as { ok: boolean; problems: string[] } };
}

test("the committed lock file is complete for every platform and in sync with package.json", () => {
  const { status, report } = check(readJson("package-lock.json"), readJson("package.json"));
  expect(report.problems).toEqual([]);
  expect(status).toBe(0);
});

test("every platform's next.js compiler binary is locked, not only this machine's", () => {
  const lock = readJson<Lock>("package-lock.json");
  const next = lock.packages["node_modules/next"];
  const platforms = Object.keys(next?.optionalDependencies ?? {});
  expect(platforms).toEqual(expect.arrayContaining(["@next/swc-darwin-arm64", "@next/swc-win32-x64-msvc", "@next/swc-linux-x64-gnu"]));
  for (const name of platforms) expect(lock.packages[`node_modules/${name}`]).toBeDefined();
});

test("a lock file written without another platform's optional binary fails, naming the package", () => {
  const lock = readJson<Lock>("package-lock.json");
  delete lock.packages["node_modules/@next/swc-darwin-arm64"];
  const { status, report } = check(lock, readJson("package.json"));
  expect(status).toBe(1);
  expect(report.problems).toEqual(expect.arrayContaining([expect.stringMatching(/^@next\/swc-darwin-arm64: optional dependency of next/)]));
});

test("a dependency added to package.json but not to the lock file fails", () => {
  const pkg = readJson<{ dependencies: Record<string, string> }>("package.json");
  pkg.dependencies["left-pad"] = "^1.3.0";
  const { status, report } = check(readJson("package-lock.json"), pkg);
  expect(status).toBe(1);
  expect(report.problems.join("\n")).toMatch(/dependencies\.left-pad: package\.json says \^1\.3\.0, the lock file \(absent\)/);
  // npm's own check agrees (npm ci would refuse the pair).
  expect(report.problems.join("\n")).toMatch(/npm ci: .*left-pad/);
});

test("a range changed in package.json that the locked version no longer satisfies fails", () => {
  const pkg = readJson<{ dependencies: Record<string, string> }>("package.json");
  pkg.dependencies.jose = "^5.0.0";
  const { status, report } = check(readJson("package-lock.json"), pkg);
  expect(status).toBe(1);
  expect(report.problems.join("\n")).toMatch(/dependencies\.jose: package\.json says \^5\.0\.0/);
  expect(report.problems.join("\n")).toMatch(/npm ci: .*jose/);
});

test("a bad flag prints usage and exits 2", () => {
  const run = spawnSync(process.execPath, [SCRIPT, "--nope"], { encoding: "utf8" });
  expect(run.status).toBe(2);
  expect(run.stderr).toMatch(/usage: node scripts\/check-lockfile\.mjs/);
});
