import { ManagerUnavailable, type GraphUser } from "./graph";

/** Something to print to: process.stdout/stderr, or a buffer in tests. */
export interface Sink {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

const PROFILE_FIELDS: ReadonlyArray<[keyof GraphUser, string]> = [
  ["displayName", "Display name"],
  ["userPrincipalName", "User principal name"],
  ["mail", "Mail"],
  ["jobTitle", "Job title"],
  ["officeLocation", "Office"],
  ["id", "Object id"],
];

/** A user as an indented "label  value" block, skipping empty fields. */
export function formatUser(user: GraphUser, indent = "  "): string {
  const rows = PROFILE_FIELDS.filter(([key]) => typeof user[key] === "string" && user[key] !== "").map(([key, label]) => [label, String(user[key])] as const);
  const width = Math.max(...rows.map(([label]) => label.length), 0);
  return rows.map(([label, value]) => `${indent}${label.padEnd(width)}  ${clean(value)}`).join("\n");
}

export function formatProfileAndManager(profile: GraphUser, manager: GraphUser | null | ManagerUnavailable): string {
  const parts = ["Profile", formatUser(profile), ""];
  if (manager instanceof ManagerUnavailable) parts.push("Manager", `  unavailable: ${manager.reason}`);
  else if (manager) parts.push("Manager", formatUser(manager));
  else parts.push("Manager", "  (none: no manager is set for this user in the directory)");
  return `${parts.join("\n")}\n`;
}

export function formatUsers(users: GraphUser[], pages: number): string {
  const rows = users.map((u) => [clean(String(u.displayName ?? "")), clean(String(u.userPrincipalName ?? u.mail ?? u.id ?? ""))] as const);
  const width = Math.max("Display name".length, ...rows.map(([name]) => name.length));
  const lines = [`${"Display name".padEnd(width)}  User principal name`, `${"-".repeat(width)}  ${"-".repeat(19)}`];
  for (const [name, upn] of rows) lines.push(`${name.padEnd(width)}  ${upn}`);
  lines.push("", `${users.length} user${users.length === 1 ? "" : "s"} (${pages} page${pages === 1 ? "" : "s"} from Microsoft Graph)`);
  return `${lines.join("\n")}\n`;
}

/** Directory data is not trusted to be free of terminal escape sequences. */
function clean(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
}

/** "14:05" for 845 seconds. */
export function mmss(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/**
 * Shows how long the device code remains valid. On a terminal: one line rewritten every second.
 * Otherwise (piped, CI, tests): a plain line now and then once a minute, so logs stay readable.
 */
export class Countdown {
  private timer: NodeJS.Timeout | undefined;
  private lastPlain = 0;

  constructor(
    private readonly out: Sink,
    private readonly now: () => number = Date.now,
  ) {}

  start(expiresInSeconds: number): void {
    const deadline = this.now() + expiresInSeconds * 1000;
    const tick = () => {
      const left = (deadline - this.now()) / 1000;
      if (this.out.isTTY) {
        this.out.write(`\r\u001b[2KWaiting for you to sign in: the code expires in ${mmss(left)}. Press Ctrl-C to cancel.`);
      } else if (this.lastPlain === 0 || this.now() - this.lastPlain >= 60_000) {
        this.lastPlain = this.now();
        this.out.write(`Waiting for sign-in (the code expires in ${mmss(left)}; Ctrl-C cancels)...\n`);
      }
      if (left <= 0) this.stop();
    };
    tick();
    this.timer = setInterval(tick, 1000);
    this.timer.unref();
  }

  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.out.isTTY) this.out.write("\r\u001b[2K");
  }
}
