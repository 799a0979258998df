#!/usr/bin/env node
/**
 * Checks the folder that is deployed to App Service (the contents of .next/standalone) before it
 * is zipped and shipped: the server must be able to start from it alone, and it must not carry
 * local configuration or keys. Used by azure.yaml (postpackage hook) and the GitHub workflow.
 *
 *   node infra/scripts/check-package.mjs [folder=.next/standalone]
 *
 * Exit code 0: deployable. 1: what is wrong is printed, one line per problem.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

const dir = path.resolve(process.argv[2] ?? ".next/standalone");
const problems = [];
const need = (rel, why) => {
  if (!existsSync(path.join(dir, rel))) problems.push(`missing ${rel}: ${why}`);
};

if (!existsSync(dir)) {
  console.error(`check-package: ${dir} does not exist: run \`npm run build\` first.`);
  process.exit(1);
}
need("server.js", "the startup command runs `node server.js` in the package root (is output: 'standalone' set, and is the tracing root the repository?)");
need(".next/BUILD_ID", "not a complete Next.js production build");
need("node_modules/next/package.json", "the standalone server needs its traced node_modules");
need(".next/static", "static assets were not copied in (scripts/copy-standalone-assets.mjs runs in `npm run build`)");
if (existsSync("public")) need("public", "public/ was not copied in (scripts/copy-standalone-assets.mjs)");

// Local configuration and key material never belong in the package, at any depth: App Service
// gets its configuration from app settings and Key Vault references. Next copies .env files into
// the standalone output, and its file tracing copies whatever a traced module reads (the emulator's
// state folder, .emulator/, holds its CA key and the API's client-credential key).
const forbiddenFile = /^(\.env(\..*)?|.*\.(pem|key|pfx|p12))$/i;
const forbiddenDir = /^\.emulator$/;
let files = 0;
let bytes = 0;
const walk = (d) => {
  for (const entry of readdirSync(d, { withFileTypes: true })) {
    const full = path.join(d, entry.name);
    const shown = path.relative(dir, full);
    if (entry.isDirectory()) {
      if (forbiddenDir.test(entry.name)) {
        problems.push(`${shown}/ is in the package: the identity emulator's state (its CA key, client credentials) never ships; remove it and whatever copied it there`);
        continue;
      }
      walk(full);
      continue;
    }
    // Files and symbolic links alike (zip -y ships a link as a link).
    if (forbiddenFile.test(entry.name) && !entry.name.endsWith(".example")) {
      problems.push(`${shown} is in the package: remove it (App Service reads configuration from app settings; Next copies .env and .env.production into the standalone output)`);
    }
    if (entry.isFile()) {
      files += 1;
      bytes += statSync(full).size;
    }
  }
};
walk(dir);

if (problems.length > 0) {
  console.error(`check-package: ${path.relative(process.cwd(), dir) || dir} is not deployable:`);
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}

console.log(`check-package: ${path.relative(process.cwd(), dir) || dir} is deployable (${files} files, ${(bytes / 1048576).toFixed(1)} MiB)`);
