import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { lstat, mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * The embedded store's files are only ever opened here: the folder must be a real folder (not a
 * link) of the user running do-creds, closed to everyone else, and its files are opened without
 * following links, so nobody else can plant, redirect or read them. Every refusal says what is
 * wrong and the command that fixes it; none ever carries a secret.
 */

export type Problem = 'insecure' | 'corrupt' | 'key_missing' | 'key_corrupt' | 'key_mismatch' | 'locked';

/** The store will not go on: why (`problem`), where, and what to do about it (`message`). */
export class FileStoreProblem extends Error {
  override name = 'FileStoreProblem';
  constructor(
    readonly problem: Problem,
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/** 0 where the platform has no O_NOFOLLOW (Windows); everywhere else, links are never followed. */
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const CREATE_NEW = constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | NOFOLLOW;

/** A path as it can be pasted into a shell. */
export function shellPath(path: string): string {
  return /^[\w./@+:-]+$/.test(path) ? path : `'${path.replaceAll("'", `'\\''`)}'`;
}

const octal = (mode: number) => (mode & 0o777).toString(8).padStart(3, '0');

function checkOwnerAndMode(path: string, st: Stats, what: string, mode: '700' | '600'): void {
  const me = process.getuid?.();
  if (me !== undefined && st.uid !== me) {
    const chown = mode === '700' ? `sudo chown -R ${me} ${shellPath(path)}` : `sudo chown ${me} ${shellPath(path)}`;
    throw new FileStoreProblem(
      'insecure',
      path,
      `${what} ${path} belongs to another user (uid ${st.uid}), not to the user running do-creds (uid ${me}), who could have planted it or read what is in it. ` +
        `If it is yours, take it back: ${chown}; otherwise set CREDS_FILE_DIR to a folder of your own.`,
    );
  }
  // Windows has no owner/group/other bits (ACLs instead): there the check is the folder's own ACL.
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
    throw new FileStoreProblem(
      'insecure',
      path,
      `${what} ${path} is open to other users (mode ${octal(st.mode)}); only its owner may use it. Fix it with: chmod ${mode} ${shellPath(path)}`,
    );
  }
}

/**
 * Checks the store's folder (lstat: a link is refused, never followed). Missing: created 0700 when
 * `create`, else false (nothing stored yet).
 */
export async function checkFolder(dir: string, create: boolean): Promise<boolean> {
  let st = await lstat(dir).catch(missing);
  if (st === undefined) {
    if (!create) return false;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    st = await lstat(dir);
  }
  if (st.isSymbolicLink()) {
    throw new FileStoreProblem(
      'insecure',
      dir,
      `the credential folder ${dir} is a symbolic link; the embedded store only uses a real folder of its own, as a link can be pointed elsewhere. ` +
        `Remove the link (rm ${shellPath(dir)}) and start again, or set CREDS_FILE_DIR to a folder of your own.`,
    );
  }
  if (!st.isDirectory()) {
    throw new FileStoreProblem('insecure', dir, `the credential folder ${dir} is not a folder. Move it aside (mv ${shellPath(dir)} ${shellPath(`${dir}.old`)}) or set CREDS_FILE_DIR elsewhere.`);
  }
  checkOwnerAndMode(dir, st, 'the credential folder', '700');
  return true;
}

/** A file of the store, read without following a link and checked like the folder; undefined if missing. */
export async function readChecked(path: string, what: string): Promise<Buffer | undefined> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    // ELOOP on Linux and macOS, EMLINK on FreeBSD: the last part of the path is a link.
    if (code === 'ELOOP' || code === 'EMLINK') {
      throw new FileStoreProblem(
        'insecure',
        path,
        `${what} ${path} is a symbolic link; the embedded store never follows one (it could point at a file someone else reads or wrote). ` +
          `Remove it (rm ${shellPath(path)}) and put the real file there, made by you with chmod 600.`,
      );
    }
    throw error;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new FileStoreProblem('insecure', path, `${what} ${path} is not a regular file. Move it aside (mv ${shellPath(path)} ${shellPath(`${path}.old`)}).`);
    checkOwnerAndMode(path, st, what, '600');
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** Creates a file that must not exist yet (0600, no link followed), with its content on disk. */
export async function createNew(path: string, content: string | Buffer): Promise<void> {
  const handle = await open(path, CREATE_NEW, 0o600);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes a temporary file (0600, synced) and renames it over `path`: readers see the old file or the new one, never half. */
export async function replaceAtomically(path: string, content: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await createNew(tmp, content);
    await rename(tmp, path);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
  await syncFolder(dirname(path));
}

/** So a rename or a new file survives a crash; best effort (not every platform can sync a folder). */
export async function syncFolder(dir: string): Promise<void> {
  try {
    const handle = await open(dir, constants.O_RDONLY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Windows and some file systems cannot: the rename itself is still atomic.
  }
}

function missing(error: unknown): undefined {
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
  throw error;
}
