import {
  PublicClientApplication,
  type AccountInfo,
  type AuthenticationResult,
  type DeviceCodeRequest,
} from "@azure/msal-node";
import { FileCachePlugin } from "./cache";
import { CliError } from "./errors";
import type { HttpClient } from "./http";
import type { CliSettings } from "./settings";

/** What the device code endpoint asked us to show the user (MSAL's DeviceCodeResponse, the parts we use). */
export interface DeviceCodePrompt {
  message: string;
  userCode: string;
  verificationUri: string;
  expiresIn: number;
}

/** A running device code sign-in that can be cancelled (Ctrl-C). */
export interface PendingDeviceCode {
  result: Promise<AuthenticationResult>;
  cancel(): void;
}

/**
 * Token acquisition for the CLI: one msal-node PublicClientApplication per run, its cache
 * persisted to the user's cache file, silent first and an interactive grant only when the cache
 * cannot answer.
 */
export class CliAuth {
  readonly pca: PublicClientApplication;
  readonly cache: FileCachePlugin;

  constructor(settings: CliSettings, http: HttpClient) {
    this.cache = new FileCachePlugin(settings.cacheFile);
    this.pca = new PublicClientApplication({
      auth: { clientId: settings.clientId, authority: settings.authority, knownAuthorities: settings.knownAuthorities },
      cache: { cachePlugin: this.cache },
      system: { networkClient: http.msalNetworkModule() },
    });
  }

  accounts(): Promise<AccountInfo[]> {
    return this.pca.getTokenCache().getAllAccounts();
  }

  async findAccount(username: string): Promise<AccountInfo | undefined> {
    const wanted = username.toLowerCase();
    return (await this.accounts()).find((a) => a.username.toLowerCase() === wanted);
  }

  /**
   * A token from the cache, refreshed with the cached refresh token when the access token expired.
   * Null when the cache cannot answer without the user (no refresh token, refresh token expired or
   * revoked, new consent needed); network failures are thrown, since an interactive grant would
   * fail the same way.
   */
  async silent(account: AccountInfo, scopes: string[], forceRefresh = false): Promise<AuthenticationResult | null> {
    try {
      return await this.pca.acquireTokenSilent({ account, scopes, forceRefresh });
    } catch (e) {
      if ((e as { errorCode?: unknown }).errorCode === "network_error") throw e;
      return null;
    }
  }

  /** Starts the device code flow; `onPrompt` runs when the code is ready to show. */
  deviceCode(scopes: string[], onPrompt: (prompt: DeviceCodePrompt) => void): PendingDeviceCode {
    const request: DeviceCodeRequest = {
      scopes,
      deviceCodeCallback: (r) => onPrompt({ message: r.message, userCode: r.userCode, verificationUri: r.verificationUri, expiresIn: r.expiresIn }),
    };
    const result = this.pca.acquireTokenByDeviceCode(request).then((r) => required(r));
    return {
      result,
      // MSAL checks the flag before each poll (request is the object MSAL polls with).
      cancel: () => {
        request.cancel = true;
      },
    };
  }

  /**
   * The resource owner password credentials grant. Legacy: it cannot do MFA, consent or Conditional
   * Access, and personal accounts are refused. msal-node 7 still ships it, marked deprecated ("use a
   * more secure flow instead"); it is here only because some migrations still need it.
   */
  async usernamePassword(username: string, password: string, scopes: string[]): Promise<AuthenticationResult> {
    return required(await this.pca.acquireTokenByUsernamePassword({ username, password, scopes }));
  }

  /** Removes every account (and its tokens) from this authority's cache; returns their usernames. */
  async removeAccounts(): Promise<string[]> {
    const cache = this.pca.getTokenCache();
    const accounts = await cache.getAllAccounts();
    for (const account of accounts) await cache.removeAccount(account);
    return accounts.map((a) => a.username);
  }
}

function required(result: AuthenticationResult | null): AuthenticationResult {
  if (!result?.accessToken) throw new CliError("no_token", "The identity provider answered without an access token.");
  return result;
}
