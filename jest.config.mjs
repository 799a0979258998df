import nextJest from "next/jest.js";

// next/jest wires SWC, tsconfig paths and .env loading the same way `next build` does.
const createJestConfig = nextJest({ dir: "./" });

/** @type {import('jest').Config} */
const config = {
  testEnvironment: "node",
  testMatch: ["<rootDir>/{lib,app,components,emulator,cli,scripts}/**/*.test.ts"],
  // Tests talk to a real emulator over HTTPS; a slow CI core must not flake them.
  testTimeout: 30_000,
  moduleNameMapper: {
    // `server-only` throws outside a React Server bundle; in Jest we are plain Node.
    "^server-only$": "<rootDir>/lib/testing/empty-module.ts",
  },
};

export default createJestConfig(config);
