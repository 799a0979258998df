/**
 * The shape DESIGN.md asks to keep, checked on every run: no import circles among the product's
 * modules and the emulator's (type-only imports included: a type two modules need lives in one
 * they both import), and no product module importing test support.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

const ROOT = path.resolve(__dirname, "..");
const SOURCE = /\.(ts|tsx)$/;
const TEST = /\.test\.(ts|tsx)$/;

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...sources(full));
    else if (SOURCE.test(name) && !TEST.test(name) && !name.endsWith(".d.ts")) out.push(full);
  }
  return out;
}

/** Files a module imports (relative and `@/` specifiers that resolve to a source file). */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
  const out: string[] = [];
  for (const { fileName } of importedFiles) {
    const base = fileName.startsWith("@/") ? path.join(ROOT, fileName.slice(2)) : fileName.startsWith(".") ? path.resolve(path.dirname(file), fileName) : undefined;
    if (!base) continue;
    const hit = [base, `${base}.ts`, `${base}.tsx`, path.join(base, "index.ts"), path.join(base, "index.tsx")].find((c) => SOURCE.test(c) && safeIsFile(c));
    if (hit) out.push(hit);
  }
  return out;
}

function safeIsFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Every cycle's members (strongly connected components of more than one module, or a self-import). */
export function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return found;
}

const PRODUCT = ["app", "lib", "components", "proxy.ts", "instrumentation.ts"];
const CHECKED = [...PRODUCT, "emulator", "cli"];

function graphOf(roots: string[]): Map<string, string[]> {
  const files = roots.flatMap((r) => {
    const full = path.join(ROOT, r);
    return statSync(full).isDirectory() ? sources(full) : [full];
  });
  return new Map(files.map((f) => [f, importsOf(f)]));
}

const rel = (f: string) => path.relative(ROOT, f);

describe("import graph", () => {
  it("finds a circle when there is one (the check itself)", () => {
    expect(cycles(new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]], ["d", ["a"]]]))).toEqual([["a", "b", "c"]]);
    expect(cycles(new Map([["a", ["b"]], ["b", []]]))).toEqual([]);
  });

  it("has no import circles in the app, lib, components, the emulator or the CLI (type-only imports included)", () => {
    const graph = graphOf(CHECKED);
    expect(graph.size).toBeGreaterThan(100);
    expect(cycles(graph).map((c) => c.map(rel))).toEqual([]);
  });

  it("keeps test support out of the product: no app, lib or components module imports test-support/", () => {
    const testSupport = path.join(ROOT, "test-support") + path.sep;
    const offenders = [...graphOf(PRODUCT)].flatMap(([file, deps]) => deps.filter((d) => d.startsWith(testSupport)).map((d) => `${rel(file)} -> ${rel(d)}`));
    expect(offenders).toEqual([]);
  });
});
