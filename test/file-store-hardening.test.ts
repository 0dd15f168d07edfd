import { spawn } from 'node:child_process';
import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { chmod, chown, lstat, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DigitalOceanClient } from '../src/lib/digitalocean/client.js';
import { createFileStore, type FileStoreLog } from '../src/lib/file-store.js';
import { createLogger } from '../src/lib/logger.js';
import { createMemoryLedger } from '../src/lib/queue/ledger.js';
import { runScanBatch } from '../src/lib/scan/batch.js';
import { fakeDoToken } from './support/credentials.js';
import { newVersion } from './support/new-version.js';

/** Issue #13: the embedded store's hardening, one test (or more) each. */

const version = newVersion;

interface Logged {
  level: 'warn' | 'error';
  details: Record<string, unknown>;
  message: string;
}

function storeAt(dir: string) {
  const logged: Logged[] = [];
  const logger: FileStoreLog = {
    warn: (details, message) => logged.push({ level: 'warn', details: details as Record<string, unknown>, message }),
    error: (details, message) => logged.push({ level: 'error', details: details as Record<string, unknown>, message }),
  };
  return { store: createFileStore({ dir, prefix: 'p/', hmacKey: 'k', logger }), logged, messages: () => logged.map((l) => l.message).join('\n') };
}

type StoreFile = { version: number; keyCheck?: string; sets: Record<string, { metadata: Record<string, string>; mac?: string; metadataMac?: string; versions: { data: string }[] }> };
const readStore = async (dir: string) => JSON.parse(await readFile(join(dir, 'store.json'), 'utf8')) as StoreFile;
const writeStore = (dir: string, file: unknown) => writeFile(join(dir, 'store.json'), JSON.stringify(file));

let root: string;
let n = 0;
const folder = () => join(root, `s${(n += 1)}`);
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'do-creds-hardening-'));
});

