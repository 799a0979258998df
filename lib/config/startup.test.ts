import { parseConfig, type Env } from "./parse";
import { describeAuthorization } from "./startup";

const valid: Env = {
  AZURE_TENANT_ID: "11111111-2222-4333-8444-555555555555",
  AZURE_SPA_CLIENT_ID: "aaaaaaaa-0000-4000-8000-000000000001",
  AZURE_API_CLIENT_ID: "aaaaaaaa-0000-4000-8000-000000000002",
  AZURE_API_CLIENT_SECRET: "s",
  SESSION_PASSWORD: "x".repeat(32),
};

describe("the start-up line names who may use which view, and the variables deciding it (issue #21)", () => {
  it("roles enforced, a group and an authentication context", () => {
    const line = describeAuthorization(
      parseConfig({ ...valid, AZURE_DIRECTORY_GROUP_IDS: "1d671a2b-6116-4dbe-b7c8-75b9ab0f1b22", AZURE_SUBSCRIPTIONS_AUTH_CONTEXT: "c1" }),
    );
    expect(line).toBe(
      "app roles enforced (AZURE_APP_ROLES_ENFORCED=true); subscriptions: app role Subscriptions.Read, authentication context c1 (AZURE_SUBSCRIPTIONS_AUTH_CONTEXT); directory: app role Directory.Read or 1 group (AZURE_DIRECTORY_GROUP_IDS)",
    );
  });

  it("roles not enforced, said loudly", () => {
    expect(describeAuthorization(parseConfig({ ...valid, AZURE_APP_ROLES_ENFORCED: "false" }))).toBe(
      "app roles NOT enforced (AZURE_APP_ROLES_ENFORCED=false); subscriptions: every signed-in user; directory: every signed-in user",
    );
  });
});
