/**
 * `next build` with output: "standalone" leaves .next/static and public/ out of the standalone
 * folder (a CDN is expected to serve them). App Service serves them from the app, so copy them in.
 */
import { cpSync, existsSync } from "node:fs";
import path from "node:path";

const standalone = path.resolve(".next", "standalone");
if (!existsSync(standalone)) {
  console.error("copy-standalone-assets: .next/standalone is missing; is output: 'standalone' set?");
  process.exit(1);
}
cpSync(path.resolve(".next", "static"), path.join(standalone, ".next", "static"), { recursive: true });
if (existsSync("public")) cpSync(path.resolve("public"), path.join(standalone, "public"), { recursive: true });
console.log("standalone: copied .next/static and public/");
