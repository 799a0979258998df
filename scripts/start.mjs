/**
 * `npm start`: runs the standalone server the way Azure App Service does (PORT from the
 * environment, .env files loaded by @next/env). Configuration is validated by
 * instrumentation.ts when the server starts; a bad value stops it with a message.
 *
 * The server runs under the heap-limit rule (scripts/lib/heap.mjs) unless node was given one
 * (`--max-old-space-size` on the command line or in NODE_OPTIONS): a heap sized from the memory
 * this instance has (APP_MEMORY_MB, else the container's limit, else the machine's), or
 * NODE_HEAP_LIMIT_MB. V8 reads the limit only when it starts, so this process starts the server
 * as a child with the flag and passes signals and the exit code through.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import os from "node:os";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { HeapConfigError, hasHeapFlag, heapFlags, heapLimitFromEnvironment } from "./lib/heap.mjs";

// @next/env is CommonJS without named ESM exports.
const { loadEnvConfig } = createRequire(import.meta.url)("@next/env");
const server = path.resolve(".next", "standalone", "server.js");
if (!existsSync(server)) {
  console.error("No production build found: run `npm run build` first.");
  process.exit(1);
}
loadEnvConfig(process.cwd(), false);
// Linux shells export HOSTNAME (the machine name); Next would bind to it instead of all interfaces.
process.env.HOSTNAME = process.env.BIND_HOST ?? "0.0.0.0";
process.env.PORT ??= "3000";

let heap = { limitMb: null };
if (!hasHeapFlag(process.execArgv, process.env.NODE_OPTIONS)) {
  try {
    heap = heapLimitFromEnvironment(process.env);
  } catch (e) {
    if (!(e instanceof HeapConfigError)) throw e;
    console.error(`Configuration is invalid:\n  - ${e.message}`);
    process.exit(1);
  }
}

if (heap.limitMb === null) {
  await import(pathToFileURL(server).href);
} else {
  console.log(`[start] V8 heap limit ${heap.limitMb} MB (${heap.source})`);
  const child = spawn(process.execPath, [...process.execArgv, ...heapFlags(heap.limitMb), server], { stdio: "inherit", env: process.env });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
  // A server ended by a signal: exit as a shell reports it (128 + the signal's number).
  child.on("exit", (code, signal) => process.exit(signal ? 128 + (os.constants.signals[signal] ?? 0) : (code ?? 1)));
}