describe('the embedded store refuses files it does not own', () => {
  it('refuses a symlinked key file, and never reads or writes through it', async () => {
    const dir = folder();
    await mkdir(dir, { mode: 0o700 });
    // Another user's key (known to them), planted as a link: credentials saved under it would be theirs to read.
    const planted = join(root, 'planted-key');
    await writeFile(planted, randomBytes(32).toString('base64') + '\n', { mode: 0o600 });
    await symlink(planted, join(dir, 'key'));
    const { store, logged, messages } = storeAt(dir);
    expect(await store.save(version('prod'))).toMatchObject({ kind: 'unavailable' });
    expect(await store.list()).toMatchObject({ kind: 'unavailable' });
    expect(logged[0]).toMatchObject({ level: 'error', details: { event: 'file_store_refused', problem: 'insecure' } });
    expect(messages()).toContain(`${join(dir, 'key')} is a symbolic link`);
    expect(messages()).toContain(`rm ${join(dir, 'key')}`);
    await expect(stat(join(dir, 'store.json'))).rejects.toThrow();

    // A dangling link: the store would have created its new key where the link points.
    const dangling = folder();
    await mkdir(dangling, { mode: 0o700 });
    await symlink(join(root, 'where-the-key-would-go'), join(dangling, 'key'));
    expect(await storeAt(dangling).store.save(version('prod'))).toMatchObject({ kind: 'unavailable' });
    await expect(stat(join(root, 'where-the-key-would-go'))).rejects.toThrow();
  });

  it('refuses a symlinked data file and a symlinked folder', async () => {
    const dir = folder();
    const { store } = storeAt(dir);
    await store.save(version('prod'));
    const elsewhere = join(root, 'elsewhere.json');
    await writeFile(elsewhere, await readFile(join(dir, 'store.json')));
    await rm(join(dir, 'store.json'));
    await symlink(elsewhere, join(dir, 'store.json'));
    const data = storeAt(dir);
    expect(await data.store.describe('prod')).toMatchObject({ kind: 'unavailable' });
    expect(data.messages()).toContain('the data file');
    expect(data.messages()).toContain('is a symbolic link');

    const real = folder();
    await storeAt(real).store.save(version('prod'));
    const linked = folder();
    await symlink(real, linked);
    const viaLink = storeAt(linked);
    expect(await viaLink.store.list()).toMatchObject({ kind: 'unavailable' });
    expect(viaLink.messages()).toContain(`the credential folder ${linked} is a symbolic link`);
  });

  it('refuses a folder or key file others can read, naming the chmod that fixes it', async () => {
    const dir = folder();
    const { store, messages } = storeAt(dir);
    await store.save(version('prod'));
    await chmod(dir, 0o755);
    expect(await store.describe('prod')).toMatchObject({ kind: 'unavailable' });
    expect(messages()).toContain(`the credential folder ${dir} is open to other users (mode 755)`);
    expect(messages()).toContain(`chmod 700 ${dir}`);
    await chmod(dir, 0o700);
    await chmod(join(dir, 'key'), 0o640);
    expect(await store.readValues(['prod'])).toMatchObject({ kind: 'unavailable' });
    expect(messages()).toContain(`chmod 600 ${join(dir, 'key')}`);
    await chmod(join(dir, 'key'), 0o600);
    expect(await store.readValues(['prod'])).toMatchObject({ kind: 'ok' });
  });

  it.skipIf(process.getuid?.() !== 0)('refuses a folder or key file that belongs to another user', async () => {
    const dir = folder();
    const { store, messages } = storeAt(dir);
    await store.save(version('prod'));
    await chown(join(dir, 'key'), 65534, 65534);
    expect(await store.readValues(['prod'])).toMatchObject({ kind: 'unavailable' });
    expect(messages()).toContain(`the key file ${join(dir, 'key')} belongs to another user (uid 65534)`);
    expect(messages()).toContain(`sudo chown 0 ${join(dir, 'key')}`);
    await chown(join(dir, 'key'), 0, 0);
    await chown(dir, 65534, 65534);
    expect(await store.save(version('prod'))).toMatchObject({ kind: 'unavailable' });
    expect(messages()).toContain(`sudo chown -R 0 ${dir}`);
  });

  it('makes its folder 0700 and its files 0600, and writes nothing when only read', async () => {
    const dir = join(folder(), 'nested', 'creds');
    const { store } = storeAt(dir);
    expect(await store.list()).toEqual({ kind: 'ok', sets: [] });
    await expect(lstat(dir)).rejects.toThrow(); // a read creates nothing, no key least of all
    await store.save(version('prod'));
    expect((await lstat(dir)).mode & 0o777).toBe(0o700);
    expect((await lstat(join(dir, 'key'))).mode & 0o777).toBe(0o600);
    expect((await lstat(join(dir, 'store.json'))).mode & 0o777).toBe(0o600);
    await expect(lstat(join(dir, 'lock'))).rejects.toThrow(); // released
  });
});

describe('writers in several processes', () => {
  it('two writer processes × 200 saves lose nothing', async () => {
    const dir = folder();
    const script = fileURLToPath(new URL('./support/file-store-writer.ts', import.meta.url));
    const startAt = String(Date.now() + 1_500);
    const writer = (label: string) =>
      new Promise<{ ok: number; problems: string[] }>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', script, dir, label, '200', startAt], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.on('error', reject);
        child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as { ok: number; problems: string[] }) : reject(new Error(`writer ${label} exited ${code}: ${err}`))));
      });
    const [a, b] = await Promise.all([writer('a'), writer('b')]);
    expect(a).toEqual({ ok: 200, problems: [] });
    expect(b).toEqual({ ok: 200, problems: [] });
    const { store } = storeAt(dir);
    const listed = await store.list();
    expect(listed.kind === 'ok' && listed.sets.length).toBe(400);
    expect(listed.kind === 'ok' && listed.sets.filter((s) => s.damaged.length > 0)).toEqual([]);
    const envs = listed.kind === 'ok' ? listed.sets.map((s) => s.metadata.environment) : [];
    const values = await store.readValues(envs);
    expect(values.kind === 'ok' && values.values.size).toBe(400);
  }, 120_000);

  it('takes over a lock left by a process that died', async () => {
    const dir = folder();
    const { store } = storeAt(dir);
    await store.save(version('prod'));
    // A pid that is not running (beyond the kernel's pid_max) on this host.
    await writeFile(join(dir, 'lock'), JSON.stringify({ pid: 2 ** 22 + 1, host: (await import('node:os')).hostname(), nonce: 'dead' }), { mode: 0o600 });
    expect(await store.save(version('prod'))).toMatchObject({ kind: 'ok', outcome: 'updated' });
  });

  it('answers unavailable, naming the lock, when another process holds it too long', async () => {
    const dir = folder();
    await storeAt(dir).store.save(version('prod'));
    await writeFile(join(dir, 'lock'), JSON.stringify({ pid: process.ppid, host: (await import('node:os')).hostname(), nonce: 'busy' }), { mode: 0o600 });
    const logged: string[] = [];
    const store = createFileStore({ dir, prefix: 'p/', hmacKey: 'k', lockTimeoutMs: 200, logger: { warn: () => undefined, error: (_d, m) => logged.push(m) } });
    expect(await store.save(version('prod'))).toMatchObject({ kind: 'unavailable' });
    expect(logged.join('\n')).toContain(`locked by process ${process.ppid}`);
    expect(logged.join('\n')).toContain(`rm ${join(dir, 'lock')}`);
  });
});

