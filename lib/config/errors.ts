/** One problem with one environment variable. Never carries the variable's value. */
export interface ConfigProblem {
  variable: string;
  message: string;
}

/**
 * Thrown when the environment does not describe a runnable app. The message lists every bad
 * variable at once (fixing them one start at a time is miserable) and never echoes a value.
 */
export class ConfigError extends Error {
  readonly code = "config_invalid";
  readonly problems: readonly ConfigProblem[];

  constructor(problems: ConfigProblem[]) {
    super(formatProblems(problems));
    this.name = "ConfigError";
    this.problems = problems;
  }
}

function formatProblems(problems: ConfigProblem[]): string {
  const lines = problems.map((p) => `  - ${p.variable}: ${p.message}`);
  return [
    `Configuration is invalid (${problems.length} problem${problems.length === 1 ? "" : "s"}):`,
    ...lines,
    "Fix these in .env.local (see .env.local.example for every variable), or remove the tenant",
    "variables and run `npm run dev` to use the bundled identity emulator.",
  ].join("\n");
}
