import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEmulator, type RunningEmulator, type StartEmulatorOptions } from "@/emulator";
import { resetConfigForTests } from "@/lib/config";
import { EmulatorControl, type MintRequest } from "./emulator-control";
import { emulatorEnv, installEnv, type EmulatorCredential } from "./emulator-config";

/**
 * Per-test-file harness for the API: a private emulator (own port, own tenant file) and the app
 * environment pointing at it, installed in process.env for getConfig() (route handlers, proxy.ts).
 */
export interface ApiHarness {
  emulator: RunningEmulator;
  control: EmulatorControl;
  /** Re-install the app environment with overrides; the next getConfig() builds fresh services. */
  configure(options?: { credential?: EmulatorCredential; overrides?: Record<string, string | undefined> }): void;
  /** An access token for our API as the SPA would get it (signed by the emulator). */
  userToken(username: string, extra?: Partial<Pick<MintRequest, "claims" | "expiresIn" | "scopes" | "roles" | "groups" | "amr" | "acrs" | "tenantId">>): Promise<string>;
  close(): Promise<void>;
}

export async function startApiHarness(options: Pick<StartEmulatorOptions, "cloud"> = {}): Promise<ApiHarness> {
  const dir = mkdtempSync(join(tmpdir(), "api-emulator-"));
  const emulator = await startEmulator({ port: 0, tenantFile: join(dir, "tenant.json"), cloud: options.cloud });
  const control = new EmulatorControl(emulator.tenant);
  let restore: (() => void) | undefined;
  const harness: ApiHarness = {
    emulator,
    control,
    configure(options = {}) {
      restore?.();
      restore = installEnv(emulatorEnv(emulator.tenant, options));
      resetConfigForTests();
    },
    async userToken(username, extra = {}) {
      const minted = await control.mint({
        ...extra,
        username,
        clientId: emulator.tenant.apps.spa.clientId,
        scopes: extra.scopes ?? [emulator.tenant.apps.api.scope],
      });
      return minted.access_token;
    },
    async close() {
      restore?.();
      resetConfigForTests();
      await emulator.close();
    },
  };
  harness.configure();
  return harness;
}
