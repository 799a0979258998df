/**
 * `npm start`: runs the standalone server the way Azure App Service does (PORT from the
 * environment, .env files loaded by @next/env). Configuration is validated by
 * instrumentation.ts when the server starts; a bad value stops it with a message.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

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
await import(pathToFileURL(server).href);
