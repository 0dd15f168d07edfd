import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CredentialStore, SecretValue, SetMetadata, StoredSet } from './credential-set.js';
import { decodeMetadata, encodeMetadata, type RawMetadata } from './set-metadata.js';

/**
 * The embedded store for running locally: the same interface and semantics as the Secrets Manager
 * store (versions with current/previous, idempotent writes, deletion with a recovery window),
 * in one JSON file. Secret values are encrypted with AES-256-GCM under a key generated on first run
 * into a 0600 file; metadata stays readable, like Secrets Manager tags, but carries an HMAC under a
 * key derived from the same key, so an edit to the file shows as damaged metadata. Only this module
 * touches those files.
 */

export interface FileStoreOptions {
  /** A folder of its own, e.g. .local/creds (git-ignored). */
  dir: string;
  prefix: string;
  hmacKey: string;
}

interface Version {
  id: string;
  iv: string;
  tag: string;
  data: string;
  stage: 'current' | 'previous' | 'old';
  createdAt: string;
}

interface Entry {
  /** Strings, as Secrets Manager tags are, checked the same way when read. */
  metadata: RawMetadata;
  /** HMAC-SHA256 of the environment and the metadata; missing or wrong: the metadata are damaged. */
  metadataMac?: string;
  versions: Version[];
  deletionDate?: string;
}

interface StoreFile {
  version: 1;
  sets: Record<string, Entry>;
}

const KEY_FILE = 'key';
const DATA_FILE = 'store.json';

export function createFileStore(options: FileStoreOptions): CredentialStore {
  let queue: Promise<unknown> = Promise.resolve();
  /** One operation at a time: every change is a read-modify-write of the file. */
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };
  const nameOf = (environment: string) => `${options.prefix}${environment}`;

  function list(): ReturnType<CredentialStore['list']> {
    return serial(async () => {
      const { key, file } = await open(options.dir);
      const sets = Object.entries(file.sets)
        .filter(([, e]) => !e.deletionDate)
        .map(([env, e]) => toStoredSet(key, nameOf(env), env, e))
        .sort((a, b) => a.metadata.environment.localeCompare(b.metadata.environment));
      return { kind: 'ok', sets };
    });
  }

  return {
    description: `the encrypted local file store (${join(options.dir, DATA_FILE)})`,
    nameOf,

    save(version) {
      return serial(async () => {
        const { key, file } = await open(options.dir);
        const env = version.metadata.environment;
        const plaintext = JSON.stringify(version.value);
        const id = createHmac('sha256', options.hmacKey).update(`${version.idempotencyKey}\0${plaintext}`).digest('hex');
        const existing = Object.hasOwn(file.sets, env) ? file.sets[env] : undefined;
        const deleted = existing?.deletionDate !== undefined;
        const entry: Entry = existing ?? { metadata: {}, versions: [] };
        delete entry.deletionDate; // a save within the recovery window brings the set back
        const already = entry.versions.find((v) => v.id === id);
        if (already && !deleted) {
          const current = already.stage === 'current';
          if (current) seal(key, env, entry, { ...version.metadata, describesVersion: id });
          await persist(options.dir, file);
          return { kind: 'ok', outcome: 'unchanged', name: nameOf(env), versionId: id, current, metadataWritten: true };
        }
        if (!already) {
          for (const v of entry.versions) v.stage = v.stage === 'current' ? 'previous' : 'old';
          entry.versions.push({ id, ...encrypt(key, env, plaintext), stage: 'current', createdAt: new Date().toISOString() });
        }
        seal(key, env, entry, { ...version.metadata, describesVersion: id });
        file.sets[env] = entry;
        await persist(options.dir, file);
        const outcome = existing === undefined ? 'created' : deleted ? 'restored' : 'updated';
        return { kind: 'ok', outcome, name: nameOf(env), versionId: id, metadataWritten: true };
      });
    },

    describe(environment) {
      return serial(async () => {
        const { file } = await open(options.dir);
        const { key } = await open(options.dir);
        const entry = Object.hasOwn(file.sets, environment) ? file.sets[environment] : undefined;
        const set = entry && !entry.deletionDate ? toStoredSet(key, nameOf(environment), environment, entry) : undefined;
        return { kind: 'ok', set };
      });
    },

    list,

    async listPage() {
      // One page: the embedded store is small and local.
      const all = await list();
      return all.kind === 'ok' ? { kind: 'ok', sets: all.sets, cursor: undefined } : all;
    },

    delete(environment, recoveryDays) {
      return serial(async () => {
        const { file } = await open(options.dir);
        const entry = file.sets[environment];
        if (!entry || entry.deletionDate) return { kind: 'ok', deletionDate: undefined };
        const deletionDate = new Date(Date.now() + recoveryDays * 86_400_000);
        entry.deletionDate = deletionDate.toISOString();
        await persist(options.dir, file);
        return { kind: 'ok', deletionDate };
      });
    },

    updateMetadata(environment, patch) {
      return serial(async () => {
        const { key, file } = await open(options.dir);
        const entry = Object.hasOwn(file.sets, environment) ? file.sets[environment] : undefined;
        if (!entry) return { kind: 'unavailable' };
        seal(key, environment, entry, { ...toStoredSet(key, nameOf(environment), environment, entry).metadata, ...patch });
        await persist(options.dir, file);
        return { kind: 'ok' };
      });
    },

    readValues(environments) {
      return serial(async () => {
        const { key, file } = await open(options.dir);
        const values = new Map<string, SecretValue>();
        const versions = new Map<string, string>();
        for (const env of environments) {
          const entry = Object.hasOwn(file.sets, env) ? file.sets[env] : undefined;
          const current = entry?.deletionDate ? undefined : entry?.versions.find((v) => v.stage === 'current');
          if (!current) continue;
          values.set(env, JSON.parse(decrypt(key, env, current)) as SecretValue);
          versions.set(env, current.id);
        }
        return { kind: 'ok', values, versions };
      });
    },
  };
}

