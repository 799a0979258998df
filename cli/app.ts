import { readFileSync } from "node:fs";
import path from "node:path";
import type { AccountInfo, AuthenticationResult } from "@azure/msal-node";
import { parseCommand, USAGE, wantsJson, type Command } from "./args";
import { CliAuth } from "./auth";
import { removeCacheFiles } from "./cache";
import { CLI_ENV, type Env } from "./env";
import { CliError, EXIT, explain, type ExitCode } from "./errors";
import { GraphClient, GraphUnauthorized, ManagerUnavailable, type GraphUser } from "./graph";
import { HttpClient } from "./http";
import { Countdown, formatProfileAndManager, formatUsers, type Sink } from "./output";
import { promptHidden, type PromptInput } from "./prompt";
import { cacheDir, resolveSettings, type CliSettings } from "./settings";

/** Everything the CLI touches outside itself, so tests can run it in-process or as a child. */
export interface CliIo {
  stdout: Sink;
  stderr: Sink;
  stdin: PromptInput;
  /** A snapshot of the environment (after .env files were loaded). */
  env: Env;
  projectRoot: string;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
}

const HTTP_TIMEOUT_MS = 15_000;
// Delegated Graph permissions. /me needs User.Read; the manager and the directory listing need
// User.ReadBasic.All (basic profiles of other users, no admin consent needed in Entra ID).
const DEVICE_CODE_SCOPES = ["User.Read", "User.ReadBasic.All"];
const USERS_SCOPES = ["User.ReadBasic.All"];

export const ROPC_WARNING =
  "Warning: the username/password (ROPC) flow is legacy and discouraged. It cannot do multi-factor authentication " +
  "or consent, and personal Microsoft accounts are blocked. Prefer `device-code`.\n";

/** Runs one CLI invocation and returns its exit code. Never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const json = wantsJson(argv);
  let command: Command;
  try {
    command = parseCommand(argv);
  } catch (e) {
    const err = explain(e);
    io.stderr.write(`${err.message}\n\n${USAGE}\n`);
    if (json) writeJson(io.stdout, { error: { code: err.code, message: err.message } });
    return err.exitCode;
  }
  if (command.kind === "help") {
    io.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  if (command.kind === "version") {
    io.stdout.write(`${version(io.projectRoot)}\n`);
    return EXIT.ok;
  }

  if (command.kind === "sign-out") {
    try {
      await signOut(command.json, io);
      return EXIT.ok;
    } catch (e) {
      const err = explain(e);
      io.stderr.write(`${err.message}\n`);
      if (json) writeJson(io.stdout, { error: { code: err.code, message: err.message } });
      return err.exitCode;
    }
  }

  let http: HttpClient | undefined;
  let authority: string | undefined;
  try {
    const settings = resolveSettings(io.env, { projectRoot: io.projectRoot });
    authority = settings.authority;
    const client = new HttpClient({ caPem: settings.caPem, timeoutMs: HTTP_TIMEOUT_MS, emulator: settings.mode === "emulator" });
    http = client;
    const auth = new CliAuth(settings, client);
    const run = (): Promise<void> => {
      switch (command.kind) {
        case "device-code":
          return deviceCode(command.json, settings, client, auth, io);
        case "users":
          return users(command, settings, client, auth, io);
      }
    };
    await untilAborted(run(), io.signal);
    return EXIT.ok;
  } catch (e) {
    const err = explain(e, { networkFailure: http?.lastFailure, emulator: http?.options.emulator ?? false, authority });
    io.stderr.write(`${err.message}\n`);
    if (json) writeJson(io.stdout, { error: { code: err.code, message: err.message, ...(err.correlationId ? { correlationId: err.correlationId } : {}) } });
    return err.exitCode;
  }
}

const CANCELLED = () => new CliError("cancelled", "Cancelled.", { exitCode: EXIT.cancelled });

/** Rejects with "Cancelled" (exit 130) as soon as the signal aborts, whatever the work is waiting on. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(CANCELLED());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(CANCELLED());
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

function scopes(settings: CliSettings, names: string[]): string[] {
  return names.map((n) => `${settings.graphResource}/${n}`);
}

function writeJson(out: Sink, value: unknown): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}

function accountJson(result: AuthenticationResult) {
  return { username: result.account?.username ?? null, tenantId: result.account?.tenantId ?? result.tenantId ?? null, fromCache: result.fromCache };
}

/**
 * Acquires a token (silent first, then `interactive`) and runs `call` with it. If Graph rejects a
 * cached token (revoked, keys rotated), the token is refreshed once and the call retried.
 */
async function withToken<T>(
  account: AccountInfo | undefined,
  names: string[],
  settings: CliSettings,
  auth: CliAuth,
  interactive: () => Promise<AuthenticationResult>,
  call: (result: AuthenticationResult) => Promise<T>,
): Promise<{ result: AuthenticationResult; value: T }> {
  const wanted = scopes(settings, names);
  let result = (account && (await auth.silent(account, wanted))) || (await interactive());
  try {
    return { result, value: await call(result) };
  } catch (e) {
    if (!(e instanceof GraphUnauthorized) || !result.fromCache || !result.account) throw e;
    result = (await auth.silent(result.account, wanted, true)) ?? (await interactive());
    return { result, value: await call(result) };
  }
}

