import "server-only";
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from "@azure/msal-node";

/**
 * msal-node's HTTP client, replaced so every identity-provider call has a timeout (msal-node's
 * default POST has none: a hung IdP would hang the request) and a non-JSON error page becomes a
 * proper error response instead of a parsing exception.
 */
export class FetchNetworkClient implements INetworkModule {
  constructor(
    private readonly timeoutMs: number,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> {
    return this.send<T>(url, "GET", options, timeout);
  }

  sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.send<T>(url, "POST", options);
  }

  private async send<T>(url: string, method: "GET" | "POST", options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> {
    const res = await this.fetchImpl(url, {
      method,
      headers: options?.headers,
      body: method === "POST" ? (options?.body ?? "") : undefined,
      signal: AbortSignal.timeout(Math.min(timeout ?? this.timeoutMs, this.timeoutMs)),
    });
    const headers: Record<string, string> = {};
    res.headers.forEach((value, key) => {
      headers[key] = value;
    });
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (typeof body !== "object" || body === null) {
      if (res.ok) throw new Error(`identity provider returned a non-JSON response (HTTP ${res.status})`);
      body = {
        error: res.status === 503 || res.status === 429 ? "temporarily_unavailable" : "server_error",
        error_description: `The identity provider answered HTTP ${res.status}.`,
      };
    }
    if (!res.ok) (body as { status?: number }).status ??= res.status;
    return { headers, body: body as T, status: res.status };
  }
}
