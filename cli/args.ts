import { parseArgs } from "node:util";
import { UsageError } from "./errors";
import { CLI_ENV } from "./env";

export const PROGRAM = "ms-identity-cli";

export type Command =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "device-code"; json: boolean }
  | { kind: "users"; json: boolean; username: string; pageSize: number | undefined }
  | { kind: "sign-out"; json: boolean };

export const USAGE = `Usage: npm run cli -- <command> [options]      (or: ${PROGRAM} <command> [options])

Commands:
  device-code              Sign in with the device code flow (open the printed URL on any device and
                           enter the code), then show your Microsoft Graph profile and manager.
  users --username <upn> [--page-size <n>]
                           LEGACY: sign in with username and password (ROPC) and list the users in the
                           directory from Microsoft Graph /users, following every page. Blocked for
                           accounts that need MFA and for personal Microsoft accounts; prefer device-code.
  sign-out                 Forget every saved sign-in and delete the token cache file.

Options:
  --username <upn>         The user principal name to sign in as (users only).
  --page-size <n>          Users per Graph page, 1-999 (users only; Graph's default is 100).
  --json                   Print machine-readable JSON on stdout; messages go to stderr.
  -h, --help               Show this help.
  --version                Show the version.

Passwords are never accepted as a command-line flag (they would be visible in shell history and the
process list). The users command reads ${CLI_ENV.password} from the environment, or prompts without echo
when run in a terminal.

Environment:
  ${CLI_ENV.password.padEnd(24)} Password for the users command (optional; prompted for when unset).
  ${CLI_ENV.cacheDir.padEnd(24)} Folder for the token cache file (default: your user config folder,
                           e.g. ~/.config/ms-identity-nextjs; %APPDATA% on Windows).
  ${CLI_ENV.tenantFile.padEnd(24)} The identity emulator's tenant.json (default: .emulator/tenant.json).
  AZURE_TENANT_ID, AZURE_CLI_CLIENT_ID, AZURE_AUTHORITY_HOST, GRAPH_BASE_URL
                           Use a real Entra ID tenant instead of the emulator (usually in .env.local).
  IDENTITY_MODE=emulator   Use the emulator even when a tenant is configured.

Exit codes: 0 success, 1 failure (explained on stderr), 2 bad usage, 130 cancelled (Ctrl-C).`;

const COMMANDS = new Set(["device-code", "users", "sign-out"]);

/** Parses argv (without node and script). Throws UsageError for anything it does not understand. */
export function parseCommand(argv: readonly string[]): Command {
  // Refuse a password flag before parseArgs, so the message explains why (and never echoes the value).
  for (const arg of argv) {
    if (arg === "--") break;
    if (/^--?(password|pass|pwd|secret)(=|$)/i.test(arg)) {
      throw new UsageError(
        `${arg.split("=")[0]} is not accepted: a password on the command line is visible in shell history and the process list. ` +
          `Set ${CLI_ENV.password} in the environment, or leave it unset to be prompted without echo.`,
      );
    }
  }

  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        help: { type: "boolean", short: "h" },
        version: { type: "boolean" },
        json: { type: "boolean" },
        username: { type: "string" },
        "page-size": { type: "string" },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    // Structural, not instanceof: node's own errors come from another realm under test runners.
    const raw = typeof (e as { message?: unknown }).message === "string" ? (e as { message: string }).message : String(e);
    const message = raw.split(/\r?\n/)[0]!.replace(/\. To specify .*$/, ".");
    throw new UsageError(message);
  }
  const { values, positionals } = parsed;

  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };
  if (positionals.length === 0) throw new UsageError("No command given.");
  const [name, ...extra] = positionals;
  if (!name || !COMMANDS.has(name)) throw new UsageError(`Unknown command '${name}'.`);
  if (extra.length > 0) throw new UsageError(`Unexpected argument '${extra[0]}' after '${name}'.`);

  const json = values.json ?? false;
  if (name === "users") {
    const username = values.username?.trim();
    if (!username) throw new UsageError("users needs --username <upn> (the account to sign in as).");
    if (!username.includes("@")) throw new UsageError(`--username must be a user principal name such as someone@contoso.onmicrosoft.com.`);
    const rawSize = values["page-size"];
    let pageSize: number | undefined;
    if (rawSize !== undefined) {
      pageSize = /^\d+$/.test(rawSize) ? Number(rawSize) : NaN;
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 999) throw new UsageError("--page-size must be a whole number from 1 to 999.");
    }
    return { kind: "users", json, username, pageSize };
  }
  if (values.username !== undefined) throw new UsageError(`--username is only valid with the users command.`);
  if (values["page-size"] !== undefined) throw new UsageError(`--page-size is only valid with the users command.`);
  if (name === "device-code") return { kind: "device-code", json };
  return { kind: "sign-out", json };
}

/** True when --json appears before any `--`, so even a usage error can be reported as JSON. */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  return (end === -1 ? argv : argv.slice(0, end)).includes("--json");
}
