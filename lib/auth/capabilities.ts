import type { Caller } from "./verifier";

/**
 * Whether the caller's client declared a capability in its token's `xms_cc` claim, e.g. "cp1"
 * (it can handle claims challenges, which makes it eligible for CAE). Entra passes the values as
 * the client sent them, and MSAL docs spell it both "CP1" and "cp1": compare without case.
 * https://learn.microsoft.com/entra/identity-platform/claims-challenge#client-capabilities
 */
export function hasClientCapability(caller: Pick<Caller, "clientCapabilities">, capability: string): boolean {
  const wanted = capability.toLowerCase();
  return caller.clientCapabilities.some((c) => c.toLowerCase() === wanted);
}
