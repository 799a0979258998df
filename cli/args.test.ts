import { parseCommand, wantsJson } from "./args";
import { EXIT, UsageError } from "./errors";

function usageError(argv: string[]): UsageError {
  try {
    parseCommand(argv);
  } catch (e) {
    if (e instanceof UsageError) return e;
    throw e;
  }
  throw new Error(`expected a usage error for ${argv.join(" ")}`);
}

describe("parseCommand", () => {
  test("commands and options", () => {
    expect(parseCommand(["device-code"])).toEqual({ kind: "device-code", json: false });
    expect(parseCommand(["device-code", "--json"])).toEqual({ kind: "device-code", json: true });
    expect(parseCommand(["users", "--username", "a@contoso.test"])).toEqual({ kind: "users", json: false, username: "a@contoso.test", pageSize: undefined });
    expect(parseCommand(["users", "--username", "a@contoso.test", "--page-size", "5"])).toMatchObject({ pageSize: 5 });
    expect(parseCommand(["--json", "users", "--username=a@contoso.test"])).toEqual({ kind: "users", json: true, username: "a@contoso.test", pageSize: undefined });
    expect(parseCommand(["sign-out"])).toEqual({ kind: "sign-out", json: false });
    expect(parseCommand(["--help"])).toEqual({ kind: "help" });
    expect(parseCommand(["users", "-h"])).toEqual({ kind: "help" });
    expect(parseCommand(["--version"])).toEqual({ kind: "version" });
  });

  test.each([
    [[], /No command/],
    [["bogus"], /Unknown command 'bogus'/],
    [["device-code", "--bogus"], /Unknown option '--bogus'/],
    [["device-code", "extra"], /Unexpected argument 'extra'/],
    [["users"], /needs --username/],
    [["users", "--username"], /argument missing/],
    [["users", "--username", "not-a-upn"], /user principal name/],
    [["device-code", "--username", "a@contoso.test"], /only valid with the users command/],
    [["device-code", "--json=yes"], /does not take an argument/],
    [["users", "--username", "a@contoso.test", "--page-size", "0"], /1 to 999/],
    [["users", "--username", "a@contoso.test", "--page-size", "ten"], /1 to 999/],
    [["sign-out", "--page-size", "5"], /only valid with the users command/],
  ])("%j is a usage error (exit 2)", (argv, message) => {
    const err = usageError(argv);
    expect(err.exitCode).toBe(EXIT.usage);
    expect(err.message).toMatch(message);
    expect(err.message).not.toMatch(/To specify/); // parseArgs' long hint is trimmed
  });

  test.each([["--password", "hunter2"], ["--password=hunter2"], ["-p"], ["--pwd=x"]])("password flag %s is refused without echoing the value", (...flag) => {
    const err = usageError(["users", "--username", "a@contoso.test", ...flag]);
    if (flag[0] === "-p") {
      expect(err.message).toMatch(/Unknown option '-p'/);
      return;
    }
    expect(err.message).toMatch(/is not accepted.*shell history.*CLI_PASSWORD/);
    expect(err.message).not.toContain("hunter2");
  });

  test("after -- nothing is an option, so a positional is rejected as an extra argument", () => {
    expect(usageError(["sign-out", "--", "--password"]).message).toMatch(/Unexpected argument '--password'/);
  });

  test("wantsJson ignores arguments after --", () => {
    expect(wantsJson(["bogus", "--json"])).toBe(true);
    expect(wantsJson(["bogus", "--", "--json"])).toBe(false);
  });
});
