import nextJest from "next/jest.js";

// next/jest wires SWC, tsconfig paths and .env loading the same way `next build` does.
const createJestConfig = nextJest({ dir: "./" });

/** @type {import('jest').Config} */
const config = {
  testEnvironment: "node",
  testMatch: ["<rootDir>/{lib,app,components,emulator,cli,scripts,e2e}/**/*.test.ts", "<rootDir>/bench/lib/**/*.test.ts"],
  // Tests talk to a real emulator over HTTPS; a slow CI core must not flake them.
  testTimeout: 30_000,
  // Every jest.spyOn (Date.now above all) is restored before each test, even when the test that
  // made it failed before its own restore (scripts/jest-restores-spies.test.ts).
  restoreMocks: true,
  moduleNameMapper: {
    // `server-only` throws outside a React Server bundle; in Jest we are plain Node.
    "^server-only$": "<rootDir>/test-support/empty-module.ts",
  },
};

// Packages Jest must compile like our own code: jose is ESM-only (Jest is CommonJS on Node 20);
// next/dist/{client,shared/lib} is what next/jest itself lets through.
const TRANSPILED = ["jose", "next/dist/client", "next/dist/shared/lib"];

export default async function jestConfig() {
  const resolved = await createJestConfig(config)();
  resolved.transformIgnorePatterns = [`/node_modules/(?!(${TRANSPILED.join("|")})/)`, "^.+\\.module\\.(css|sass|scss)$"];
  return resolved;
}
