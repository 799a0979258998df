import https from "node:https";
import { rootCertificates } from "node:tls";
import { AuthError, type INetworkModule, type NetworkRequestOptions, type NetworkResponse } from "@azure/msal-node";
import { systemErrorCode } from "./errors";

/**
 * HTTPS for both MSAL and Graph, through one agent that trusts the emulator's local CA when there
 * is one.
 *
 * Why not the global fetch: msal-node 7's default client uses it, and on Node 20 the only way to make
 * fetch trust an extra CA is NODE_EXTRA_CA_CERTS, which Node reads once at start-up — so the CLI would
 * have to re-execute itself. An https.Agent with `ca` set is explicit, trusts the local CA only for
 * this process's own requests, and needs no second process (signals, TTY prompts and exit codes stay
 * simple). MSAL supports this through `system.networkClient`.
 */
export interface HttpOptions {
  /** PEM of an extra CA to trust on top of Node's bundled roots (the emulator's CA); undefined = defaults. */
  caPem?: string;
  /** Per-request timeout; also the socket idle timeout. */
  timeoutMs: number;
  /** True when talking to the emulator; only changes the wording of network errors. */
  emulator: boolean;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
}

/** A network failure before any HTTP response: carries the system/TLS code and host for explain(). */
export class NetworkFailure extends Error {
  readonly code: string;
  readonly host: string;
  constructor(code: string, host: string, cause?: unknown) {
    super(`request to ${host} failed (${code})`, cause === undefined ? undefined : { cause });
    this.name = "NetworkFailure";
    this.code = code;
    this.host = host;
  }
}

export class HttpClient {
  private readonly agent: https.Agent;
  /**
   * The network failure of the most recent request, if it failed before any HTTP answer. MSAL
   * swallows failures during authority discovery and reports only "endpoints_resolution_error";
   * this keeps the real cause (refused, TLS, DNS) so the user is told what to fix.
   */
  lastFailure: NetworkFailure | undefined;

  constructor(readonly options: HttpOptions) {
    // keepAlive off: a CLI makes a handful of requests and must exit as soon as it is done.
    this.agent = new https.Agent({
      keepAlive: false,
      ...(options.caPem ? { ca: [...rootCertificates, options.caPem] } : {}),
    });
  }

  request(url: string, init: { method?: "GET" | "POST"; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {}): Promise<HttpResponse> {
    const target = new URL(url);
    if (target.protocol !== "https:") return Promise.reject(new NetworkFailure("NOT_HTTPS", target.host));
    const timeoutMs = init.timeoutMs ?? this.options.timeoutMs;
    const attempt = new Promise<HttpResponse>((resolve, reject) => {
      const headers: Record<string, string> = { ...init.headers };
      if (init.body !== undefined) headers["content-length"] = String(Buffer.byteLength(init.body));
      const req = https.request(target, { method: init.method ?? "GET", headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", (e) => reject(new NetworkFailure(systemErrorCode(e) ?? "ERESPONSE", target.host, e)));
        res.on("end", () => {
          clearTimeout(timer);
          const out: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
          resolve({ status: res.statusCode ?? 0, headers: out, text: Buffer.concat(chunks).toString("utf8") });
        });
      });
      const timer = setTimeout(() => req.destroy(new NetworkFailure("TIMEOUT", target.host)), timeoutMs);
      req.on("error", (e) => {
        clearTimeout(timer);
        reject(e instanceof NetworkFailure ? e : new NetworkFailure(systemErrorCode(e) ?? "ENETWORK", target.host, e));
      });
      if (init.body !== undefined) req.write(init.body);
      req.end();
    });
    return attempt.then(
      (res) => {
        this.lastFailure = undefined;
        return res;
      },
      (e: unknown) => {
        this.lastFailure = e instanceof NetworkFailure ? e : undefined;
        throw e;
      },
    );
  }

  /**
   * MSAL's network interface on top of this client. Failures are thrown as MSAL AuthErrors (MSAL
   * replaces any other error with a bare "network_error" and the cause is lost); the system code goes
   * in subError and host/emulator in own properties, which explain() turns into one line.
   */
  msalNetworkModule(): INetworkModule {
    const send = async <T>(url: string, method: "GET" | "POST", options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> => {
      let res: HttpResponse;
      try {
        res = await this.request(url, { method, headers: options?.headers, body: method === "POST" ? (options?.body ?? "") : undefined, timeoutMs: timeout });
      } catch (e) {
        const failure = e instanceof NetworkFailure ? e : new NetworkFailure("ENETWORK", new URL(url).host, e);
        throw Object.assign(new AuthError("network_error", "", failure.message, failure.code), { host: failure.host, emulator: this.options.emulator });
      }
      let body: T;
      try {
        body = JSON.parse(res.text) as T;
      } catch {
        throw new AuthError("network_error", "", `unexpected non-JSON answer (HTTP ${res.status}) from ${new URL(url).host}`);
      }
      return { status: res.status, headers: res.headers, body };
    };
    return {
      sendGetRequestAsync: <T>(url: string, options?: NetworkRequestOptions, timeout?: number) => send<T>(url, "GET", options, timeout),
      sendPostRequestAsync: <T>(url: string, options?: NetworkRequestOptions) => send<T>(url, "POST", options),
    };
  }
}
