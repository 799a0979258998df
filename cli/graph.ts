import { randomUUID } from "node:crypto";
import { checkNextLink } from "../lib/downstream/next-link";
import { CliError, explainNetwork, firstLine } from "./errors";
import { NetworkFailure, type HttpClient } from "./http";

/** The part of HttpClient Graph calls use (tests pass a fake). */
export type GraphTransport = Pick<HttpClient, "request" | "options">;

/** The Graph user fields the CLI shows; Graph returns more, which --json passes through. */
export interface GraphUser {
  id?: string;
  displayName?: string | null;
  userPrincipalName?: string | null;
  mail?: string | null;
  jobTitle?: string | null;
  officeLocation?: string | null;
  [key: string]: unknown;
}

/** Graph would not read the manager (403): why, for the user; the rest of the output stands. */
export class ManagerUnavailable {
  constructor(
    readonly status: number,
    readonly reason: string,
  ) {}
}

const MANAGER_PERMISSION = "the CLI app needs the delegated permission User.ReadBasic.All (with User.Read) or User.Read.All, consented for your organization.";
const MANAGER_FORBIDDEN = `Microsoft Graph refused to read your manager: ${MANAGER_PERMISSION}`;
/** With User.Read alone Graph names the manager by id only ("limited information"): never print a nameless manager. */
const MANAGER_NAMELESS = `Microsoft Graph named your manager only by id, without a name: ${MANAGER_PERMISSION}`;

/** Graph answered 401: the token was rejected (expired, revoked, wrong audience). The caller may re-acquire once. */
export class GraphUnauthorized extends CliError {
  constructor(message: string) {
    super("graph_unauthorized", message);
  }
}

const USER_FIELDS = "id,displayName,userPrincipalName,mail,jobTitle";
const MAX_PAGES = 100; // 100 pages of up to 999 users: far beyond a CLI listing; stops a nextLink loop
const MAX_RETRIES = 2;
const MAX_RETRY_AFTER_SECONDS = 5;

/**
 * Calls Microsoft Graph with a bearer token: a client-request-id on every call (Graph echoes it,
 * and support asks for it), a timeout, one bounded retry on 429/503/504 honouring Retry-After, and
 * @odata.nextLink paging that never leaves the Graph origin (the token must not go anywhere else).
 */
export class GraphClient {
  constructor(
    private readonly http: GraphTransport,
    private readonly baseUrl: string,
    private readonly token: () => string,
  ) {}

  async me(): Promise<GraphUser> {
    return (await this.get(`${this.baseUrl}/me`)) as GraphUser;
  }

  /**
   * The signed-in user's manager; null when none is set (Graph answers 404); ManagerUnavailable
   * when Graph refuses to say (403) or names the manager without a name, so the profile is still shown.
   */
  async manager(): Promise<GraphUser | null | ManagerUnavailable> {
    try {
      const manager = (await this.get(`${this.baseUrl}/me/manager`, { allowNotFound: true })) as GraphUser | null;
      const named = [manager?.displayName, manager?.userPrincipalName].some((v) => typeof v === "string" && v.trim() !== "");
      return manager && !named ? new ManagerUnavailable(200, MANAGER_NAMELESS) : manager;
    } catch (e) {
      if (e instanceof CliError && e.code === "graph_forbidden") return new ManagerUnavailable(403, MANAGER_FORBIDDEN);
      throw e;
    }
  }

  /** Every user in the directory, following @odata.nextLink. */
  async users(options: { pageSize?: number; onPage?: (page: number, count: number) => void } = {}): Promise<GraphUser[]> {
    const all: GraphUser[] = [];
    const first = new URL(`${this.baseUrl}/users`);
    first.searchParams.set("$select", USER_FIELDS);
    if (options.pageSize) first.searchParams.set("$top", String(options.pageSize));
    let url: string | undefined = first.toString();
    for (let page = 1; url; page++) {
      if (page > MAX_PAGES) throw new CliError("too_many_pages", `Graph returned more than ${MAX_PAGES} pages of users; stopping.`);
      const body = (await this.get(url)) as { value?: unknown; "@odata.nextLink"?: unknown } | null;
      if (!body || !Array.isArray(body.value)) throw new CliError("graph_bad_response", "Graph /users answered without a `value` array.");
      all.push(...(body.value as GraphUser[]));
      options.onPage?.(page, all.length);
      const next = body["@odata.nextLink"];
      url = next === undefined || next === null ? undefined : this.checkedNextLink(next);
    }
    return all;
  }

  /** The same rule as the API's paging (lib/downstream/next-link): absolute https, Graph's own origin. */
  private checkedNextLink(next: unknown): string {
    const checked = checkNextLink(next, this.baseUrl);
    if (!checked.ok) throw new CliError("graph_bad_response", `Graph returned an @odata.nextLink ${checked.reason}; not sending the token there.`);
    return checked.url.toString();
  }

  private async get(url: string, opts: { allowNotFound?: boolean } = {}): Promise<unknown> {
    const path = new URL(url).pathname;
    for (let attempt = 0; ; attempt++) {
      const requestId = randomUUID();
      let res;
      try {
        res = await this.http.request(url, {
          headers: { authorization: `Bearer ${this.token()}`, accept: "application/json", "client-request-id": requestId, "return-client-request-id": "true" },
        });
      } catch (e) {
        if (e instanceof NetworkFailure) throw explainNetwork(e.code, e.host, this.http.options.emulator);
        throw e;
      }
      if (res.status >= 200 && res.status < 300) {
        try {
          return JSON.parse(res.text) as unknown;
        } catch {
          throw new CliError("graph_bad_response", `Graph ${path} answered with something that is not JSON.`);
        }
      }
      if (res.status === 404 && opts.allowNotFound) return null;
      const retryable = res.status === 429 || res.status === 503 || res.status === 504;
      const retryAfter = Number(res.headers["retry-after"] ?? "1");
      if (retryable && attempt < MAX_RETRIES && Number.isFinite(retryAfter) && retryAfter <= MAX_RETRY_AFTER_SECONDS) {
        await new Promise((r) => setTimeout(r, Math.max(0, retryAfter) * 1000));
        continue;
      }
      throw graphError(res.status, res.text, path, res.headers["request-id"] ?? requestId);
    }
  }
}

function graphError(status: number, text: string, path: string, requestId: string): CliError {
  let code = "";
  let message = "";
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    code = typeof body.error?.code === "string" ? body.error.code : "";
    message = typeof body.error?.message === "string" ? firstLine(body.error.message) : "";
  } catch {
    // not a Graph error body
  }
  const detail = [code, message].filter(Boolean).join(": ") || `HTTP ${status}`;
  const ref = ` (request id ${requestId})`;
  if (status === 401) return new GraphUnauthorized(`Microsoft Graph rejected the access token for ${path}: ${detail}. Run \`sign-out\` and sign in again${ref}.`);
  if (status === 403) {
    return new CliError("graph_forbidden", `Microsoft Graph refused ${path}: ${detail}. The signed-in user or the CLI app lacks the permission; an administrator may need to grant consent${ref}.`);
  }
  if (status === 429 || status === 503 || status === 504) {
    return new CliError("graph_unavailable", `Microsoft Graph is busy or unavailable (HTTP ${status}) for ${path}. Try again in a minute${ref}.`);
  }
  return new CliError("graph_error", `Microsoft Graph ${path} failed with HTTP ${status}: ${detail}${ref}.`);
}
