import { defineConfig, globalIgnores } from "eslint/config";
import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

// The deployed e2e suite runs against someone's real deployment: it must never reach the identity
// emulator's control API (e2e/emulator.ts, emulator/, the launchers in scripts/), however imported.
const EMULATOR_ONLY = "(^|/)(e2e/)?emulator(/|$)|(^|/)scripts/";
const EMULATOR_ONLY_SELECTOR = EMULATOR_ONLY.replaceAll("/", "\\/"); // esquery regex literals need escaped slashes
const DEPLOYED_BOUNDARY =
  "The deployed suite never calls the identity emulator's control API: it runs against real deployments. " +
  "Use the page objects and fixtures in e2e/support/, and list what needs the emulator as a skipped test (e2e/deployed/not-proven-here.spec.ts).";

export default defineConfig([
  ...nextVitals,
  ...nextTs,
  {
    files: ["e2e/deployed/**"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ regex: EMULATOR_ONLY, message: DEPLOYED_BOUNDARY }] }],
      "no-restricted-syntax": [
        "error",
        { selector: `ImportExpression[source.value=/${EMULATOR_ONLY_SELECTOR}/]`, message: DEPLOYED_BOUNDARY },
        { selector: `CallExpression[callee.name='require'][arguments.0.value=/${EMULATOR_ONLY_SELECTOR}/]`, message: DEPLOYED_BOUNDARY },
      ],
    },
  },
  globalIgnores([".next/**", "out/**", "node_modules/**", "next-env.d.ts", ".emulator/**", "test-results/**", "playwright-report/**", "bench/out/**"]),
]);
