import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeTokenAccess, encodeTokenAccess } from './digitalocean/scopes.js';
import type { CredentialStore, SecretValue, SetMetadata, StoredSet } from './credential-set.js';

/**
 * The embedded store for running locally: the same interface and semantics as the Secrets Manager
 * store (versions with current/previous, idempotent writes, deletion with a recovery window),
 * in one JSON file. Secret values are encrypted with AES-256-GCM under a key generated on first run
 * into a 0600 file; metadata stays readable, like Secrets Manager tags. Only this module touches
 * those files.
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
  metadata: SerializedMetadata;
  versions: Version[];
  deletionDate?: string;
}

type SerializedMetadata = Omit<SetMetadata, 'expiresAt' | 'submittedAt' | 'validatedAt' | 'tokenAccess'> & {
  /** The same compact form as the Secrets Manager tag, checked when read back. */
  tokenAccess?: string;
  expiresAt: string | null;
  submittedAt: string;
  validatedAt: string;
};

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

  return {
    description: `the encrypted local file store (${join(options.dir, DATA_FILE)})`,
    nameOf,

    save(version) {
      return serial(async () => {
        const { key, file } = await open(options.dir);
        const env = version.metadata.environment;
        const plaintext = JSON.stringify(version.value);
        const id = createHmac('sha256', options.hmacKey).update(`${version.idempotencyKey}\0${plaintext}`).digest('hex');
        const existing = file.sets[env];
        const created = existing === undefined;
        const entry: Entry = existing ?? { metadata: serialize(version.metadata), versions: [] };
        delete entry.deletionDate; // a save within the recovery window brings the set back
        if (!entry.versions.some((v) => v.id === id)) {
          for (const v of entry.versions) v.stage = v.stage === 'current' ? 'previous' : 'old';
          entry.versions.push({ id, ...encrypt(key, env, plaintext), stage: 'current', createdAt: new Date().toISOString() });
        }
        entry.metadata = serialize(version.metadata);
        file.sets[env] = entry;
        await persist(options.dir, file);
        return { kind: 'ok', created, name: nameOf(env) };
      });
    },

    describe(environment) {
      return serial(async () => {
        const { file } = await open(options.dir);
        const entry = file.sets[environment];
        const set = entry && !entry.deletionDate ? toStoredSet(nameOf(environment), entry) : undefined;
        return { kind: 'ok', set };
      });
    },

    list() {
      return serial(async () => {
        const { file } = await open(options.dir);
        const sets = Object.entries(file.sets)
          .filter(([, e]) => !e.deletionDate)
          .map(([env, e]) => toStoredSet(nameOf(env), e))
          .sort((a, b) => a.metadata.environment.localeCompare(b.metadata.environment));
        return { kind: 'ok', sets };
      });
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
        const { file } = await open(options.dir);
        const entry = file.sets[environment];
        if (!entry) return { kind: 'unavailable' };
        entry.metadata = serialize({ ...deserialize(entry.metadata), ...patch });
        await persist(options.dir, file);
        return { kind: 'ok' };
      });
    },

    readValues(environments) {
      return serial(async () => {
        const { key, file } = await open(options.dir);
        const values = new Map<string, SecretValue>();
        for (const env of environments) {
          const current = file.sets[env]?.versions.find((v) => v.stage === 'current');
          if (current) values.set(env, JSON.parse(decrypt(key, env, current)) as SecretValue);
        }
        return { kind: 'ok', values };
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

function serialize(m: SetMetadata): SerializedMetadata {
  const { tokenAccess, ...rest } = m;
  return {
    ...rest,
    ...(tokenAccess ? { tokenAccess: encodeTokenAccess(tokenAccess) } : {}),
    expiresAt: m.expiresAt?.toISOString() ?? null,
    submittedAt: m.submittedAt.toISOString(),
    validatedAt: m.validatedAt.toISOString(),
  };
}

function deserialize(m: SerializedMetadata): SetMetadata {
  return {
    ...m,
    tokenAccess: decodeTokenAccess(m.tokenAccess),
    expiresAt: m.expiresAt === null ? undefined : new Date(m.expiresAt),
    submittedAt: new Date(m.submittedAt),
    validatedAt: new Date(m.validatedAt),
  };
}

function toStoredSet(name: string, entry: Entry): StoredSet {
  return { name, metadata: deserialize(entry.metadata) };
}
