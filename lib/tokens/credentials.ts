import "server-only";
import type { ClientAssertionCallback, NodeAuthOptions } from "@azure/msal-node";
import type { ApiCredential } from "@/lib/config";
import { idpUnavailable, serverMisconfigured } from "@/lib/errors";

type CredentialOptions = Pick<NodeAuthOptions, "clientSecret" | "clientCertificate" | "clientAssertion">;

/** The public cloud's federated-credential audience; the configured one is `credential.tokenExchangeAudience`. */
export const TOKEN_EXCHANGE_RESOURCE = "api://AzureADTokenExchange";

/** msal-node credential options for the API's configured credential. */
export function msalCredential(credential: ApiCredential, fetchImpl: typeof fetch = fetch): CredentialOptions {
  switch (credential.kind) {
    case "secret":
      return { clientSecret: credential.secret };
    case "certificate":
      return {
        clientCertificate: {
          thumbprintSha256: credential.thumbprintSha256,
          privateKey: credential.privateKeyPem,
          // Sending the public certificate (x5c) enables subject name + issuer authentication.
          x5c: credential.certificatePem,
        },
      };
    case "managedIdentity":
      return { clientAssertion: managedIdentityAssertion(credential, fetchImpl) };
  }
}

/**
 * A client-assertion callback backed by App Service's managed identity endpoint: the managed
 * identity's token for the token-exchange audience (api://AzureADTokenExchange in the public
 * cloud, …USGov / …China in national clouds) is the assertion for the app registration's
 * federated identity credential (no secret or certificate to rotate). Cached until 5 minutes
 * before it expires; concurrent callers share one fetch.
 */
export function managedIdentityAssertion(
  credential: Extract<ApiCredential, { kind: "managedIdentity" }>,
  fetchImpl: typeof fetch = fetch,
  timeoutMs = 10_000,
): ClientAssertionCallback {
  let cached: { token: string; refreshAt: number } | undefined;
  let inflight: Promise<string> | undefined;

  const fetchToken = async (): Promise<string> => {
    const url = new URL(credential.endpoint);
    url.searchParams.set("resource", credential.tokenExchangeAudience);
    url.searchParams.set("api-version", "2019-08-01");
    // The user-assigned identity by its client id: without one, App Service answers for a
    // system-assigned identity, which cannot be a federated credential.
    url.searchParams.set("client_id", credential.managedIdentityClientId);
    const res = await fetchImpl(url, { headers: { "X-IDENTITY-HEADER": credential.header, accept: "application/json" }, signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) {
      // 4xx: the identity, its header or the audience is wrong (e.g. another cloud's exchange
      // audience) — a configuration problem; 5xx/429: the endpoint is having trouble.
      const cause = new Error(`managed identity endpoint answered HTTP ${res.status} for ${credential.tokenExchangeAudience}`);
      throw res.status >= 500 || res.status === 429 ? idpUnavailable(5, cause) : serverMisconfigured(cause);
    }
    const body = (await res.json()) as { access_token?: unknown; expires_on?: unknown; expires_in?: unknown };
    if (typeof body.access_token !== "string") throw new Error("managed identity endpoint returned no access_token");
    const nowSec = Date.now() / 1000;
    const expiresOn = Number(body.expires_on ?? (body.expires_in !== undefined ? nowSec + Number(body.expires_in) : nowSec + 600));
    cached = { token: body.access_token, refreshAt: (Number.isFinite(expiresOn) ? expiresOn - 300 : nowSec + 300) * 1000 };
    return body.access_token;
  };

  return async () => {
    if (cached && Date.now() < cached.refreshAt) return cached.token;
    inflight ??= fetchToken().finally(() => {
      inflight = undefined;
    });
    return inflight;
  };
}
