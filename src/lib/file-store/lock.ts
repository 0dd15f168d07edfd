import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createNew, FileStoreProblem } from './guard.js';

/**
 * One writer at a time across processes (two `npm start`s, a script beside the server): a lock
 * file created with O_EXCL in the store's folder, naming its holder. Changes are read-modify-write
 * of one file, so without it a second process overwrites the first one's saves.
 *
 * A holder that died leaves its lock behind: it is stale when its process no longer runs on this
 * machine, or when it is older than any change takes (STALE_MS). Breakers take a second lock and
 * look again before removing it, so two of them never remove each other's fresh lock.
 */

const LOCK_FILE = 'lock';
/** A change takes milliseconds; a lock this old was left by a process that hung or died elsewhere. */
const STALE_MS = 30_000;
/** A lock without a readable holder is being written (microseconds) or was left half-made. */
const UNNAMED_STALE_MS = 2_000;
/** The breaker's own lock is held for microseconds. */
const BREAKER_STALE_MS = 5_000;

interface Holder {
  pid: number;
  host: string;
  nonce: string;
}

interface Seen {
  raw: string;
  holder: Holder | undefined;
  ino: number;
  ageMs: number;
}

/** Runs `work` holding the folder's lock; waits at most `timeoutMs` for it (a FileStoreProblem 'locked' then). */
export async function withLock<T>(dir: string, timeoutMs: number, work: () => Promise<T>): Promise<T> {
  const path = join(dir, LOCK_FILE);
  const nonce = randomBytes(8).toString('hex');
  const until = Date.now() + timeoutMs;
  let pause = 1;
  while (!(await tryCreate(path, JSON.stringify({ pid: process.pid, host: hostname(), nonce })))) {
    if (await breakIfStale(path)) continue;
    if (Date.now() >= until) {
      const seen = await look(path);
      const who = seen?.holder ? `process ${seen.holder.pid} on ${seen.holder.host}` : 'another process';
      throw new FileStoreProblem(
        'locked',
        path,
        `the embedded store is locked by ${who} (${path}) and was not released within ${Math.round(timeoutMs / 1000)} s. ` +
          `If no do-creds process is running, remove the lock: rm ${path}`,
      );
    }
    await new Promise((r) => setTimeout(r, pause + Math.random() * pause));
    pause = Math.min(pause * 2, 20);
  }
  try {
    return await work();
  } finally {
    // Only our own: a lock broken as stale meanwhile may now be someone else's.
    const seen = await look(path).catch(() => undefined);
    if (seen?.holder?.nonce === nonce) await unlink(path).catch(() => undefined);
  }
}

async function tryCreate(path: string, content: string): Promise<boolean> {
  try {
    await createNew(path, content);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** The lock as it is now; undefined when there is none. */
async function look(path: string): Promise<Seen | undefined> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const st = await handle.stat();
    const raw = await handle.readFile('utf8');
    return { raw, holder: parseHolder(raw), ino: st.ino, ageMs: Date.now() - st.mtimeMs };
  } finally {
    await handle.close();
  }
}

function parseHolder(raw: string): Holder | undefined {
  try {
    const h = JSON.parse(raw) as Partial<Holder> | null;
    return typeof h?.pid === 'number' && typeof h.host === 'string' && typeof h.nonce === 'string' ? (h as Holder) : undefined;
  } catch {
    return undefined;
  }
}

function stale(seen: Seen): boolean {
  if (seen.holder === undefined) return seen.ageMs > UNNAMED_STALE_MS;
  if (seen.holder.host === hostname() && !running(seen.holder.pid)) return true;
  return seen.ageMs > STALE_MS;
}

function running(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // runs, as another user
  }
}

/** True when the lock is gone (removed here or by its holder): try again at once. */
async function breakIfStale(path: string): Promise<boolean> {
  const seen = await look(path);
  if (seen === undefined) return true;
  if (!stale(seen)) return false;
  const breaker = `${path}.break`;
  if (!(await tryCreate(breaker, String(process.pid)))) {
    const st = await lstat(breaker).catch(() => undefined);
    if (st && Date.now() - st.mtimeMs > BREAKER_STALE_MS) await unlink(breaker).catch(() => undefined);
    return false;
  }
  try {
    const again = await look(path);
    if (again && again.ino === seen.ino && again.raw === seen.raw && stale(again)) await unlink(path);
  } finally {
    await unlink(breaker).catch(() => undefined);
  }
  return true;
}