describe('environment names are only data', () => {
  it('`constructor`, `toString` and `__proto__` are environments like any other', async () => {
    const dir = folder();
    const { store } = storeAt(dir);
    // Before anything is stored under them: no inherited Object.prototype member is taken for a set.
    expect(await store.describe('constructor')).toEqual({ kind: 'ok', set: undefined });
    expect(await store.delete('constructor', 30)).toEqual({ kind: 'ok', deletionDate: undefined });
    expect(await store.updateMetadata('constructor', { validation: 'revoked' })).toMatchObject({ kind: 'unavailable' });
    await store.save(version('prod'));
    expect(await store.describe('constructor')).toEqual({ kind: 'ok', set: undefined });
    expect(await store.delete('tostring', 30)).toEqual({ kind: 'ok', deletionDate: undefined });
    const none = await store.readValues(['constructor', 'toString', '__proto__', 'hasOwnProperty']);
    expect(none.kind === 'ok' && none.values.size).toBe(0);

    const saved = version('constructor');
    expect(await store.save(saved)).toMatchObject({ kind: 'ok', outcome: 'created', name: 'p/constructor' });
    // Not a form-valid name, but the store takes it as data all the same (and pollutes nothing).
    expect(await store.save(version('__proto__'))).toMatchObject({ kind: 'ok', outcome: 'created' });
    expect(({} as Record<string, unknown>).do_token).toBeUndefined();

    const again = storeAt(dir).store; // read back from disk
    const found = await again.describe('constructor');
    expect(found.kind === 'ok' && found.set?.damaged).toEqual([]);
    const listed = await again.list();
    expect(listed.kind === 'ok' && listed.sets.map((s) => s.metadata.environment)).toEqual(['__proto__', 'constructor', 'prod']);
    const values = await again.readValues(['constructor', '__proto__']);
    expect(values.kind === 'ok' && values.values.get('constructor')?.do_token).toBe(saved.value.do_token);
    expect(values.kind === 'ok' && values.values.has('__proto__')).toBe(true);
    expect(await again.updateMetadata('constructor', { alertedThreshold: 7 })).toEqual({ kind: 'ok' });
    expect((await again.delete('constructor', 7)).kind).toBe('ok');
    expect(await again.describe('constructor')).toEqual({ kind: 'ok', set: undefined });
  });
});

