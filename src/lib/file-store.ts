import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import type { CredentialStore, SecretValue, StoredSet, StoreFault } from './credential-set.js';
import { checkFolder, createNew, FileStoreProblem, readChecked, replaceAtomically, shellPath, syncFolder } from './file-store/guard.js';
import { allFields, decrypt, deriveKeys, encrypt, newKeyText, parseKey, parseStore, serialiseStore, type Entry, type Keys, type Slot } from './file-store/format.js';
import { withLock } from './file-store/lock.js';
import { createLogger } from './logger.js';
import { decodeMetadata, encodeMetadata } from './set-metadata.js';

/**
 * The embedded store for running locally: the same interface and semantics as the Secrets Manager
 * store (versions with current/previous, idempotent writes, deletion with a recovery window), in
 * one JSON file. Secret values are encrypted with AES-256-GCM under a key generated on first save
 * into a 0600 file; metadata stays readable, like Secrets Manager tags, but every entry carries an
 * HMAC binding its metadata to its values, so an edit to the file shows as damage.
 *
 * Hardening (issue #13): the folder and files must be the user's own, closed to others and no
 * links (file-store/guard.ts); writers in any number of processes take turns (file-store/lock.ts)
 * and replace the file atomically; environment names are only data (a Map); a corrupt file, a
 * missing or wrong key is reported as such and a key is never made over existing data; a set that
 * cannot be read is left out of readValues and logged, never failing the others.
 *
 * Faults answer `unavailable` (nothing was changed) with the reason, and how to fix it, logged.
 */

export interface FileStoreOptions {
  /** A folder of its own, e.g. .local/creds (git-ignored). */
  dir: string;
  prefix: string;
  hmacKey: string;
  /** Where refusals and unreadable sets are reported; a warn-level logger on stdout if none. */
  logger?: FileStoreLog;
  /** How long a write waits for another process's turn (default 10 s; a save's deadline shortens it). */
  lockTimeoutMs?: number;
}

