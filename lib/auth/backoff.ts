/**
 * Spaces out attempts at something that failed: after the first failure wait `initialMs`, then
 * twice as long after each further failure, up to `maxMs`; a success resets it. Concurrent callers
 * join the attempt in flight instead of starting their own. Used for signing-key fetches, which
 * unauthenticated requests (any `kid`, /api/health) would otherwise drive one per request.
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Test seam: the clock. */
  now?: () => number;
}

/** Thrown instead of attempting while the back-off lasts. */
export class BackingOff extends Error {
  constructor(readonly waitMs: number) {
    super(`backing off for another ${waitMs} ms after a failure`);
    this.name = "BackingOff";
  }
}

export class FailureBackoff {
  private failures = 0;
  private notBefore = 0;
  private inflight: Promise<unknown> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: BackoffOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Milliseconds until the next attempt may start; 0 = now. */
  waitMs(): number {
    return Math.max(0, this.notBefore - this.now());
  }

  /** Runs `attempt` unless backing off (then throws BackingOff); joins an attempt already running. */
  run<T>(attempt: () => Promise<T>): Promise<T> {
    if (this.inflight) return this.inflight as Promise<T>;
    const wait = this.waitMs();
    if (wait > 0) return Promise.reject(new BackingOff(wait));
    const p = attempt().then(
      (value) => {
        this.failures = 0;
        this.notBefore = 0;
        return value;
      },
      (error: unknown) => {
        this.failures++;
        this.notBefore = this.now() + Math.min(this.options.maxMs, this.options.initialMs * 2 ** (this.failures - 1));
        throw error;
      },
    );
    const tracked = p.finally(() => {
      if (this.inflight === tracked) this.inflight = undefined;
    });
    this.inflight = tracked;
    return tracked;
  }
}