describe('metadata are bound to their values', () => {
  it("another set's metadata on a value show as damaged, and that value is not used", async () => {
    const dir = folder();
    const { store, logged } = storeAt(dir);
    await store.save(version('prod'));
    await store.save(version('staging'));
    const file = await readStore(dir);
    const prod = file.sets.prod!;
    const staging = file.sets.staging!;
    [prod.metadata, prod.mac, staging.metadata, staging.mac] = [staging.metadata, staging.mac, prod.metadata, prod.mac];
    await writeStore(dir, file);
    const found = await store.describe('prod');
    expect(found.kind === 'ok' && found.set?.damaged.length).toBeGreaterThan(10);
    const values = await store.readValues(['prod', 'staging']);
    expect(values.kind === 'ok' && values.values.size).toBe(0);
    expect(logged.filter((l) => l.details.event === 'file_store_set_unreadable').map((l) => l.details.environment)).toEqual(['prod', 'staging']);
  });

  it("a set's earlier metadata put back beside its rotated value show as damaged", async () => {
    const dir = folder();
    const { store } = storeAt(dir);
    await store.save(version('prod'));
    const before = (await readStore(dir)).sets.prod!;
    await store.save(version('prod'));
    const file = await readStore(dir);
    file.sets.prod!.metadata = before.metadata;
    file.sets.prod!.mac = before.mac;
    await writeStore(dir, file);
    const found = await store.describe('prod');
    expect(found.kind === 'ok' && found.set?.damaged).toContain('tokenFingerprint');
  });

  it('an update never makes metadata edited on disk look authentic', async () => {
    const dir = folder();
    const { store } = storeAt(dir);
    await store.save(version('prod'));
    const file = await readStore(dir);
    file.sets.prod!.metadata.spacesRegion = 'sfo3';
    await writeStore(dir, file);
    expect(await store.updateMetadata('prod', { validation: 'revoked' })).toEqual({ kind: 'ok' });
    const found = await store.describe('prod');
    expect(found.kind === 'ok' && found.set?.metadata.spacesRegion).toBe('');
    expect(found.kind === 'ok' && found.set?.metadata.validation).toBe('revoked');
    expect(found.kind === 'ok' && found.set?.damaged).toContain('spacesRegion');
  });

  it('reads a store written before entries were sealed whole, and upgrades it on the next write', async () => {
    const dir = folder();
    const { store } = storeAt(dir);
    const v = version('prod');
    await store.save(v);
    // As the earlier format had it: version 1, an HMAC over the environment and metadata only.
    const key = Buffer.from((await readFile(join(dir, 'key'), 'utf8')).trim(), 'base64');
    const file = await readStore(dir);
    const entry = file.sets.prod!;
    const macKey = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'do-creds metadata', 32));
    const fields = Object.entries(entry.metadata).sort(([a], [b]) => a.localeCompare(b));
    entry.metadataMac = createHmac('sha256', macKey).update(JSON.stringify(['prod', fields])).digest('base64');
    delete entry.mac;
    await writeStore(dir, { version: 1, sets: file.sets });
    const found = await store.describe('prod');
    expect(found.kind === 'ok' && found.set?.damaged).toEqual([]);
    await store.save(version('staging'));
    const upgraded = await readStore(dir);
    expect(upgraded.version).toBe(2);
    expect(upgraded.sets.prod?.mac).toBeDefined();
    const values = await storeAt(dir).store.readValues(['prod']);
    expect(values.kind === 'ok' && values.values.get('prod')?.do_token).toBe(v.value.do_token);
  });
});

describe('a corrupt file or a missing key is said so', () => {
  it('a corrupt data file is reported as corrupt (never as "not found") and never overwritten', async () => {
    const dir = folder();
    const { store, logged, messages } = storeAt(dir);
    await store.save(version('prod'));
    const secret = fakeDoToken();
    const garbage = `{"version": 2, "sets": {"prod": "${secret}"`;
    await writeFile(join(dir, 'store.json'), garbage);
    expect(await store.describe('prod')).toMatchObject({ kind: 'unavailable' });
    expect(await store.list()).toMatchObject({ kind: 'unavailable' });
    expect(await store.save(version('staging'))).toMatchObject({ kind: 'unavailable' });
    expect(await store.delete('prod', 30)).toMatchObject({ kind: 'unavailable' });
    expect(await readFile(join(dir, 'store.json'), 'utf8')).toBe(garbage);
    expect(logged[0]?.details).toMatchObject({ event: 'file_store_refused', problem: 'corrupt' });
    expect(messages()).toContain(`the data file ${join(dir, 'store.json')} is corrupt (not valid JSON`);
    expect(messages()).toContain(`mv ${join(dir, 'store.json')} ${join(dir, 'store.json.corrupt')}`);
    expect(messages()).not.toContain(secret);
  });

  it('a missing key beside existing data is reported, and no new key is made over the data', async () => {
    const dir = folder();
    const { store, logged, messages } = storeAt(dir);
    await store.save(version('prod'));
    await rm(join(dir, 'key'));
    expect(await store.readValues(['prod'])).toMatchObject({ kind: 'unavailable' });
    expect(await store.save(version('prod'))).toMatchObject({ kind: 'unavailable' });
    await expect(stat(join(dir, 'key'))).rejects.toThrow();
    expect(logged[0]?.details).toMatchObject({ problem: 'key_missing' });
    expect(messages()).toContain(`the key file ${join(dir, 'key')} is missing`);
    expect(messages()).toContain('never makes a new key over existing data');
  });

  it('a key that is not the one the data were encrypted under, or a damaged one, is reported as such', async () => {
    const dir = folder();
    const { store, logged, messages } = storeAt(dir);
    await store.save(version('prod'));
    await writeFile(join(dir, 'key'), randomBytes(32).toString('base64') + '\n', { mode: 0o600 });
    expect(await store.list()).toMatchObject({ kind: 'unavailable' });
    expect(logged.at(-1)?.details).toMatchObject({ problem: 'key_mismatch' });
    expect(messages()).toContain('is not the key the sets');
    await writeFile(join(dir, 'key'), 'not a key\n', { mode: 0o600 });
    expect(await store.list()).toMatchObject({ kind: 'unavailable' });
    expect(logged.at(-1)?.details).toMatchObject({ problem: 'key_corrupt' });
  });
});

