import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SetMetadata } from '../credential-set.js';
import type { RawMetadata } from '../set-metadata.js';
import { FileStoreProblem, shellPath } from './guard.js';

/**
 * The data file: one JSON object, `sets` keyed by environment. Read into a Map, so any environment
 * name (`constructor`, `__proto__`) is only data. Each entry carries an HMAC over everything in it
 * (environment, metadata, deletion date, every version with its ciphertext), so metadata cannot be
 * edited, moved to another set or paired with another value unnoticed; values are AES-256-GCM with
 * the environment as associated data. A malformed entry is kept as it is and shown damaged: one bad
 * set never makes the others unreadable. Version 1 files (metadata-only HMAC) are read and upgraded
 * on the next write.
 */

export interface Version {
  id: string;
  iv: string;
  tag: string;
  data: string;
  stage: 'current' | 'previous' | 'old';
  createdAt: string;
}

export interface Entry {
  /** Strings, as Secrets Manager tags are, checked the same way when read. */
  metadata: RawMetadata;
  versions: Version[];
  deletionDate?: string | undefined;
  /** As read: kept for an entry that fails its check, so it stays damaged. */
  mac?: string | undefined;
}

/** `authentic`: its HMAC matched when read, or this process wrote it. */
export type Slot = { kind: 'entry'; entry: Entry; authentic: boolean } | { kind: 'malformed'; raw: unknown };

export interface Keys {
  encryption: Buffer;
  mac: Buffer;
  legacyMac: Buffer;
  check: string;
}

export interface Paths {
  data: string;
  key: string;
}

const FORMAT = 2;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function deriveKeys(key: Buffer): Keys {
  const sub = (info: string) => Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), info, 32));
  return {
    encryption: key,
    mac: sub('do-creds entry v2'),
    legacyMac: sub('do-creds metadata'),
    // Tells a wrong key (replaced, from another store) from damaged sets.
    check: createHmac('sha256', sub('do-creds key check')).update('do-creds').digest('base64'),
  };
}

/** The key file's content: 32 bytes, base64. */
export function parseKey(text: Buffer, path: string): Buffer {
  const b64 = text.toString('utf8').trim();
  const key = Buffer.from(b64, 'base64');
  if (!BASE64.test(b64) || key.length !== 32) {
    throw new FileStoreProblem(
      'key_corrupt',
      path,
      `the key file ${path} is corrupt (not a 32-byte base64 key), so the credential sets cannot be read. ` +
        `Put the key back from a backup; do-creds never makes a new key while sets encrypted under the old one exist.`,
    );
  }
  return key;
}

export const newKeyText = (): string => randomBytes(32).toString('base64') + '\n';

export function parseStore(text: Buffer, keys: Keys, paths: Paths): Map<string, Slot> {
  const aside = `mv ${shellPath(paths.data)} ${shellPath(`${paths.data}.corrupt`)}`;
  const corrupt = (what: string) =>
    new FileStoreProblem(
      'corrupt',
      paths.data,
      `the data file ${paths.data} is corrupt (${what}); do-creds will not read or overwrite it. Restore it from a backup, or move it aside to start afresh: ${aside}`,
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.toString('utf8'));
  } catch {
    // Never the parser's message: it quotes the file.
    throw corrupt(`not valid JSON, ${text.length} bytes`);
  }
  if (!isRecord(parsed)) throw corrupt('not a JSON object');
  const version = own(parsed, 'version');
  if (version !== 1 && version !== FORMAT) throw corrupt(`unknown format version ${JSON.stringify(version)?.slice(0, 20)}`);
  const sets = own(parsed, 'sets');
  if (!isRecord(sets)) throw corrupt('no "sets" object');
  if (version === FORMAT && own(parsed, 'keyCheck') !== keys.check) {
    throw new FileStoreProblem(
      'key_mismatch',
      paths.key,
      `the key file ${paths.key} is not the key the sets in ${paths.data} were encrypted under (replaced, or from another store), so they cannot be read. ` +
        `Put the right key back from a backup; do-creds never makes a new key while sets encrypted under the old one exist.`,
    );
  }
  const slots = new Map<string, Slot>();
  for (const [env, raw] of Object.entries(sets)) {
    const entry = parseEntry(raw);
    if (entry === undefined) {
      slots.set(env, { kind: 'malformed', raw });
      continue;
    }
    const authentic =
      version === FORMAT ? sameMac(entry.mac, entryMac(keys, env, entry)) : sameMac(stringOrUndefined(own(raw as Record<string, unknown>, 'metadataMac')), legacyMetadataMac(keys, env, entry.metadata));
    slots.set(env, { kind: 'entry', entry: { ...entry, mac: version === FORMAT ? entry.mac : undefined }, authentic });
  }
  return slots;
}

