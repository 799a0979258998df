/**
 * A private copy of the production build for one benchmark run. The shared `.next/standalone`
 * may be rebuilt by someone else while we measure (route modules load lazily, so a rebuild would
 * break the server under load); builds and the copy happen under the repository's build lock
 * (/tmp/next-build.lock), the measurements then run from the copy.
 *
 * The copy is laid out like the repository (package.json, scripts/start.mjs and the heap rule it
 * imports, .next/standalone),
 * so `npm start` works in it exactly as in the checkout (that is what cold start measures).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

export const BUILD_LOCK = "/tmp/next-build.lock";
const ROOT = process.cwd();
const BUILD_ID = path.join(ROOT, ".next", "standalone", ".next", "BUILD_ID");
/** What a production build is made from; a newer file here means the build is stale. */
const SOURCES = ["app", "lib", "components", "proxy.ts", "instrumentation.ts", "next.config.mjs", "package-lock.json", "tsconfig.json"];

function newestMtime(p: string): number {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(p)) {
    if (entry === "node_modules" || entry.startsWith(".")) continue;
    newest = Math.max(newest, newestMtime(path.join(p, entry)));
  }
  return newest;
}

/** True when there is no standalone build or a source file is newer than it. */
export function buildIsStale(): boolean {
  if (!existsSync(BUILD_ID)) return true;
  const built = statSync(BUILD_ID).mtimeMs;
  return SOURCES.some((s) => newestMtime(path.join(ROOT, s)) > built);
}

const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

/**
 * Builds (when `build` is true) and copies the build into `dest`, holding the build lock.
 * Returns the build id.
 */
export function snapshotBuild(dest: string, build: boolean): string {
  const script = [
    "set -e",
    build ? "npm run build" : `test -f ${q(BUILD_ID)} || { echo 'no production build: run npm run build' >&2; exit 1; }`,
    `rm -rf ${q(dest)}`,
    `mkdir -p ${q(path.join(dest, ".next"))} ${q(path.join(dest, "scripts", "lib"))}`,
    `cp -a ${q(path.join(ROOT, ".next", "standalone"))} ${q(path.join(dest, ".next", "standalone"))}`,
    `if [ -d ${q(path.join(ROOT, ".next", "diagnostics"))} ]; then cp -a ${q(path.join(ROOT, ".next", "diagnostics"))} ${q(path.join(dest, ".next", "diagnostics"))}; fi`,
    `cp ${q(path.join(ROOT, "package.json"))} ${q(dest)}/`,
    `cp ${q(path.join(ROOT, "scripts", "start.mjs"))} ${q(path.join(dest, "scripts"))}/`,
    `cp ${q(path.join(ROOT, "scripts", "lib", "heap.mjs"))} ${q(path.join(dest, "scripts", "lib"))}/`,
  ].join("\n");
  const res = spawnSync("flock", ["-w", "1800", BUILD_LOCK, "sh", "-c", script], { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] });
  if (res.status !== 0) throw new Error(`building/copying the standalone app failed (exit ${res.status ?? res.signal})`);
  return readFileSync(path.join(dest, ".next", "standalone", ".next", "BUILD_ID"), "utf8").trim();
}
