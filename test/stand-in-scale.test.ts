import { BatchGetSecretValueCommand, ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSecretsManager, type FakeSecretsManager } from './support/fake-secrets-manager.js';

/**
 * The Secrets Manager stand-in at the benchmark's scale: 100,000 stored sets, listed 100 at a time
 * through the real SDK and read 20 at a time. Correctness only; how fast it goes is the benchmark's
 * business (npm run bench), so there is no timing assertion here.
 */

const SETS = 100_000;
const PAGE = 100;
const DAY = 86_400_000;
const NOW = Date.parse('2026-11-24T09:00:00Z');

/** Tags as do-creds writes them (cf. seed() in expiry-scan.test.ts), made cheaply. */
function tagsFor(i: number): { Key: string; Value: string }[] {
  const env = `env-${String(i).padStart(6, '0')}`;
  const at = new Date(NOW - 10 * DAY).toISOString();
  return [
    { Key: 'do-creds:environment', Value: env },
    { Key: 'do-creds:token-expiry', Value: i % 10 === 0 ? 'never' : new Date(NOW + ((i % 400) - 20) * DAY).toISOString().slice(0, 10) },
    { Key: 'do-creds:submitted-by', Value: 'UBENCH' },
    { Key: 'do-creds:submitted-at', Value: at },
    { Key: 'do-creds:token-fingerprint', Value: String(i % 10_000).padStart(4, '0') },
    { Key: 'do-creds:spaces-key-id', Value: `DO00${String(i).padStart(16, '0')}` },
    { Key: 'do-creds:spaces-region', Value: 'nyc3' },
    { Key: 'do-creds:validation', Value: 'ok' },
    { Key: 'do-creds:validated-at', Value: at },
    { Key: 'do-creds:alert-channel', Value: 'CBENCH' },
  ];
}

function* sets(): Generator<{ name: string; value: string; tags: { Key: string; Value: string }[] }> {
  for (let i = 0; i < SETS; i += 1) {
    const value = JSON.stringify({ do_token: `dop_v1_${i}`, do_access_key: `DO00${i}`, do_secret_key: 'x', spaces_region: 'nyc3', spaces_endpoint: 'https://nyc3.digitaloceanspaces.com' });
    yield { name: `do-creds/env-${String(i).padStart(6, '0')}`, value, tags: tagsFor(i) };
  }
  // Secrets the filters must leave out: another prefix, and the prefix without do-creds' tags.
  for (let i = 0; i < 500; i += 1) {
    yield { name: `other-app/db-${i}`, value: '{}', tags: [{ Key: 'do-creds:environment', Value: `x${i}` }] };
    yield { name: `do-creds/untagged-${i}`, value: '{}', tags: [{ Key: 'team', Value: 'platform' }] };
  }
}

describe('the Secrets Manager stand-in at 100,000 secrets', () => {
  let fake: FakeSecretsManager;
  let client: SecretsManagerClient;

  beforeAll(async () => {
    fake = await startFakeSecretsManager();
    fake.seedMany(sets());
    // Fake credentials in config: the SDK never looks for real ones. One attempt: no retry hides an error.
    client = new SecretsManagerClient({
      endpoint: fake.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIASCALETEST0000000', secretAccessKey: 'not-a-real-secret-key-scale-test' },
      maxAttempts: 1,
    });
  });
  afterAll(async () => {
    client.destroy();
    await fake.close();
  });

  it('pages through every set with ListSecrets, 100 a page, each once', async () => {
    const listed: string[] = [];
    let pages = 0;
    let next: string | undefined;
    do {
      const res = await client.send(
        new ListSecretsCommand({
          Filters: [
            { Key: 'name', Values: ['do-creds/'] },
            { Key: 'tag-key', Values: ['do-creds:'] },
          ],
          MaxResults: PAGE,
          NextToken: next,
        }),
      );
      pages += 1;
      for (const s of res.SecretList ?? []) listed.push(String(s.Name));
      next = res.NextToken;
    } while (next !== undefined && pages <= SETS / PAGE + 1);
    expect(next).toBeUndefined();
    expect(pages).toBe(SETS / PAGE);
    expect(listed).toHaveLength(SETS);
    expect(new Set(listed).size).toBe(SETS);
    expect(listed.every((name) => /^do-creds\/env-\d{6}$/.test(name))).toBe(true);
  });

  it('reads 20 of them with one BatchGetSecretValue, by name or ARN', async () => {
    const chosen = Array.from({ length: 20 }, (_, i) => `do-creds/env-${String(i * 4_999).padStart(6, '0')}`).map((name) => ({ name, arn: String(fake.secret(name)?.arn) }));
    const ids = chosen.map((s, i) => (i % 2 === 0 ? s.name : s.arn));
    const res = await client.send(new BatchGetSecretValueCommand({ SecretIdList: ids }));
    expect(res.Errors ?? []).toEqual([]);
    expect((res.SecretValues ?? []).map((v) => v.Name).sort()).toEqual(chosen.map((s) => s.name).sort());
    for (const v of res.SecretValues ?? []) {
      const n = Number(/env-(\d+)$/.exec(String(v.Name))?.[1]);
      expect(JSON.parse(String(v.SecretString))).toMatchObject({ do_token: `dop_v1_${n}` });
    }
  });
});