async function deviceCode(json: boolean, settings: CliSettings, http: HttpClient, auth: CliAuth, io: CliIo): Promise<void> {
  const cached = await auth.accounts();
  // Reuse a saved sign-in only when it is unambiguous; with several, ask which user by signing in.
  const account = cached.length === 1 ? cached[0] : undefined;
  if (account) io.stderr.write(`Using the saved sign-in for ${account.username} (run \`sign-out\` to use another account).\n`);

  const interactive = async (): Promise<AuthenticationResult> => {
    const countdown = new Countdown(io.stderr);
    const pending = auth.deviceCode(scopes(settings, DEVICE_CODE_SCOPES), (prompt) => {
      io.stderr.write(`${prompt.message}\n`);
      countdown.start(prompt.expiresIn);
    });
    const onAbort = () => {
      pending.cancel();
      countdown.stop();
    };
    io.signal.addEventListener("abort", onAbort, { once: true });
    try {
      const result = await pending.result;
      io.stderr.write(`Signed in as ${result.account?.username ?? "(unknown)"}.\n`);
      return result;
    } finally {
      countdown.stop();
      io.signal.removeEventListener("abort", onAbort);
    }
  };

  const { result, value } = await withToken(account, DEVICE_CODE_SCOPES, settings, auth, interactive, async (r) => {
    const graph = new GraphClient(http, settings.graphBaseUrl, () => r.accessToken);
    const [profile, manager] = await Promise.all([graph.me(), graph.manager()]);
    return { profile, manager };
  });

  if (json) {
    const unavailable = value.manager instanceof ManagerUnavailable ? value.manager : undefined;
    writeJson(io.stdout, {
      account: accountJson(result),
      profile: value.profile,
      manager: unavailable ? null : value.manager,
      ...(unavailable ? { managerUnavailable: { status: unavailable.status, reason: unavailable.reason } } : {}),
    });
  } else {
    io.stdout.write(formatProfileAndManager(value.profile, value.manager));
  }
}

async function users(
  { json, username, pageSize }: Extract<Command, { kind: "users" }>,
  settings: CliSettings,
  http: HttpClient,
  auth: CliAuth,
  io: CliIo,
): Promise<void> {
  io.stderr.write(ROPC_WARNING);
  const account = await auth.findAccount(username);

  const interactive = async (): Promise<AuthenticationResult> => {
    const fromEnv = io.env[CLI_ENV.password];
    const password = fromEnv !== undefined && fromEnv !== "" ? fromEnv : await promptHidden(io.stdin, io.stderr, `Password for ${username}: `);
    if (!password) throw new CliError("no_password", `No password given. Set ${CLI_ENV.password} or type it at the prompt.`);
    return auth.usernamePassword(username, password, scopes(settings, USERS_SCOPES));
  };

  let pages = 0;
  const { result, value } = await withToken(account, USERS_SCOPES, settings, auth, interactive, async (r) => {
    const graph = new GraphClient(http, settings.graphBaseUrl, () => r.accessToken);
    return graph.users({
      pageSize,
      onPage: (page) => {
        pages = page;
      },
    });
  });

  if (json) {
    writeJson(io.stdout, { account: accountJson(result), count: value.length, pages, users: value satisfies GraphUser[] });
  } else {
    io.stdout.write(formatUsers(value, pages));
  }
}

/**
 * Forgets every saved sign-in: removes the accounts from the current authority's cache (to say who
 * was signed out), then deletes every CLI cache file in the folder, whichever emulator run or
 * tenant wrote it. Works with the emulator stopped or the configuration broken.
 */
async function signOut(json: boolean, io: CliIo): Promise<void> {
  let usernames: string[] = [];
  let settings: CliSettings | undefined;
  try {
    settings = resolveSettings(io.env, { projectRoot: io.projectRoot });
  } catch {
    settings = undefined; // nothing to enumerate; the files are still deleted below
  }
  if (settings) {
    const http = new HttpClient({ caPem: settings.caPem, timeoutMs: HTTP_TIMEOUT_MS, emulator: settings.mode === "emulator" });
    usernames = await new CliAuth(settings, http).removeAccounts();
  }
  const dir = cacheDir(io.env, process.platform);
  const removed = await removeCacheFiles(dir);
  if (json) {
    writeJson(io.stdout, { signedOut: usernames, cacheDir: dir, cacheFilesRemoved: removed });
    return;
  }
  if (usernames.length === 0 && removed.length === 0) {
    io.stdout.write("Nobody was signed in.\n");
    return;
  }
  const who = usernames.length ? `Signed out ${usernames.join(", ")}.` : "Signed out.";
  io.stdout.write(`${who} Deleted ${removed.length} token cache file${removed.length === 1 ? "" : "s"} from ${dir}.\n`);
}

function version(projectRoot: string): string {
  try {
    const pkg = JSON.parse(readFileSync(path.join(projectRoot, "package.json"), "utf8")) as { name?: string; version?: string };
    return `${pkg.name ?? "ms-identity-nextjs"} ${pkg.version ?? "0.0.0"}`;
  } catch {
    return "unknown";
  }
}