export function serialiseStore(slots: Map<string, Slot>, keys: Keys): string {
  const sets = Object.create(null) as Record<string, unknown>;
  for (const [env, slot] of slots) {
    if (slot.kind === 'malformed') {
      sets[env] = slot.raw;
      continue;
    }
    const { metadata, versions, deletionDate } = slot.entry;
    // An entry that failed its check keeps a failing HMAC: writing never launders it.
    const mac = slot.authentic ? entryMac(keys, env, slot.entry) : (slot.entry.mac ?? 'unverified');
    sets[env] = { metadata, mac, versions, ...(deletionDate === undefined ? {} : { deletionDate }) };
  }
  return JSON.stringify({ version: FORMAT, keyCheck: keys.check, sets }, null, 2);
}

function entryMac(keys: Keys, env: string, entry: Entry): string {
  const versions = entry.versions.map((v) => [v.id, v.stage, v.createdAt, v.iv, v.tag, v.data]);
  return createHmac('sha256', keys.mac)
    .update(JSON.stringify(['entry', env, sortedFields(entry.metadata), entry.deletionDate ?? null, versions]))
    .digest('base64');
}

function legacyMetadataMac(keys: Keys, env: string, metadata: RawMetadata): string {
  return createHmac('sha256', keys.legacyMac).update(JSON.stringify([env, sortedFields(metadata)])).digest('base64');
}

const sortedFields = (metadata: RawMetadata) => Object.entries(metadata).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

function sameMac(actual: string | undefined, expected: string): boolean {
  const a = Buffer.from(actual ?? '');
  const e = Buffer.from(expected);
  return a.length === e.length && timingSafeEqual(a, e);
}

function parseEntry(raw: unknown): Entry | undefined {
  if (!isRecord(raw)) return undefined;
  const metadata = own(raw, 'metadata');
  const versions = own(raw, 'versions');
  const deletionDate = own(raw, 'deletionDate');
  const mac = own(raw, 'mac');
  if (!isRecord(metadata) || !Array.isArray(versions)) return undefined;
  if (deletionDate !== undefined && (typeof deletionDate !== 'string' || Number.isNaN(Date.parse(deletionDate)))) return undefined;
  if (mac !== undefined && typeof mac !== 'string') return undefined;
  const parsedVersions = versions.map(parseVersion);
  if (parsedVersions.some((v) => v === undefined)) return undefined;
  // Only string fields, in an object without a prototype; anything else fails the HMAC and shows as damaged.
  const fields = Object.create(null) as Record<string, string>;
  for (const [k, v] of Object.entries(metadata)) if (typeof v === 'string') fields[k] = v;
  return { metadata: fields, versions: parsedVersions as Version[], deletionDate, mac };
}

function parseVersion(raw: unknown): Version | undefined {
  if (!isRecord(raw)) return undefined;
  const [id, iv, tag, data, stage, createdAt] = ['id', 'iv', 'tag', 'data', 'stage', 'createdAt'].map((k) => own(raw, k));
  const strings = [id, iv, tag, data, createdAt].every((s) => typeof s === 'string');
  if (!strings || (stage !== 'current' && stage !== 'previous' && stage !== 'old')) return undefined;
  return { id, iv, tag, data, stage, createdAt } as Version;
}

export function encrypt(keys: Keys, env: string, plaintext: string): { iv: string; tag: string; data: string } {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keys.encryption, iv);
  cipher.setAAD(Buffer.from(env)); // a value cannot be moved to another environment unnoticed
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
}

/** Throws when the value was altered, moved from another environment or encrypted under another key. */
export function decrypt(keys: Keys, env: string, v: Version): string {
  const decipher = createDecipheriv('aes-256-gcm', keys.encryption, Buffer.from(v.iv, 'base64'), { authTagLength: 16 });
  decipher.setAAD(Buffer.from(env));
  decipher.setAuthTag(Buffer.from(v.tag, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(v.data, 'base64')), decipher.final()]).toString('utf8');
}

/** Every metadata field, for a set none of whose metadata can be trusted. */
export const allFields = (m: SetMetadata): (keyof SetMetadata)[] => Object.keys(m) as (keyof SetMetadata)[];

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const own = (o: Record<string, unknown>, key: string): unknown => (Object.hasOwn(o, key) ? o[key] : undefined);
const stringOrUndefined = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