/** Reads the key (creating it, 0600, on first use) and the data file. */
async function open(dir: string): Promise<{ key: Buffer; file: StoreFile }> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const keyPath = join(dir, KEY_FILE);
  let key: Buffer;
  try {
    key = Buffer.from((await readFile(keyPath, 'utf8')).trim(), 'base64');
  } catch {
    key = randomBytes(32);
    await writeFile(keyPath, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' }).catch(async () => {
      key = Buffer.from((await readFile(keyPath, 'utf8')).trim(), 'base64'); // created meanwhile
    });
  }
  if (key.length !== 32) throw new Error(`the key in ${keyPath} is not 32 bytes`);
  let file: StoreFile = { version: 1, sets: {} };
  try {
    file = JSON.parse(await readFile(join(dir, DATA_FILE), 'utf8')) as StoreFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return { key, file };
}

/** Writes to a temporary file and renames it over the old one, so a crash never leaves half a file. */
async function persist(dir: string, file: StoreFile): Promise<void> {
  const path = join(dir, DATA_FILE);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(file, null, 2), { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

function encrypt(key: Buffer, env: string, plaintext: string): { iv: string; tag: string; data: string } {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(env)); // a value cannot be moved to another environment unnoticed
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
}

function decrypt(key: Buffer, env: string, v: Version): string {
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(v.iv, 'base64'));
  decipher.setAAD(Buffer.from(env));
  decipher.setAuthTag(Buffer.from(v.tag, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(v.data, 'base64')), decipher.final()]).toString('utf8');
}

/** Stores metadata as strings with their HMAC; fields absent from `m` are dropped, as untagging does. */
function seal(key: Buffer, env: string, entry: Entry, m: SetMetadata): void {
  entry.metadata = encodeMetadata(m);
  entry.metadataMac = metadataMac(key, env, entry.metadata);
}

function metadataMac(key: Buffer, env: string, metadata: RawMetadata): string {
  const macKey = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'do-creds metadata', 32));
  const fields = Object.entries(metadata).sort(([a], [b]) => a.localeCompare(b));
  return createHmac('sha256', macKey).update(JSON.stringify([env, fields])).digest('base64');
}

/** The set as stored, its metadata checked: an HMAC that does not match marks every field damaged. */
function toStoredSet(key: Buffer, name: string, env: string, entry: Entry): StoredSet {
  const { metadata, damaged } = decodeMetadata(env, entry.metadata);
  const expected = Buffer.from(metadataMac(key, env, entry.metadata));
  const actual = Buffer.from(entry.metadataMac ?? '');
  const authentic = actual.length === expected.length && timingSafeEqual(actual, expected);
  const currentVersion = entry.versions.find((v) => v.stage === 'current')?.id;
  if (authentic) return { name, metadata, damaged, currentVersion };
  return { name, metadata, damaged: Object.keys(metadata) as (keyof SetMetadata)[], currentVersion };
}
