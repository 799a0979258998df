// Fault injection for resilience tests: make Graph/ARM/token/JWKS/discovery
// throttle, slow down, go down or fail, for N requests or until cleared; and
// revoke a user's session at Graph or ARM (continuous access evaluation, cae.ts).
import type { CaeTarget, SessionRevocation } from "./types";

export const FAULT_TARGETS = ["graph", "arm", "token", "jwks", "discovery"] as const;
export const FAULT_MODES = ["throttle", "slow", "down", "error"] as const;
export type FaultTarget = (typeof FAULT_TARGETS)[number];
export type FaultMode = (typeof FAULT_MODES)[number];

export interface Fault {
  target: FaultTarget;
  mode: FaultMode;
  status?: number;
  retryAfter?: number;
  delayMs?: number;
  /** Requests still affected; undefined = until cleared. */
  remaining?: number;
}

/** What a handler must do for one request. */
export type FaultAction =
  | { kind: "delay"; delayMs: number }
  | { kind: "respond"; status: number; retryAfter?: number; mode: FaultMode };

export class FaultInjector {
  private faults = new Map<FaultTarget, Fault>();
  /** Session revocations by `${target}|${user oid}`; they last until cleared. */
  private revocations = new Map<string, SessionRevocation>();

  set(fault: Fault): void {
    this.faults.set(fault.target, { ...fault });
  }

  clear(target?: FaultTarget): void {
    if (target) this.faults.delete(target);
    else this.faults.clear();
    for (const [key, r] of this.revocations) if (!target || r.target === target) this.revocations.delete(key);
  }

  list(): (Fault | SessionRevocation)[] {
    return [...[...this.faults.values()].map((f) => ({ ...f })), ...[...this.revocations.values()].map((r) => ({ ...r }))];
  }

  revoke(revocation: SessionRevocation): void {
    this.revocations.set(`${revocation.target}|${revocation.userOid}`, { ...revocation });
  }

  revocation(target: CaeTarget, userOid: string): SessionRevocation | undefined {
    return this.revocations.get(`${target}|${userOid}`);
  }

  /** The latest revocation of the user's sign-in sessions (seconds), if any. */
  signInRevokedAt(userOid: string): number | undefined {
    let latest: number | undefined;
    for (const r of this.revocations.values()) if (r.userOid === userOid && r.signOut && (latest === undefined || r.revokedAt > latest)) latest = r.revokedAt;
    return latest;
  }

  /** Consumes one use of the fault for `target`, if any. */
  take(target: FaultTarget): FaultAction | undefined {
    const f = this.faults.get(target);
    if (!f) return undefined;
    if (f.remaining !== undefined) {
      f.remaining -= 1;
      if (f.remaining <= 0) this.faults.delete(target);
    }
    switch (f.mode) {
      case "slow":
        return { kind: "delay", delayMs: f.delayMs ?? 3000 };
      case "throttle":
        return { kind: "respond", status: f.status ?? 429, retryAfter: f.retryAfter ?? 2, mode: f.mode };
      case "down":
        return { kind: "respond", status: f.status ?? 503, retryAfter: f.retryAfter, mode: f.mode };
      case "error":
        return { kind: "respond", status: f.status ?? 500, retryAfter: f.retryAfter, mode: f.mode };
    }
  }
}
