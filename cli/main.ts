/**
 * Entry point: `npm run cli -- <command>` (tsx cli/main.ts) or the package's bin (cli/bin.cjs).
 *
 * This is the only module in cli/ that touches process globals: it loads .env files the way Next.js
 * does, snapshots the environment, wires Ctrl-C to an AbortSignal and exits with runCli's code.
 */
import path from "node:path";
import { loadEnvConfig } from "@next/env";
import { runCli } from "./app";

const projectRoot = path.resolve(__dirname, "..");

// .env.local (and .env.development*, .env) exactly as `next dev` reads them; quiet, since stdout
// may be JSON. NODE_ENV=test skips .env.local, as Next.js does.
loadEnvConfig(projectRoot, true, {
  info: () => undefined,
  error: (message: unknown) => process.stderr.write(`${String(message)}\n`),
});

// `npm run cli -- users ... | head`: the reader went away; that is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(0);
    throw e;
  });
}

const controller = new AbortController();
let interrupts = 0;
process.on("SIGINT", () => {
  interrupts += 1;
  if (interrupts > 1) process.exit(130); // a second Ctrl-C does not wait for anything
  controller.abort();
});

void runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: { ...process.env },
  projectRoot,
  signal: controller.signal,
}).then((code) => {
  // Exit explicitly: a cancelled device code poll may still be sleeping inside MSAL. Flush first.
  process.stdout.write("", () => process.exit(code));
});
