// Which service a request is for, from its Host header (and the TLS server name it came in on).
// The emulator's one HTTPS port answers two ways:
//   - localhost:<port>: everything, with the emulator's own paths (/graph/v1.0, /arm, /_control),
//     as `npm run dev` and .emulator/tenant.json use it;
//   - the emulated cloud's own host names (login.microsoftonline.com, graph.microsoft.com,
//     management.azure.com, or the US Government / China ones) with the real services' paths,
//     only when the emulator was given a certificate for them (test runs: a per-run CA).
// Each way gets its own view of the context: its origins, and its own grant store (a code, refresh
// token or session of one never works at the other, like two clouds). Anything else is refused
// with 421 Misdirected Request, never served by accident (RFC 9110 §15.5.20).
import { X509Certificate } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import { EMULATOR_CLOUDS, type EmulatorCloudName } from "./clouds";
import type { EmulatorContext } from "./context";
import { GrantStore } from "./grants";

/**
 * Where MSAL asks for instance discovery whatever the cloud of the authority
 * (msal-common Constants.AAD_INSTANCE_DISCOVERY_ENDPT: https://login.microsoftonline.com/common/discovery/instance).
 */
export const WORLDWIDE_LOGIN_HOST = "login.microsoftonline.com";

/** What a host serves. `instanceDiscovery`: the worldwide host in a national cloud's run. */
export type HostRole = "local" | "entra" | "graph" | "arm" | "instanceDiscovery";

/** The host names the emulator serves for `cloud` when given a certificate for them; the certificate must name each. */
export function microsoftHostNames(cloud: EmulatorCloudName): string[] {
  const { login, graph, arm } = EMULATOR_CLOUDS[cloud].hosts;
  return login === WORLDWIDE_LOGIN_HOST ? [login, graph, arm] : [login, graph, arm, WORLDWIDE_LOGIN_HOST];
}

export type HostTarget = { ok: true; role: HostRole; host: string; ctx: EmulatorContext } | { ok: false; reason: string };

export class HostRouter {
  private readonly local: Pick<EmulatorContext, "baseUrl" | "graphBaseUrl" | "armBaseUrl" | "grants">;
  private readonly microsoft: Pick<EmulatorContext, "baseUrl" | "graphBaseUrl" | "armBaseUrl" | "grants"> | undefined;
  private readonly roles = new Map<string, HostRole>();

  /**
   * @param ctx the shared context (its origins are localhost's, set once the port is known)
   * @param microsoftHosts whether a certificate for the cloud's host names was given
   */
  constructor(
    private readonly ctx: EmulatorContext,
    microsoftHosts: boolean,
  ) {
    this.local = ctx;
    if (microsoftHosts) {
      const { login, graph, arm } = ctx.cloud.hosts;
      this.microsoft = { baseUrl: `https://${login}`, graphBaseUrl: `https://${graph}/v1.0`, armBaseUrl: `https://${arm}`, grants: new GrantStore() };
      this.roles.set(login, "entra").set(graph, "graph").set(arm, "arm");
      if (!this.roles.has(WORLDWIDE_LOGIN_HOST)) this.roles.set(WORLDWIDE_LOGIN_HOST, "instanceDiscovery");
    }
  }

  /** Every grant store (one per way of addressing the emulator): control resets and sign-outs reach all. */
  get grantStores(): GrantStore[] {
    return this.microsoft ? [this.local.grants, this.microsoft.grants] : [this.local.grants];
  }

  /** The request's service and its view of the context, or why it is refused. */
  resolve(req: IncomingMessage): HostTarget {
    const raw = req.headers.host;
    if (!raw) return { ok: false, reason: "The request has no Host header." };
    let host: URL;
    try {
      host = new URL(`https://${raw}`);
    } catch {
      return { ok: false, reason: "The Host header is malformed." };
    }
    if (host.username || host.password || host.pathname !== "/") return { ok: false, reason: "The Host header is malformed." };
    const name = host.hostname.toLowerCase();
    const local = new URL(this.local.baseUrl);
    if ((name === "localhost" || name === "127.0.0.1") && host.port === local.port) {
      return { ok: true, role: "local", host: "localhost", ctx: this.ctx };
    }
    const role = this.roles.get(name);
    if (!role || !this.microsoft || (host.port !== "" && host.port !== "443")) {
      return { ok: false, reason: `This identity emulator does not serve ${raw}.` };
    }
    // A connection made for one name is not used for another (no connection coalescing here).
    const servername = (req.socket as TLSSocket).servername;
    if (typeof servername !== "string" || servername.toLowerCase() !== name) {
      return { ok: false, reason: `This connection was made for ${typeof servername === "string" ? servername : "no server name"}, not for ${name}.` };
    }
    return { ok: true, role, host: name, ctx: { ...this.ctx, ...this.microsoft } };
  }
}

/** Whether `ctx` is the view of the cloud's own host names (not localhost's). */
export function atMicrosoftHost(ctx: Pick<EmulatorContext, "baseUrl" | "cloud">): boolean {
  return new URL(ctx.baseUrl).hostname === ctx.cloud.hosts.login;
}

/** Checks that a certificate given for the Microsoft host names names each of them. */
export function checkMicrosoftHostsCertificate(certPem: string, cloud: EmulatorCloudName): void {
  const cert = new X509Certificate(certPem);
  const missing = microsoftHostNames(cloud).filter((name) => cert.checkHost(name, { wildcards: false }) === undefined);
  if (missing.length > 0) throw new Error(`the certificate for the Microsoft host names does not name ${missing.join(", ")}`);
  if (Date.parse(cert.validTo) <= Date.now()) throw new Error("the certificate for the Microsoft host names has expired");
}
