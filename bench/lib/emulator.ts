/**
 * The identity emulator as the benchmarks see it: its tenant description (written by
 * scripts/with-emulator.ts, path in EMULATOR_TENANT_FILE) and a client for its test control API.
 */
import { readFileSync } from "node:fs";
import type { TenantDescription } from "../../emulator";

export type { TenantDescription };

export function loadTenant(): TenantDescription {
  const file = process.env.EMULATOR_TENANT_FILE;
  if (!file) {
    throw new Error("EMULATOR_TENANT_FILE is not set: run this through the emulator launcher, e.g. `npx tsx scripts/with-emulator.ts tsx bench/run.ts`");
  }
  return JSON.parse(readFileSync(file, "utf8")) as TenantDescription;
}

export interface EmulatorCounters {
  tokenRequests: Record<string, Record<string, number>>;
  total: number;
  graph: number;
  arm: number;
  discovery: number;
  jwks: number;
  [key: string]: unknown;
}

// The control API's request shapes are shared with the integration tests.
export type { Fault as FaultSpec, MintRequest } from "../../test-support/emulator-control";
import type { Fault as FaultSpec, MintRequest } from "../../test-support/emulator-control";

/** Largest batch the emulator's POST /_control/tokens accepts. */
const MAX_BATCH = 5000;
/** Most load users one POST /_control/users creates. */
const MAX_USERS_PER_CALL = 10_000;

export class Control {
  private readonly origin: string;

  constructor(private readonly tenant: TenantDescription) {
    this.origin = new URL(tenant.control.url).origin;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.origin}/_control${path}`, {
      method,
      headers: { authorization: `Bearer ${this.tenant.control.secret}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`emulator control ${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  reset = () => this.call<unknown>("POST", "/reset");
  rotateKeys = () => this.call<{ kid: string; publishedKids: string[] }>("POST", "/keys/rotate", {});
  fault = (fault: FaultSpec) => this.call<unknown>("POST", "/faults", fault);
  clearFaults = () => this.call<unknown>("DELETE", "/faults");
  counters = () => this.call<EmulatorCounters>("GET", "/counters");

  /** Mints access tokens in batches of up to 5000 (one HTTPS round trip per batch). */
  async mint(requests: MintRequest[]): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < requests.length; i += MAX_BATCH) {
      const batch = requests.slice(i, i + MAX_BATCH);
      const res = await this.call<{ tokens: { access_token: string }[] }>("POST", "/tokens", { batch });
      for (const t of res.tokens) out.push(t.access_token);
    }
    return out;
  }

  /** The emulator's settings (token lifetime among them); `patch` changes some first. */
  settings = (patch: Record<string, number> = {}) => this.call<Record<string, number>>("POST", "/settings", patch);

  private domain(): string {
    return this.tenant.users[0]?.username.split("@")[1] ?? "contoso.test";
  }

  /** loaduser<first>…<first+count-1>, created through POST /_control/users (THE way load users come to exist). */
  async ensureUsers(first: number, count: number): Promise<{ users: { username: string; oid: string }[]; password: string }> {
    const users: { username: string; oid: string }[] = [];
    let password = "";
    for (let i = 0; i < count; i += MAX_USERS_PER_CALL) {
      const res = await this.call<{ users: { username: string; oid: string }[]; password: string }>("POST", "/users", { first: first + i, count: Math.min(MAX_USERS_PER_CALL, count - i), domain: this.domain() });
      users.push(...res.users);
      password = res.password;
    }
    return { users, password };
  }

  /**
   * Tokens for OUR API (as the SPA would hold them) for load users loaduser<first>…<first+count-1>,
   * created first. Every benchmark and fault-suite token for our API is minted here (one place to
   * add claims the API starts to require): both app roles (load users hold them) and, from an MFA
   * sign-in, the authentication context the Subscriptions view asks for (`acrs` c1, opportunistically).
   * `expiresIn`: seconds, one value or one per user.
   */
  async apiTokens(first: number, count: number, options: { expiresIn?: number | ((i: number) => number) } = {}): Promise<string[]> {
    await this.ensureUsers(first, count);
    const expiresIn = options.expiresIn;
    return this.mintApiTokens(
      Array.from({ length: count }, (_, i) => first + i),
      expiresIn === undefined ? undefined : (i) => (typeof expiresIn === "number" ? expiresIn : expiresIn(i)),
    );
  }

  /** Tokens for OUR API for load users that exist already (a client renewing its tokens), `expiresIn(i)` seconds each; signed in with MFA (see apiTokens). */
  mintApiTokens(users: number[], expiresIn?: (i: number) => number): Promise<string[]> {
    const scope = this.tenant.apps.api.scope;
    return this.mint(users.map((n, i) => ({ username: `loaduser${n}@${this.domain()}`, scopes: [scope], amr: ["pwd", "mfa"], ...(expiresIn ? { expiresIn: expiresIn(i) } : {}) })));
  }

  /** What the API's On-Behalf-Of tokens would be for load user <n>, one per scope set (the bare baseline's fixed tokens). */
  async downstreamTokens(user: number, scopeSets: string[][]): Promise<string[]> {
    await this.ensureUsers(user, 1);
    return this.mint(scopeSets.map((scopes) => ({ username: `loaduser${user}@${this.domain()}`, scopes })));
  }

  /** A token for OUR API for a seeded user (e.g. the 250-group user), as the SPA would hold it. */
  async userToken(username: string): Promise<string> {
    const [token] = await this.mint([{ username, scopes: [this.tenant.apps.api.scope] }]);
    if (!token) throw new Error(`no token minted for ${username}`);
    return token;
  }

  /** On-Behalf-Of token requests the API's client id made so far. */
  async oboCount(): Promise<number> {
    const c = await this.counters();
    const byClient = c.tokenRequests["on_behalf_of"] ?? {};
    return byClient[this.tenant.apps.api.clientId.toLowerCase()] ?? 0;
  }
}
