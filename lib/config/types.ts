/** Which identity provider the app talks to. */
export type IdentityMode = "emulator" | "tenant";

/** How the middle-tier API proves its identity to the identity provider. */
export type ApiCredential =
  | { kind: "secret"; secret: string }
  | { kind: "certificate"; privateKeyPem: string; certificatePem: string; thumbprintSha256: string }
  | {
      kind: "managedIdentity";
      /**
       * Client id of the user-assigned managed identity: only user-assigned identities can be an
       * app registration's federated credential, so App Service's endpoint is always told which.
       */
      managedIdentityClientId: string;
      /** App Service's local token endpoint (IDENTITY_ENDPOINT) and its header secret. */
      endpoint: string;
      header: string;
      /**
       * Audience of the managed identity token used as the client assertion: the federated
       * credential's audience (api://AzureADTokenExchange, …USGov, …China), per cloud.
       */
      tokenExchangeAudience: string;
    };

/** A downstream API called On-Behalf-Of the user. Adding one is a config entry, not a code path. */
export interface DownstreamApi {
  name: string;
  baseUrl: string;
  scopes: string[];
}

/** The views whose API routes need more than a signed-in user of an allowed tenant (lib/authz). */
export type ProtectedView = "subscriptions" | "directory";

/** What a protected view asks of its caller. */
export interface ViewPolicy {
  /** The API's app role that grants the view (a value of the API registration's appRoles). */
  role: string;
  /** Security groups (object ids) whose members may use the view without the role. */
  groupIds: string[];
  /**
   * A Conditional Access authentication context the caller's token must carry in `acrs`
   * (e.g. "c1" = require MFA): step-up for sensitive data. Undefined: none.
   */
  authContext: string | undefined;
}

export interface AppConfig {
  mode: IdentityMode;
  /** How the app learns its public origin (redirect URIs, cookies' Secure flag, CSRF checks). */
  publicUrl: {
    /** APP_BASE_URL: a fixed origin, e.g. https://contoso.azurewebsites.net; wins over headers. */
    baseUrl: string | undefined;
    /**
     * Believe X-Forwarded-Proto/Host (the value the nearest proxy appended) when baseUrl is unset.
     * Default false: only behind a proxy that always sets them, where clients cannot reach the app.
     */
    trustForwardedHeaders: boolean;
  };
  /**
   * Home tenant of the app registrations: its GUID, as tokens name it. When AZURE_TENANT_ID is a
   * verified domain, the server resolves the GUID at startup (lib/config/tenant.ts); only
   * parseConfig's raw result can still hold the domain.
   */
  tenantId: string;
  /** The verified domain AZURE_TENANT_ID named, when it named one (for logs and messages). */
  tenantDomain?: string;
  /** e.g. https://login.microsoftonline.com (no trailing slash). */
  authorityHost: string;
  /** `${authorityHost}/${tenantId}` */
  authority: string;
  /**
   * Where users sign in (SPA, web app): the home tenant's authority, or
   * `${authorityHost}/organizations` when AZURE_ALLOWED_TENANTS admits other tenants, so MSAL
   * resolves each user's home tenant. Tokens are still checked per tenant against the allow-list.
   */
  signInAuthority: string;
  /** Hosts MSAL must trust without instance discovery (emulator, CIAM); empty for Microsoft clouds. */
  knownAuthorities: string[];
  /** Tenants whose users may call the API. Always contains tenantId. */
  allowedTenants: string[];
  /** Client applications (`azp`) whose tokens the API accepts. Always contains the SPA. */
  allowedClientIds: string[];
  spa: { clientId: string; redirectPath: string };
  api: {
    clientId: string;
    /** App ID URI, e.g. api://<clientId>; tokens may carry it or the client id as `aud`. */
    appIdUri: string;
    /** The delegated scope the SPA requests, e.g. api://<clientId>/access_as_user. */
    scope: string;
    /** The scope value as it appears in a token's `scp` claim, e.g. access_as_user. */
    scopeName: string;
    credential: ApiCredential;
    /** Client capabilities declared to the IdP (cp1 = can handle CAE claims challenges). */
    clientCapabilities: string[];
  };
  /** Server-rendered web app (confidential client); null when not configured. */
  web: { clientId: string; clientSecret: string; scopes: string[] } | null;
  /** Public client used by the CLIs; null when not configured. */
  cli: { clientId: string } | null;
  downstream: { graph: DownstreamApi; arm: DownstreamApi };
  session: { password: string; maxAgeSeconds: number };
  /** Shared token cache; null = in-memory only. */
  redis: { url: string; encryptionKey: string } | null;
  tokenCache: { maxUsers: number };
  http: { timeoutMs: number; maxRetries: number; maxRetryAfterSeconds: number };
  /** /api/health: `details` adds the checks (identity mode, key count, cache kind) to the status. */
  health: { details: boolean };
  /** Who may use which view (lib/authz). */
  authorization: {
    /**
     * AZURE_APP_ROLES_ENFORCED: a view needs its app role (or one of its groups). False: every
     * signed-in user of an allowed tenant may use every view (a tenant without the roles set up).
     */
    rolesEnforced: boolean;
    views: Record<ProtectedView, ViewPolicy>;
  };
}

/** What the browser needs to start msal-browser. Nothing secret. */
export interface PublicConfig {
  mode: IdentityMode;
  spaClientId: string;
  /** The sign-in authority (AppConfig.signInAuthority): the home tenant, or organizations. */
  authority: string;
  knownAuthorities: string[];
  apiScope: string;
  redirectPath: string;
  /**
   * Client capabilities the SPA declares to Entra: ["CP1"] when the API handles claims
   * challenges (AZURE_API_CLIENT_CAPABILITIES has cp1), so the SPA's tokens carry xms_cc and the
   * API may send it continuous-access-evaluation challenges.
   */
  clientCapabilities: string[];
  /** e.g. https://login.microsoftonline.com: the admin-consent URL is built on it. */
  authorityHost: string;
  /**
   * The API's client id, for the admin-consent URL (`/{tenant}/adminconsent?client_id=`) when the
   * SPA's consent cannot cover the API (no knownClientApplications); otherwise the SPA's is used.
   */
  apiClientId: string;
  /**
   * The home tenant's authority (AppConfig.authority). When users sign in at `organizations`, a B2B
   * guest of the home tenant must sign in here instead: `organizations` sends them to their own tenant.
   */
  homeAuthority: string;
}
