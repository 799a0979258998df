import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * `npm run dev` with a half-filled or malformed .env.local stops at once, before starting
 * anything, with one message naming every bad variable and never printing a secret.
 */
const ROOT = path.resolve(__dirname, "..");
const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");
const SECRET = "this-client-secret-must-never-be-printed";

function runDevIn(envLocal: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "dev-config-"));
  try {
    writeFileSync(path.join(dir, ".env.local"), envLocal);
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: "development" };
    return spawnSync(TSX, [path.join(ROOT, "scripts", "dev.ts")], { cwd: dir, env, encoding: "utf8", timeout: 20_000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("a malformed .env.local stops `npm run dev` with every bad variable named", () => {
  const result = runDevIn(
    [
      "AZURE_TENANT_ID=11111111-2222-4333-8444-555555555555",
      "AZURE_SPA_CLIENT_ID=my-spa",
      "AZURE_API_CLIENT_ID=aaaaaaaa-0000-4000-8000-000000000002",
      `AZURE_API_CLIENT_SECRET=${SECRET}`,
      "SESSION_PASSWORD=short",
      "GRAPH_BASE_URL=http://graph.microsoft.com/v1.0",
    ].join("\n"),
  );
  expect(result.status).toBe(1);
  expect(result.stderr).toContain("Configuration is invalid (3 problems)");
  for (const variable of ["AZURE_SPA_CLIENT_ID", "SESSION_PASSWORD", "GRAPH_BASE_URL"]) expect(result.stderr).toContain(variable);
  expect(result.stderr + result.stdout).not.toContain(SECRET);
  expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(result.stdout).not.toContain("Next.js"); // next dev never started
});

test("a half-filled .env.local names what is missing", () => {
  const result = runDevIn("AZURE_TENANT_ID=contoso.onmicrosoft.com\n");
  expect(result.status).toBe(1);
  for (const variable of ["AZURE_SPA_CLIENT_ID", "AZURE_API_CLIENT_ID", "AZURE_API_CLIENT_SECRET", "SESSION_PASSWORD"]) {
    expect(result.stderr).toContain(`  - ${variable}: `);
  }
});
