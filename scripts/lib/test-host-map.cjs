/**
 * TEST-ONLY name resolution for the Microsoft-host runs (scripts/lib/microsoft-hosts.ts): makes
 * this Node process reach the identity emulator when it connects to Microsoft's host names, so the
 * app, the CLIs and the test runner can be configured exactly as production is. Loaded by those
 * runs only, with NODE_OPTIONS=--require <this file>; no product file imports it, and the runs
 * check that the standalone build never mentions it.
 *
 *   TEST_HOST_MAP="login.microsoftonline.com,graph.microsoft.com,management.azure.com=127.0.0.1:41234"
 *
 * It patches exactly two functions, and only for the listed names (nothing else changes):
 *   - tls.connect: a connection to a listed name on port 443 goes to 127.0.0.1:<port> instead; the
 *     name stays the TLS server name (SNI) and the name the certificate must carry, so the
 *     certificate is still checked against the name, and must chain to a CA this process trusts
 *     (NODE_EXTRA_CA_CERTS: the run's own CA);
 *   - dns.lookup (and dns.promises.lookup): a listed name resolves to 127.0.0.1, so no listed name
 *     is ever looked up in real DNS.
 * Any other host, and a listed host on another port, goes through untouched.
 */
"use strict";
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS preload (--require): require is how it reaches tls and dns */

const spec = process.env.TEST_HOST_MAP;
if (spec) install(spec);

function install(spec) {
  const [list, target] = spec.split("=");
  const names = new Set((list || "").split(",").map((n) => n.trim().toLowerCase()).filter(Boolean));
  const match = /^127\.0\.0\.1:(\d{1,5})$/.exec((target || "").trim());
  // Loopback only: this maps names to the local identity emulator, never anywhere else.
  if (names.size === 0 || !match) throw new Error(`TEST_HOST_MAP must read "<name>,<name>=127.0.0.1:<port>", got "${spec}"`);
  const port = Number(match[1]);
  const listed = (host) => typeof host === "string" && names.has(host.toLowerCase().replace(/\.$/, ""));

  const tls = require("node:tls");
  const connect = tls.connect;
  tls.connect = function connectMapped(...args) {
    // tls.connect(options[, callback]) or tls.connect(port[, host][, options][, callback])
    let options;
    let rest;
    if (args[0] !== null && typeof args[0] === "object") {
      options = args[0];
      rest = args.slice(1);
    } else if (typeof args[0] === "number") {
      let i = 1;
      options = { port: args[0] };
      if (typeof args[1] === "string") options.host = args[i++];
      if (args[i] !== null && typeof args[i] === "object") options = { ...args[i++], ...options };
      rest = args.slice(i);
    } else {
      return connect.apply(this, args);
    }
    const host = options.host;
    const toPort = options.port === undefined || options.port === null ? 443 : Number(options.port);
    if (!listed(host) || toPort !== 443 || options.socket || options.path) return connect.call(this, options, ...rest);
    return connect.call(this, { ...options, host: "127.0.0.1", port, servername: options.servername || host }, ...rest);
  };

  const dns = require("node:dns");
  const lookup = dns.lookup;
  dns.lookup = function lookupMapped(hostname, options, callback) {
    if (!listed(hostname)) return lookup.apply(this, arguments);
    const cb = typeof options === "function" ? options : callback;
    const all = typeof options === "object" && options !== null && options.all;
    process.nextTick(() => (all ? cb(null, [{ address: "127.0.0.1", family: 4 }]) : cb(null, "127.0.0.1", 4)));
    return {};
  };
  const promisesLookup = dns.promises.lookup;
  dns.promises.lookup = function lookupMappedAsync(hostname, options) {
    if (!listed(hostname)) return promisesLookup.apply(this, arguments);
    const all = typeof options === "object" && options !== null && options.all;
    return Promise.resolve(all ? [{ address: "127.0.0.1", family: 4 }] : { address: "127.0.0.1", family: 4 });
  };
}
