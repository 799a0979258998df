// Test helpers for the emulator's Microsoft-host routing: a per-test CA for the Microsoft host
// names, and an HTTPS client that reaches the emulator under those names (TCP to 127.0.0.1:<port>,
// SNI and Host = the URL's host), trusting only the CA it is given. The msal-node network module
// below is that client behind MSAL's own transport interface: MSAL itself is real and unmodified.
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from "@azure/msal-node";
import type { IncomingHttpHeaders } from "node:http";
import https from "node:https";
import type { TLSSocket } from "node:tls";
import { createNameConstrainedCa, issueServerCertificate, type PemPair } from "../certs";

export interface MicrosoftHostsMaterial {
  ca: PemPair;
  leaf: PemPair;
  names: string[];
}

/** A CA constrained to `names` and a server certificate for exactly those names (1 hour). */
export async function microsoftHostsMaterial(names: readonly string[]): Promise<MicrosoftHostsMaterial> {
  const ca = await createNameConstrainedCa("CN=Microsoft-host test CA (emulator tests, one run)", names, 3600_000);
  return { ca, leaf: await issueServerCertificate(ca, names), names: [...names] };
}

export interface Via {
  /** The emulator's port on 127.0.0.1. */
  port: number;
  /** The only CA trusted for the connection (PEM). */
  ca: string;
}

export interface ViaResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** subjectaltname of the certificate the server presented. */
  peerNames: string;
}

export interface ViaInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** SNI to send when it must differ from the URL's host (default: the URL's host name). */
  servername?: string;
  /** false = do not check the certificate's names (to look at what the server presents). */
  checkServerIdentity?: boolean;
}

/** An https request to `url` that reaches the emulator whatever host the URL names. */
export function requestVia(via: Via, url: string, init: ViaInit = {}): Promise<ViaResponse> {
  const u = new URL(url);
  const headers: Record<string, string> = { host: u.host, ...init.headers };
  if (init.body !== undefined) headers["content-length"] = String(Buffer.byteLength(init.body));
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: "127.0.0.1",
        port: via.port,
        path: `${u.pathname}${u.search}`,
        method: init.method ?? "GET",
        headers,
        servername: init.servername ?? u.hostname,
        ca: [via.ca],
        agent: false,
        ...(init.checkServerIdentity === false ? { checkServerIdentity: () => undefined } : {}),
      },
      (res) => {
        const peerNames = (res.socket as TLSSocket).getPeerCertificate().subjectaltname ?? "";
        let text = "";
        res.setEncoding("utf8").on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, peerNames }));
      },
    );
    req.on("error", reject);
    if (init.body !== undefined) req.write(init.body);
    req.end();
  });
}

export function json<T = Record<string, unknown>>(res: ViaResponse): T {
  try {
    return JSON.parse(res.text) as T;
  } catch {
    throw new Error(`not JSON (HTTP ${res.status}): ${res.text.slice(0, 300)}`);
  }
}

/** msal-node's transport, routed through `requestVia`; `sent` (when given) collects each request's method and URL. */
export function msalNetworkVia(via: Via, sent?: string[]): INetworkModule {
  const send = async <T>(method: string, url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> => {
    sent?.push(`${method} ${url}`);
    const res = await requestVia(via, url, { method, headers: options?.headers, body: options?.body });
    const headers = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : (v ?? "")]));
    return { status: res.status, headers, body: JSON.parse(res.text || "{}") as T };
  };
  return {
    sendGetRequestAsync: (url, options) => send("GET", url, options),
    sendPostRequestAsync: (url, options) => send("POST", url, options),
  };
}