export interface FileStoreLog {
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

const KEY_FILE = 'key';
const DATA_FILE = 'store.json';
const LOCK_TIMEOUT_MS = 10_000;

interface Loaded {
  keys: Keys;
  slots: Map<string, Slot>;
}

let fallbackLog: FileStoreLog | undefined;

export function createFileStore(options: FileStoreOptions): CredentialStore {
  const dir = options.dir;
  const paths = { data: join(dir, DATA_FILE), key: join(dir, KEY_FILE) };
  const log = (): FileStoreLog => options.logger ?? (fallbackLog ??= createLogger('warn'));
  const nameOf = (environment: string) => `${options.prefix}${environment}`;

  let queue: Promise<unknown> = Promise.resolve();
  /**
   * One operation at a time in this process (other processes: the lock); any fault is logged with
   * its reason and answered `unavailable`, as nothing was changed.
   */
  const run = <T>(operation: string, work: () => Promise<T>): Promise<T | StoreFault> => {
    const guarded = async (): Promise<T | StoreFault> => {
      try {
        return await work();
      } catch (error) {
        report(log(), operation, error);
        // The problem's message names the file and the fix, never a secret.
        return { kind: 'unavailable', detail: error instanceof FileStoreProblem ? `The local credential store cannot be used: ${error.message}` : 'The local credential store failed; the server\'s log says why.' };
      }
    };
    const next = queue.then(guarded, guarded);
    queue = next.catch(() => undefined);
    return next;
  };

  /**
   * The key and the sets. `create`: a first save may make the folder and the key, and only when no
   * data file exists. undefined: nothing stored yet. The data file is read before the key, so a
   * reader racing a first save never takes a fresh store for a lost key.
   */
  async function load(create: boolean): Promise<Loaded | undefined> {
    if (!(await checkFolder(dir, create))) return undefined;
    const data = await readChecked(paths.data, 'the data file');
    let keyText = await readChecked(paths.key, 'the key file');
    if (keyText === undefined) {
      if (data !== undefined) {
        throw new FileStoreProblem(
          'key_missing',
          paths.key,
          `the key file ${paths.key} is missing, but ${paths.data} holds credential sets encrypted under it: they cannot be read without it. ` +
            `Put the key back from a backup; do-creds never makes a new key over existing data. To start afresh instead, move the data aside: ` +
            `mv ${shellPath(paths.data)} ${shellPath(`${paths.data}.lost`)}`,
        );
      }
      if (!create) return undefined;
      keyText = Buffer.from(newKeyText());
      await createNew(paths.key, keyText);
      await syncFolder(dir);
    }
    const keys = deriveKeys(parseKey(keyText, paths.key));
    return { keys, slots: data === undefined ? new Map<string, Slot>() : parseStore(data, keys, paths) };
  }

  /** Read-modify-write under the lock; the folder is made first (the lock lives in it). */
  async function change<T>(create: boolean, deadline: number | undefined, work: (loaded: Loaded | undefined) => Promise<T>): Promise<T> {
    if (!(await checkFolder(dir, create))) return work(undefined);
    const budget = options.lockTimeoutMs ?? LOCK_TIMEOUT_MS;
    const timeout = deadline === undefined ? budget : Math.max(0, Math.min(budget, deadline - Date.now()));
    return withLock(dir, timeout, async () => work(await load(create)));
  }

  const persist = (loaded: Loaded) => replaceAtomically(paths.data, serialiseStore(loaded.slots, loaded.keys));

  function toStoredSet(env: string, slot: Slot): StoredSet {
    if (slot.kind === 'malformed') {
      const { metadata } = decodeMetadata(env, {});
      return { name: nameOf(env), metadata, damaged: allFields(metadata), currentVersion: undefined };
    }
    const { metadata, damaged } = decodeMetadata(env, slot.entry.metadata);
    const currentVersion = slot.entry.versions.find((v) => v.stage === 'current')?.id;
    // An entry failing its HMAC: none of its metadata can be trusted.
    return { name: nameOf(env), metadata, damaged: slot.authentic ? damaged : allFields(metadata), currentVersion };
  }

  const visible = (slot: Slot | undefined): slot is Slot => slot !== undefined && !(slot.kind === 'entry' && slot.entry.deletionDate !== undefined);

  function list(): ReturnType<CredentialStore['list']> {
    return run('list', async () => {
      const loaded = await load(false);
      const sets = [...(loaded?.slots ?? [])]
        .filter(([, slot]) => visible(slot))
        .map(([env, slot]) => toStoredSet(env, slot))
        .sort((a, b) => a.metadata.environment.localeCompare(b.metadata.environment));
      return { kind: 'ok' as const, sets };
    });
  }

  return {
    description: `the encrypted local file store (${paths.data})`,
    kind: 'file',
    nameOf,

    save(version, deadline) {
      return run('save', () =>
        change(true, deadline, async (loaded) => {
          if (loaded === undefined) throw new Error('the store folder was not created');
          const env = version.metadata.environment;
          const plaintext = JSON.stringify(version.value);
          const id = createHmac('sha256', options.hmacKey).update(`${version.idempotencyKey}\0${plaintext}`).digest('hex');
          const slot = loaded.slots.get(env);
          if (slot?.kind === 'malformed') {
            log().warn({ event: 'file_store_entry_replaced', environment: env }, `the damaged entry of ${env} in ${paths.data} is replaced by the new save`);
          }
          const existing = slot?.kind === 'entry' ? slot.entry : undefined;
          const deleted = existing?.deletionDate !== undefined;
          const entry: Entry = existing ?? { metadata: {}, versions: [] };
          delete entry.deletionDate; // a save within the recovery window brings the set back
          const seal = () => {
            entry.metadata = encodeMetadata({ ...version.metadata, describesVersion: id });
            loaded.slots.set(env, { kind: 'entry', entry, authentic: true });
          };
          const already = entry.versions.find((v) => v.id === id);
          if (already && !deleted) {
            const current = already.stage === 'current';
            if (current) seal();
            await persist(loaded);
            return { kind: 'ok' as const, outcome: 'unchanged' as const, name: nameOf(env), versionId: id, current, metadataWritten: true };
          }
          if (!already) {
            for (const v of entry.versions) v.stage = v.stage === 'current' ? 'previous' : 'old';
            entry.versions.push({ id, ...encrypt(loaded.keys, env, plaintext), stage: 'current', createdAt: new Date().toISOString() });
          }
          seal();
          await persist(loaded);
          const outcome = slot === undefined ? 'created' : deleted ? 'restored' : 'updated';
          return { kind: 'ok' as const, outcome, name: nameOf(env), versionId: id, metadataWritten: true };
        }),
      );
    },

    describe(environment) {
      return run('describe', async () => {
        const slot = (await load(false))?.slots.get(environment);
        return { kind: 'ok' as const, set: visible(slot) ? toStoredSet(environment, slot) : undefined };
      });
    },

    list,

    async listPage() {
      // One page: the embedded store is small and local.
      const all = await list();
      return all.kind === 'ok' ? { kind: 'ok', sets: all.sets, cursor: undefined } : all;
    },

    delete(environment, recoveryDays) {
      return run('delete', () =>
        change(false, undefined, async (loaded) => {
          const slot = loaded?.slots.get(environment);
          if (loaded === undefined || slot === undefined || (slot.kind === 'entry' && slot.entry.deletionDate !== undefined)) {
            return { kind: 'ok' as const, deletionDate: undefined };
          }
          const deletionDate = new Date(Date.now() + recoveryDays * 86_400_000);
          if (slot.kind === 'malformed') {
            log().warn({ event: 'file_store_entry_replaced', environment }, `the damaged entry of ${environment} in ${paths.data} is replaced by its deletion`);
            loaded.slots.set(environment, { kind: 'entry', entry: { metadata: {}, versions: [], deletionDate: deletionDate.toISOString() }, authentic: true });
          } else {
            slot.entry.deletionDate = deletionDate.toISOString();
          }
          await persist(loaded);
          return { kind: 'ok' as const, deletionDate };
        }),
      );
    },

    updateMetadata(environment, patch) {
      return run('update metadata', () =>
        change(false, undefined, async (loaded): Promise<{ kind: 'ok' } | StoreFault> => {
          const slot = loaded?.slots.get(environment);
          if (loaded === undefined || slot === undefined) return { kind: 'unavailable' };
          if (slot.kind === 'malformed') {
            log().warn({ event: 'file_store_set_damaged', environment }, `the entry of ${environment} in ${paths.data} is damaged; its metadata were not updated (save it again to repair it)`);
            return { kind: 'unavailable' };
          }
          // Metadata failing their HMAC are not carried over: sealing them would make an edit look authentic.
          const base = slot.authentic ? toStoredSet(environment, slot).metadata : { environment };
          slot.entry.metadata = encodeMetadata({ ...base, ...patch });
          slot.authentic = true;
          await persist(loaded);
          return { kind: 'ok' };
        }),
      );
    },

    readValues(environments) {
      return run('read values', async () => {
        const loaded = await load(false);
        const values = new Map<string, SecretValue>();
        const versions = new Map<string, string>();
        // As BatchGetSecretValue lists a secret it cannot read under Errors: the others are still answered.
        const unreadable = (environment: string, reason: string) =>
          log().warn({ event: 'file_store_set_unreadable', environment, reason }, `left ${environment} out: its entry in ${paths.data} ${reason}`);
        for (const env of loaded ? environments : []) {
          const slot = loaded!.slots.get(env);
          if (slot === undefined || (slot.kind === 'entry' && slot.entry.deletionDate !== undefined)) continue;
          if (slot.kind === 'malformed') {
            unreadable(env, 'is damaged (not a valid entry)');
            continue;
          }
          if (!slot.authentic) {
            unreadable(env, 'fails its integrity check (edited outside do-creds)');
            continue;
          }
          const current = slot.entry.versions.find((v) => v.stage === 'current');
          if (!current) continue;
          let value: unknown;
          try {
            value = JSON.parse(decrypt(loaded!.keys, env, current));
          } catch {
            unreadable(env, 'cannot be decrypted (damaged, or moved from another environment)');
            continue;
          }
          if (typeof value !== 'object' || value === null || typeof (value as Partial<SecretValue>).do_token !== 'string') {
            unreadable(env, 'holds no credential value');
            continue;
          }
          values.set(env, value as SecretValue);
          versions.set(env, current.id);
        }
        return { kind: 'ok' as const, values, versions };
      });
    },
  };
}

/** The reason, plainly; never a secret (no file content, no parser message). */
function report(log: FileStoreLog, operation: string, error: unknown): void {
  if (error instanceof FileStoreProblem) {
    log.error({ event: 'file_store_refused', operation, problem: error.problem, path: error.path }, error.message);
    return;
  }
  const e = error as Partial<NodeJS.ErrnoException> | undefined;
  log.error(
    { event: 'file_store_failed', operation, code: e?.code, syscall: e?.syscall, path: e?.path },
    `the embedded store could not ${operation}: ${e?.code ?? e?.name ?? 'unexpected error'}${e?.path ? ` (${e.path})` : ''}`,
  );
}
