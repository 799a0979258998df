import { chmod, lstat, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TokenCacheContext } from "@azure/msal-node";
import { FileCachePlugin, removeCacheFiles, writePrivateFile } from "./cache";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "cli-cache-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A TokenCacheContext stand-in: the plugin only uses these members. */
function context(initial: string, changed: boolean) {
  const state = { data: initial, deserialized: undefined as string | undefined };
  const ctx = {
    cacheHasChanged: changed,
    tokenCache: {
      serialize: () => state.data,
      deserialize: (d: string) => {
        state.deserialized = d;
      },
    },
  } as unknown as TokenCacheContext;
  return { ctx, state };
}

const posix = process.platform !== "win32";

test("writes only when the cache changed, atomically, mode 0600 in a 0700 folder", async () => {
  const file = path.join(dir, "nested", "cache.json");
  const plugin = new FileCachePlugin(file);
  await plugin.afterCacheAccess(context("{}", false).ctx);
  await expect(stat(file)).rejects.toMatchObject({ code: "ENOENT" });

  await plugin.afterCacheAccess(context('{"Account":{}}', true).ctx);
  expect(await readFile(file, "utf8")).toBe('{"Account":{}}');
  if (posix) {
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
  }
  expect((await readdir(path.dirname(file))).filter((f) => f.endsWith(".tmp"))).toEqual([]);
});

test("reads the file back, tightening a loose mode; a missing or corrupt file is an empty cache", async () => {
  const file = path.join(dir, "cache.json");
  const plugin = new FileCachePlugin(file);

  const missing = context("", false);
  await plugin.beforeCacheAccess(missing.ctx);
  expect(missing.state.deserialized).toBeUndefined();

  await writeFile(file, '{"Account":{}}');
  await chmod(file, 0o644);
  const loaded = context("", false);
  await plugin.beforeCacheAccess(loaded.ctx);
  expect(loaded.state.deserialized).toBe('{"Account":{}}');
  if (posix) expect((await stat(file)).mode & 0o777).toBe(0o600);

  await writeFile(file, "{not json");
  const corrupt = context("", false);
  await plugin.beforeCacheAccess(corrupt.ctx);
  expect(corrupt.state.deserialized).toBeUndefined();
});

test("removeCacheFiles deletes only the CLI's cache files and their temporaries", async () => {
  const keep = ["notes.txt", "msal-cache-short.json"];
  const mine = ["msal-cache-0123456789abcdef.json", "msal-cache-fedcba9876543210.json"];
  const temporaries = ["msal-cache-0123456789abcdef.json.12.34.tmp", `msal-cache-0123456789abcdef.json.${"0f".repeat(16)}.tmp`];
  for (const f of [...keep, ...mine, ...temporaries]) await writeFile(path.join(dir, f), "{}");
  expect((await removeCacheFiles(dir)).sort()).toEqual(mine.map((f) => path.join(dir, f)).sort());
  expect((await readdir(dir)).sort()).toEqual(keep.sort());
  expect(await removeCacheFiles(path.join(dir, "missing"))).toEqual([]);
});

// Issue #14 item 11: another local user (or a process of ours gone wrong) plants a symlink where the
// writer will put its temporary file; the refresh tokens must not land in, nor chmod, its target.
describe("the temporary file never follows a symlink", () => {
  const plant = async () => {
    const victim = path.join(dir, "victim.txt");
    await writeFile(victim, "precious");
    await chmod(victim, 0o644);
    return victim;
  };
  const expectUntouched = async (victim: string) => {
    expect(await readFile(victim, "utf8")).toBe("precious");
    if (posix) expect((await stat(victim)).mode & 0o777).toBe(0o644);
  };

  (posix ? test : test.skip)("at the name a predictable writer would use (pid and clock)", async () => {
    const victim = await plant();
    const file = path.join(dir, "msal-cache-0123456789abcdef.json");
    const now = Date.now();
    const spy = jest.spyOn(Date, "now").mockReturnValue(now);
    try {
      await symlink(victim, `${file}.${process.pid}.${now}.tmp`);
      await writePrivateFile(file, '{"Account":{}}');
    } finally {
      spy.mockRestore();
    }
    await expectUntouched(victim);
    expect((await lstat(file)).isFile()).toBe(true);
    expect(await readFile(file, "utf8")).toBe('{"Account":{}}');
  });

  (posix ? test : test.skip)("at the exact name chosen: exclusive create refuses it and the writer picks another", async () => {
    const victim = await plant();
    const dangling = path.join(dir, "elsewhere", "created-through-link");
    const file = path.join(dir, "msal-cache-0123456789abcdef.json");
    const names = ["aaaa", "bbbb", "cccc"];
    await symlink(victim, `${file}.aaaa.tmp`);
    await symlink(dangling, `${file}.bbbb.tmp`);
    await writePrivateFile(file, '{"Account":{}}', { tempSuffix: () => names.shift() ?? "zzzz" });
    await expectUntouched(victim);
    await expect(stat(dangling)).rejects.toMatchObject({ code: "ENOENT" });
    expect((await lstat(file)).isFile()).toBe(true);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, "utf8")).toBe('{"Account":{}}');
    // the planted links are left alone (they are not ours to delete); no temporary of ours remains
    expect((await readdir(dir)).filter((f) => f.endsWith(".tmp")).sort()).toEqual(["msal-cache-0123456789abcdef.json.aaaa.tmp", "msal-cache-0123456789abcdef.json.bbbb.tmp"]);
  });

  (posix ? test : test.skip)("a cache file that is a symlink is neither read through nor chmod-ed", async () => {
    const victim = await plant();
    const file = path.join(dir, "msal-cache-0123456789abcdef.json");
    await writeFile(victim, '{"Account":{"planted":{}}}');
    await chmod(victim, 0o644);
    await symlink(victim, file);
    const loaded = context("", false);
    await new FileCachePlugin(file).beforeCacheAccess(loaded.ctx);
    expect(loaded.state.deserialized).toBeUndefined();
    expect((await stat(victim)).mode & 0o777).toBe(0o644);
    // the next write replaces the link with a private file of our own
    await new FileCachePlugin(file).afterCacheAccess(context('{"Account":{}}', true).ctx);
    expect((await lstat(file)).isFile()).toBe(true);
    expect(await readFile(victim, "utf8")).toBe('{"Account":{"planted":{}}}');
  });
});
