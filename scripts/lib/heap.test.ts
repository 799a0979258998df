/**
 * The heap-limit rule (scripts/lib/heap.mjs): the numbers, where the limit comes from, that
 * `npm start` really runs the server under it, and that App Service (infra/main.bicep) derives the
 * same limit from the plan SKU.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { HEAP_MAX_MB, HEAP_MIN_MB, HEAP_PERCENT, HeapConfigError, SEMI_SPACE_MB, PLAN_MEMORY_MB, SMALLEST_PLAN, hasHeapFlag, heapLimitFromEnvironment, heapLimitMb } from "./heap.mjs";

const ROOT = path.resolve(__dirname, "..", "..");

describe("heapLimitMb", () => {
  it.each([
    ["B1", 176],
    ["S1", 176],
    ["B2", 352],
    ["P0v3", 400],
    ["P1v3", 816],
    ["P2v3", 1632],
  ] as const)("plan %s → %i MB", (plan, mb) => {
    expect(heapLimitMb(PLAN_MEMORY_MB[plan])).toBe(mb);
  });

  it("stays within its bounds and on 16 MB steps", () => {
    expect(heapLimitMb(512)).toBe(HEAP_MIN_MB);
    expect(heapLimitMb(64 * 1024)).toBe(HEAP_MAX_MB);
    for (let mb = 256; mb <= 65_536; mb += 97) expect(heapLimitMb(mb) % 16).toBe(0);
  });
});

describe("heapLimitFromEnvironment", () => {
  const probes = { cgroupMemoryLimitMb: () => undefined, totalMemMb: () => 24_000 };

  it("takes NODE_HEAP_LIMIT_MB, then APP_MEMORY_MB, then the container's limit, then the machine's memory", () => {
    expect(heapLimitFromEnvironment({ NODE_HEAP_LIMIT_MB: "300", APP_MEMORY_MB: "1792" }, probes)).toEqual({ limitMb: 300, source: "NODE_HEAP_LIMIT_MB" });
    expect(heapLimitFromEnvironment({ APP_MEMORY_MB: "1792" }, probes).limitMb).toBe(176);
    expect(heapLimitFromEnvironment({}, { ...probes, cgroupMemoryLimitMb: () => 3584 }).limitMb).toBe(352);
    expect(heapLimitFromEnvironment({}, probes).limitMb).toBe(HEAP_MAX_MB);
    expect(heapLimitFromEnvironment({ NODE_HEAP_LIMIT_MB: "default" }, probes).limitMb).toBeNull();
  });

  it.each([
    ["NODE_HEAP_LIMIT_MB", "12"],
    ["NODE_HEAP_LIMIT_MB", "lots"],
    ["APP_MEMORY_MB", "1.75GB"],
  ])("refuses %s=%s, naming the variable", (name, value) => {
    expect(() => heapLimitFromEnvironment({ [name]: value }, probes)).toThrow(HeapConfigError);
    expect(() => heapLimitFromEnvironment({ [name]: value }, probes)).toThrow(new RegExp(`^${name}: `));
  });

  it("sees a limit given to node on the command line or in NODE_OPTIONS", () => {
    expect(hasHeapFlag(["--max-old-space-size=200"])).toBe(true);
    expect(hasHeapFlag([], "--enable-source-maps --max-old-space-size=512")).toBe(true);
    expect(hasHeapFlag(["--inspect"], "--enable-source-maps")).toBe(false);
  });
});

describe("npm start (scripts/start.mjs)", () => {
  let dir: string;
  beforeEach(() => {
    // A stand-in standalone build whose server reports the heap limit it runs under.
    dir = mkdtempSync(path.join(os.tmpdir(), "heap-start-"));
    mkdirSync(path.join(dir, ".next", "standalone"), { recursive: true });
    writeFileSync(
      path.join(dir, ".next", "standalone", "server.js"),
      'console.log("heap_size_limit_mb=" + Math.round(require("node:v8").getHeapStatistics().heap_size_limit / 1048576));\n',
    );
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const start = (env: Record<string, string>) =>
    spawnSync(process.execPath, [path.join(ROOT, "scripts", "start.mjs")], {
      cwd: dir,
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "", HOME: dir, NODE_ENV: "production", ...env },
    });
  const limitOf = (out: string) => Number(/heap_size_limit_mb=(\d+)/.exec(out)?.[1]);

  it("runs the server under the rule's limit for the instance's memory", () => {
    const run = start({ APP_MEMORY_MB: String(PLAN_MEMORY_MB[SMALLEST_PLAN]) });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("[start] V8 heap limit 176 MB (APP_MEMORY_MB=1792)");
    // heap_size_limit = old space + young generation (3 × the semi-space)
    expect(limitOf(run.stdout)).toBe(176 + 3 * SEMI_SPACE_MB);
  });

  it("leaves a limit given in NODE_OPTIONS alone", () => {
    const run = start({ NODE_OPTIONS: "--max-old-space-size=300", APP_MEMORY_MB: "1792" });
    expect(run.status).toBe(0);
    expect(run.stdout).not.toContain("[start]");
    expect(limitOf(run.stdout)).toBeGreaterThanOrEqual(300);
    expect(limitOf(run.stdout)).toBeLessThan(300 + 64);
  });

  it("stops with a message naming a bad variable, no stack trace", () => {
    const run = start({ NODE_HEAP_LIMIT_MB: "12" });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("NODE_HEAP_LIMIT_MB: expected a whole number of MB, at least 64");
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("App Service (infra/main.bicep) derives the same limit", () => {
  const bicep = readFileSync(path.join(ROOT, "infra", "main.bicep"), "utf8");

  it("with the same plan memory table, percentage and bounds", () => {
    const table = /var planMemoryMb = \{([^}]*)\}/.exec(bicep)?.[1] ?? "";
    const entries = Object.fromEntries([...table.matchAll(/(\w+):\s*(\d+)/g)].map((m) => [m[1], Number(m[2])]));
    expect(entries).toEqual(PLAN_MEMORY_MB);
    expect(Number(/var heapPercent = (\d+)/.exec(bicep)?.[1])).toBe(HEAP_PERCENT);
    expect(bicep).toContain(`min(${HEAP_MAX_MB}, max(${HEAP_MIN_MB}, planMemoryMb[appServicePlanSku] * heapPercent / 100 / 16 * 16))`);
    expect(Number(/var semiSpaceMb = (\d+)/.exec(bicep)?.[1])).toBe(SEMI_SPACE_MB);
    expect(bicep).toMatch(/name: 'NODE_OPTIONS', value: '--max-old-space-size=\$\{heapLimitMb\} --max-semi-space-size=\$\{semiSpaceMb\}'/);
  });

  it("for every plan the template allows", () => {
    const allowed = /@allowed\(\[([^\]]*)\]\)\s*param appServicePlanSku/.exec(bicep)?.[1] ?? "";
    const skus = [...allowed.matchAll(/'(\w+)'/g)].map((m) => m[1]);
    expect(skus.length).toBeGreaterThan(0);
    expect(skus.sort()).toEqual(Object.keys(PLAN_MEMORY_MB).sort());
  });
});
