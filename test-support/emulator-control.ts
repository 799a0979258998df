/** Typed client for the identity emulator's test control API (Bearer control.secret). */
export interface ControlTarget {
  control: { url: string; secret: string };
}

export interface Counters {
  tokenRequests: Record<string, Record<string, number>>;
  /** Token requests per grant and tenant of the authority used (a tenant id, or "organizations"/"common"). */
  tokenRequestsByTenant?: Record<string, Record<string, number>>;
  total: number;
  graph: number;
  arm: number;
  [key: string]: unknown;
}

export type Fault =
  | {
      target: "graph" | "arm" | "token" | "jwks" | "discovery";
      mode: "throttle" | "slow" | "down" | "error";
      status?: number;
      retryAfter?: number;
      delayMs?: number;
      count?: number;
    }
  /** Continuous access evaluation: the user's session is revoked now, enforced by Graph or ARM. */
  | { target: "graph" | "arm"; mode: "session_revoked"; username: string; signOut?: boolean };

export interface MintRequest {
  username?: string;
  clientId?: string;
  scopes: string[];
  expiresIn?: number;
  claims?: Record<string, unknown>;
  appOnly?: boolean;
  /** User tokens: replace the directory's roles / groups (more than 200 groups: the overage form). */
  roles?: string[];
  groups?: string[];
  /** User tokens: how the user signed in (["pwd", "mfa"]: authentication contexts come opportunistically). */
  amr?: string[];
  /** User tokens: authentication contexts asked for. */
  acrs?: string[];
  /** User tokens: the tenant of the token; a guest's object there (B2B). */
  tenantId?: string;
}

export class EmulatorControl {
  constructor(private readonly target: ControlTarget) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    // control.url may be the origin or already end in /_control; paths here are absolute.
    const base = new URL(this.target.control.url).origin;
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.target.control.secret}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`emulator control ${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  reset = () => this.call<void>("POST", "/_control/reset");
  /** Changes registration properties (POST /_control/apps/registration); reset restores the seed. */
  registration = (body: { clientId: string; idTokenOptionalClaims?: string[]; requiredResourceAccess?: string[]; knownClientApplications?: string[] }) =>
    this.call<void>("POST", "/_control/apps/registration", body);
  requireMfa = (username: string) => this.call<void>("POST", "/_control/mfa", { username });
  revokeConsent = (body: { clientId: string; scopes?: string[]; username?: string }) => this.call<void>("POST", "/_control/consent/revoke", body);
  /** Load users loaduser<first>…loaduser<first+count-1>, holding every app role: the only way they come to exist (POST /_control/users). */
  createUsers = (first: number, count: number, domain?: string) =>
    this.call<{ users: { username: string; oid: string }[]; password: string }>("POST", "/_control/users", { first, count, domain });
  rotateKeys = (dropPrevious = false) => this.call<void>("POST", "/_control/keys/rotate", { dropPrevious });
  /** The fault as the emulator recorded it (a session revocation includes its `revokedAt`). */
  fault = (fault: Fault) => this.call<{ fault: Record<string, unknown> & { revokedAt?: number } }>("POST", "/_control/faults", fault);
  clearFaults = () => this.call<void>("DELETE", "/_control/faults");
  mint = (req: MintRequest) => this.call<{ access_token: string; expires_on: number }>("POST", "/_control/tokens", req);
  counters = () => this.call<Counters>("GET", "/_control/counters");
  /** The next `count` (default: all) Graph/ARM collection responses carry `nextLink` verbatim. */
  plantNextLink = (target: "graph" | "arm", nextLink: string, count?: number) => this.call<void>("POST", "/_control/next-link", { target, nextLink, count });
  clearNextLinks = () => this.call<void>("DELETE", "/_control/next-link");
  tokenLifetime = (seconds: number) => this.call<void>("POST", "/_control/token-lifetime", { seconds });
  settings = (body: Record<string, number>) => this.call<Record<string, number>>("POST", "/_control/settings", body);

  /** On-Behalf-Of token requests made by `clientId` so far. */
  async oboCount(clientId: string): Promise<number> {
    const c = await this.counters();
    const byClient = c.tokenRequests.on_behalf_of ?? c.tokenRequests["urn:ietf:params:oauth:grant-type:jwt-bearer"] ?? {};
    return byClient[clientId.toLowerCase()] ?? byClient[clientId] ?? 0;
  }
}