describe('one unreadable set never stops the others', () => {
  it('readValues leaves out a set whose value cannot be decrypted, and says which', async () => {
    const dir = folder();
    const { store, logged } = storeAt(dir);
    const prod = version('prod');
    await store.save(prod);
    await store.save(version('staging'));
    const file = await readStore(dir);
    // Moved from another environment: authenticated encryption refuses it.
    file.sets.staging!.versions = file.sets.prod!.versions;
    await writeStore(dir, file);
    const values = await store.readValues(['prod', 'staging']);
    expect(values.kind === 'ok' && [...values.values.keys()]).toEqual(['prod']);
    expect(values.kind === 'ok' && values.values.get('prod')?.do_token).toBe(prod.value.do_token);
    expect(logged).toEqual([expect.objectContaining({ level: 'warn', details: expect.objectContaining({ event: 'file_store_set_unreadable', environment: 'staging' }) as unknown })]);
    expect(JSON.stringify(logged)).not.toContain(prod.value.do_token);
  });

  it('a malformed entry is listed as damaged while the others read normally', async () => {
    const dir = folder();
    const { store } = storeAt(dir);
    await store.save(version('prod'));
    await store.save(version('staging'));
    const file = (await readStore(dir)) as unknown as { sets: Record<string, unknown> };
    file.sets.staging = { metadata: 'x', versions: 3 };
    await writeStore(dir, file);
    const listed = await store.list();
    expect(listed.kind === 'ok' && listed.sets.map((s) => [s.metadata.environment, s.damaged.length > 0])).toEqual([
      ['prod', false],
      ['staging', true],
    ]);
    const values = await store.readValues(['prod', 'staging']);
    expect(values.kind === 'ok' && [...values.values.keys()]).toEqual(['prod']);
    // A new save repairs it; the other sets were kept as they were.
    expect(await store.save(version('staging'))).toMatchObject({ kind: 'ok', outcome: 'updated' });
    const after = await store.readValues(['prod', 'staging']);
    expect(after.kind === 'ok' && after.values.size).toBe(2);
  });

  it('the scan checks every other set when one cannot be read', async () => {
    const dir = folder();
    const { store } = storeAt(dir);
    for (const env of ['a', 'b', 'c']) await store.save(version(env));
    const file = await readStore(dir);
    file.sets.b!.versions[0]!.data = Buffer.from('tampered').toString('base64');
    await writeStore(dir, file);
    const asked: string[] = [];
    const digitalocean = {
      getAccount: (token: string) => {
        asked.push(token);
        return Promise.resolve({ kind: 'ok', account: { email: undefined, teamName: undefined, status: 'active', statusMessage: undefined } });
      },
    } as unknown as DigitalOceanClient;
    const tally = await runScanBatch(
      {
        kind: 'scan-batch',
        id: 'scan:1',
        runAt: new Date().toISOString(),
        sets: ['a', 'b', 'c'].map((environment) => ({ environment, validation: 'ok' as const, check: true, repair: false })),
      },
      {
        store,
        digitalocean,
        alerts: { sendAll: (alerts) => Promise.resolve(alerts.map(() => true)) },
        queue: { description: 'none', send: () => Promise.resolve(true) },
        ledger: createMemoryLedger(),
        logger: createLogger('silent'),
        thresholds: [30, 7],
        concurrency: 2,
        deadline: Date.now() + 60_000,
      },
    );
    expect(tally.checked).toBe(2);
    expect(asked).toHaveLength(2);
  });
});
