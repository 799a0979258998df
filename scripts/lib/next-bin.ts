import { existsSync } from "node:fs";
import path from "node:path";

/** A package binary from node_modules/.bin, so launchers never depend on a global install. */
export function localBin(name: string): string {
  const suffix = process.platform === "win32" ? ".cmd" : "";
  const candidate = path.resolve("node_modules", ".bin", name + suffix);
  return existsSync(candidate) ? candidate : name;
}
