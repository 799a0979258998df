#!/usr/bin/env node
/**
 * Fails when package-lock.json cannot install this project reproducibly on every platform:
 *
 * 1. Platform completeness: every optional dependency of every locked package (the per-platform
 *    binaries of next, esbuild, @parcel/watcher, unrs-resolver, ...) has its own lock entry. A lock
 *    written on one OS without them is rewritten by `npm install` elsewhere and refused by `npm ci`.
 * 2. Sync with package.json: the lock's root entry declares exactly package.json's dependencies, and
 *    `npm ci --dry-run --offline` (npm's own check, no network, nothing written) accepts the pair.
 *
 * Usage: node scripts/check-lockfile.mjs [--lock <path>] [--package <path>] [--json]
 * Exit codes: 0 ok, 1 problems found, 2 usage error.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DEPENDENCY_FIELDS = ["dependencies", "devDependencies", "optionalDependencies", "peerDependencies"];

/**
 * Where Node (and npm) would find `name` when required from the package installed at `from`:
 * `from/node_modules/name`, then each ancestor's node_modules, up to the root.
 */
function resolveInLock(packages, from, name) {
  let dir = from;
  for (;;) {
    const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!dir) return undefined;
    const parent = dir.lastIndexOf("/node_modules/");
    dir = parent === -1 ? "" : dir.slice(0, parent);
  }
}

/** Problems with the lock file's content alone (no npm run). Exported for the tests. */
export function lockProblems(lock, pkg) {
  const problems = [];
  const packages = lock.packages;
  if (lock.lockfileVersion < 2 || !packages || typeof packages !== "object") {
    return [`lockfileVersion ${lock.lockfileVersion}: expected 2 or 3 with a "packages" map (npm 7+)`];
  }
  const root = packages[""] ?? {};
  for (const field of DEPENDENCY_FIELDS) {
    const want = pkg[field] ?? {};
    const have = root[field] ?? {};
    for (const name of new Set([...Object.keys(want), ...Object.keys(have)])) {
      if (want[name] !== have[name]) {
        problems.push(`${field}.${name}: package.json says ${want[name] ?? "(absent)"}, the lock file ${have[name] ?? "(absent)"}`);
      }
    }
  }
  for (const [location, entry] of Object.entries(packages)) {
    if (location === "" || entry.link) continue;
    for (const name of Object.keys(entry.optionalDependencies ?? {})) {
      if (!resolveInLock(packages, location, name)) {
        problems.push(`${name}: optional dependency of ${entry.name ?? location.replace(/^.*node_modules\//, "")} has no lock entry (a platform's binary is missing)`);
      }
    }
  }
  return problems;
}

/** npm's own verdict: `npm ci` refuses a lock out of sync with package.json. Offline, in a scratch folder. */
function npmCiProblems(lockPath, pkgPath) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "check-lockfile-"));
  try {
    copyFileSync(pkgPath, path.join(dir, "package.json"));
    copyFileSync(lockPath, path.join(dir, "package-lock.json"));
    execFileSync("npm", ["ci", "--dry-run", "--offline", "--ignore-scripts", "--no-audit", "--no-fund"], {
      cwd: dir,
      stdio: ["ignore", "pipe", "pipe"],
      encoding: "utf8",
    });
    return [];
  } catch (error) {
    const stderr = String(error.stderr ?? error.message);
    const lines = stderr.split("\n").map((l) => l.replace(/^npm error\s*/, "").trim());
    const missing = lines.filter((l) => /^(Missing|Invalid):/.test(l));
    // Offline, a range the lock cannot satisfy sends npm to the registry, which --offline refuses.
    const unresolved = /request to \S+\/([^/\s]+) failed: cache mode is 'only-if-cached'/.exec(stderr);
    if (missing.length === 0 && unresolved) {
      return [`npm ci: the lock file has no version of ${decodeURIComponent(unresolved[1])} that package.json accepts`];
    }
    return missing.length > 0 ? missing.map((l) => `npm ci: ${l}`) : [`npm ci --dry-run refused the lock file: ${lines.filter(Boolean).slice(0, 3).join(" ")}`];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function usage(message) {
  process.stderr.write(`${message}\nusage: node scripts/check-lockfile.mjs [--lock <path>] [--package <path>] [--json]\n`);
  process.exit(2);
}

function main(argv) {
  let lockPath = path.join(ROOT, "package-lock.json");
  let pkgPath = path.join(ROOT, "package.json");
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--json") json = true;
    else if (arg === "--lock" || arg === "--package") {
      const value = argv[++i];
      if (!value) usage(`${arg} needs a path`);
      if (arg === "--lock") lockPath = path.resolve(value);
      else pkgPath = path.resolve(value);
    } else usage(`unknown argument: ${arg}`);
  }
  let lock, pkg;
  try {
    lock = JSON.parse(readFileSync(lockPath, "utf8"));
    pkg = JSON.parse(readFileSync(pkgPath, "utf8"));
  } catch (error) {
    process.stderr.write(`check-lockfile: cannot read ${error.path ?? "the lock file or package.json"}: ${error.message}\n`);
    process.exit(1);
  }
  const own = lockProblems(lock, pkg);
  // npm names the same missing packages as "Missing: name@version"; say each one once.
  const named = (problem) => own.some((p) => problem.includes(` ${p.split(":")[0]}@`));
  const problems = [...own, ...npmCiProblems(lockPath, pkgPath).filter((p) => !named(p))];
  if (json) process.stdout.write(`${JSON.stringify({ ok: problems.length === 0, problems }, null, 2)}\n`);
  else if (problems.length === 0) process.stdout.write(`check-lockfile: ${path.relative(process.cwd(), lockPath) || lockPath} is complete for every platform and in sync with package.json\n`);
  else {
    process.stderr.write(`check-lockfile: ${problems.length} problem(s) in ${lockPath}:\n${problems.map((p) => `  - ${p}`).join("\n")}\n`);
    process.stderr.write("Fix: npm install --package-lock-only (adds every platform's optional packages), then commit package-lock.json.\n");
  }
  process.exit(problems.length === 0 ? 0 : 1);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) main(process.argv.slice(2));
