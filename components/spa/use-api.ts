"use client";

import { useMsal } from "@azure/msal-react";
import useSWR, { type SWRResponse } from "swr";
import { callApi, type ApiResult } from "./api-client";
import { useSpaConfig } from "./msal-shell";
import { useSession } from "./use-session";

/**
 * SWR over this app's API for the signed-in user. The cache key includes the account, so
 * signing in as someone else never shows the previous user's data.
 */
export function useApi<T>(path: string, read?: (response: Response) => Promise<T>, options: { silentOnly?: boolean } = {}): SWRResponse<ApiResult<T>, Error> {
  const { instance } = useMsal();
  const { apiScope, authorityHost } = useSpaConfig();
  const session = useSession();
  const account = session.status === "signed-in" ? session.account : null;
  return useSWR<ApiResult<T>, Error>(
    // the tenant profile too: a B2B guest's profile in this app's organization is another identity
    account ? [path, account.homeAccountId, account.tenantId] : null,
    () => callApi<T>({ msal: instance, account: account!, scope: apiScope, authorityHost, silentOnly: options.silentOnly }, path, read),
    {
      revalidateOnFocus: false,
      // Retrying is the user's call (the error panel has a button); automatic retries would
      // hammer a throttled API and re-trigger interaction.
      shouldRetryOnError: false,
    },
  );
}
