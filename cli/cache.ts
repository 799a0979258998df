import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { mkdir, open, readdir, rename, rm, type FileHandle } from "node:fs/promises";
import path from "node:path";
import type { ICachePlugin, TokenCacheContext } from "@azure/msal-node";

/**
 * MSAL's token cache persisted in one JSON file that only the user can read (0600, in a 0700
 * folder). It holds refresh tokens: treat it like a password file.
 *
 * Writes go to a temporary file that is renamed over the old one, so a crash or Ctrl-C never
 * leaves a half-written cache. The temporary file has an unpredictable name and is created
 * exclusively, and neither it nor the cache file is ever opened through a symlink: whoever can
 * plant a link in the folder cannot make the CLI write its refresh tokens to, or chmod, another file. Two CLI runs at the same moment may lose one of their updates (last
 * rename wins); that costs a sign-in, never a corrupt file. On Windows the mode bits are ignored and
 * the file inherits the ACL of %APPDATA%, which is already private to the user.
 */
export class FileCachePlugin implements ICachePlugin {
  constructor(readonly file: string) {}

  async beforeCacheAccess(context: TokenCacheContext): Promise<void> {
    const data = await readPrivateFile(this.file);
    if (data === undefined) return;
    try {
      JSON.parse(data);
    } catch {
      return; // a corrupt file is treated as empty; the next write replaces it
    }
    context.tokenCache.deserialize(data);
  }

  async afterCacheAccess(context: TokenCacheContext): Promise<void> {
    if (!context.cacheHasChanged) return;
    await writePrivateFile(this.file, context.tokenCache.serialize());
  }
}

/** The cache files this CLI writes (one per authority and client id), and their leftover temporaries. */
export const CACHE_FILE = /^msal-cache-[0-9a-f]{16}\.json$/;
// `.<random hex>.tmp` now; `.<pid>.<time>.tmp` from versions before the exclusive create.
const CACHE_TEMP = /^msal-cache-[0-9a-f]{16}\.json\.(?:[0-9a-f]{32}|\d+\.\d+)\.tmp$/;

/** Deletes every CLI token cache file in `dir` (all authorities: emulator runs and tenants); returns their paths. */
export async function removeCacheFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!CACHE_FILE.test(name) && !CACHE_TEMP.test(name)) continue;
    await rm(path.join(dir, name), { force: true });
    if (CACHE_FILE.test(name)) removed.push(path.join(dir, name));
  }
  return removed;
}

// O_NOFOLLOW: open fails (ELOOP) when the last path component is a symlink. Windows has no symlink
// planting by other users in %APPDATA% and no such flag; there it is 0.
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;
const CREATE_EXCLUSIVE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NO_FOLLOW;
const MAX_TEMP_ATTEMPTS = 5;

export interface WriteOptions {
  /** Test seam: the random part of the temporary file's name. */
  tempSuffix?: () => string;
}

/**
 * Writes `data` atomically to `file` with mode 0600, creating the folder with mode 0700. The
 * temporary file is created exclusively (O_EXCL, so an existing file or symlink of that name is
 * refused, never followed) with a random name beside `file`, then renamed over it (rename replaces
 * a symlink at `file` itself, not its target).
 */
export async function writePrivateFile(file: string, data: string, options: WriteOptions = {}): Promise<void> {
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const suffix = options.tempSuffix ?? (() => randomBytes(16).toString("hex"));
  for (let attempt = 1; ; attempt++) {
    const tmp = `${file}.${suffix()}.tmp`;
    let handle: FileHandle;
    try {
      handle = await open(tmp, CREATE_EXCLUSIVE, 0o600);
    } catch (e) {
      // Someone else's file or link holds this name: leave it alone and pick another name.
      if ((e as NodeJS.ErrnoException).code === "EEXIST" && attempt < MAX_TEMP_ATTEMPTS) continue;
      throw e;
    }
    try {
      await handle.chmod(0o600); // the mode given to open is filtered by the umask; make it exact
      await handle.writeFile(data, "utf8");
      await handle.close();
      await rename(tmp, file);
      return;
    } catch (e) {
      await handle.close().catch(() => undefined);
      await rm(tmp, { force: true });
      throw e;
    }
  }
}

/**
 * The cache file's content, or undefined when there is none. A symlink in its place is not read
 * through (undefined: the next write replaces the link); a file readable by group or others
 * (copied around, restored from a backup) is made private again through the open handle.
 */
async function readPrivateFile(file: string): Promise<string | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(file, constants.O_RDONLY | NO_FOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ELOOP") return undefined;
    throw e;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) return undefined;
    if (process.platform !== "win32" && (info.mode & 0o077) !== 0) await handle.chmod(0o600);
    return await handle.readFile("utf8");
  } finally {
    await handle.close();
  }
}
