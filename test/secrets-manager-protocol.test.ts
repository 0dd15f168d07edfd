import { randomUUID } from 'node:crypto';
import {
  BatchGetSecretValueCommand,
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  SecretsManagerClient,
  TagResourceCommand,
  UntagResourceCommand,
  type Filter,
  type FilterNameStringType,
  type ListSecretsCommandInput,
  type Tag,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeSecretsManager, type FakeSecretsManager } from './support/fake-secrets-manager.js';
import { motoStatus, startMoto, type Moto } from './support/moto.js';

/**
 * One Secrets Manager protocol suite, two backends: our fake (test/support/fake-secrets-manager.ts)
 * and moto 5.2.1 (a second opinion, /work/shared/facts/aws.md). Both are driven through the real
 * @aws-sdk/client-secrets-manager. The fake must give AWS's documented answer every time. moto must
 * give it too, except in the cases listed in MOTO_DEVIATES, where the test asserts what moto answers
 * instead: if moto changes (fixed, or differently wrong), the moto run fails and says which entry.
 */

const AWS_API = 'https://docs.aws.amazon.com/secretsmanager/latest/apireference';

/** Where moto 5.2.1 disagrees with AWS (documentation or aws.md). `aws` is what the fake answers. */
const MOTO_DEVIATES = {
  'create-on-deleted-name': {
    source: 'aws.md (real AWS: aws/copilot-cli#655, aws-ia/terraform-aws-eks-blueprints#1733, redpanda-data/console#1835)',
    aws: 'InvalidRequestException',
    moto: 'ResourceExistsException',
  },
  'put-on-deleted': { source: 'aws.md', aws: 'InvalidRequestException', moto: 'ok' },
  'tag-on-deleted': { source: 'aws.md', aws: 'InvalidRequestException', moto: 'ok' },
  'untag-on-deleted': { source: 'aws.md (not in its list of moto faults, but moto 5.2.1 has no deletion check in untag_resource either)', aws: 'InvalidRequestException', moto: 'ok' },
  'list-immediately-consistent': {
    source: `${AWS_API}/API_ListSecrets.html: "might not reflect changes from the last five minutes" (the fake, with setListStaleness on, answers from the older state)`,
    aws: { createdListed: false, deletedListed: true },
    moto: { createdListed: true, deletedListed: false },
  },
  'token-length-error': {
    source: `${AWS_API}/API_PutSecretValue.html ClientRequestToken "Length Constraints: Minimum length of 32. Maximum length of 64"; a model constraint, answered as the validation error of CommonErrors.html`,
    aws: ['ValidationException', 'ValidationException'],
    moto: ['InvalidParameterException', 'InvalidParameterException'],
  },
  'missing-token': {
    source: 'real AWS answers "You must provide a ClientRequestToken value. We recommend a UUID-type value." (aws/aws-sdk-js-v3#4640, localstack/localstack#8308); moto makes one up',
    aws: 'InvalidRequestException',
    moto: 'ok',
  },
  'deprecated-versions-listed': {
    source: `${AWS_API}/API_DescribeSecret.html VersionIdsToStages lists versions "that have staging labels attached"; ${AWS_API}/API_ListSecretVersionIds.html IncludeDeprecated defaults to leaving unlabelled versions out`,
    aws: { describe: 2, listVersionIds: 2 },
    moto: { describe: 3, listVersionIds: 3 },
  },
  'tag-limit-on-tag': {
    source: `${AWS_API}/API_TagResource.html "Maximum number of tags per secret: 50"; aws.md "At most 50 tags per secret"`,
    aws: { outcome: 'InvalidParameterException', tags: 50 },
    moto: { outcome: 'ok', tags: 51 },
  },
  'tag-limit-on-create': { source: `${AWS_API}/API_TagResource.html "Maximum number of tags per secret: 50"`, aws: 'InvalidParameterException', moto: 'ok' },
  'tag-value-length': { source: `${AWS_API}/API_Tag.html Value "Maximum length of 256"; aws.md`, aws: 'ValidationException', moto: 'ok' },
  'tag-key-length': { source: `${AWS_API}/API_Tag.html Key "Maximum length of 128"`, aws: 'ValidationException', moto: 'ok' },
  'tag-characters': {
    source: 'TagResource points to "Service quotas for Tagging": letters, numbers, spaces and _ . : / = + - @ only',
    aws: 'ValidationException',
    moto: 'ok',
  },
  'tag-aws-prefix': { source: `${AWS_API}/API_TagResource.html "Do not use the aws: prefix"; tagging quotas: keys "can't begin with aws:"`, aws: 'InvalidParameterException', moto: 'ok' },
  'list-max-results-range': { source: `${AWS_API}/API_ListSecrets.html MaxResults "Valid Range: Minimum value of 1. Maximum value of 100."`, aws: ['ValidationException', 'ValidationException'], moto: ['ok', 'ok'] },
  'filter-values-max': {
    source: `${AWS_API}/API_Filter.html Values "Maximum number of 10 items" (real AWS: jenkinsci/aws-secrets-manager-credentials-provider-plugin#235)`,
    aws: 'ValidationException',
    moto: 'ok',
  },
  'filter-value-pattern': { source: `${AWS_API}/API_Filter.html Values "Pattern: ^\\!?[a-zA-Z0-9 :_@\\/\\+\\=\\.\\-\\!]*$"`, aws: 'ValidationException', moto: 'ok' },
  'batch-id-list-max': { source: `${AWS_API}/API_BatchGetSecretValue.html SecretIdList "Maximum number of 20 items"`, aws: 'ValidationException', moto: 'ok' },
  'quotas': {
    source: 'Secrets Manager quotas page and aws.md: TagResource + UntagResource 50 requests per second combined, not adjustable; over it, ThrottlingException (the fake, with enforceQuotas on)',
    aws: { ok: 50, ThrottlingException: 1 },
    moto: { ok: 51 },
  },
} as const satisfies Record<string, { source: string; aws: unknown; moto: unknown }>;
type Deviation = keyof typeof MOTO_DEVIATES;

interface Backend {
  name: 'fake' | 'moto';
  url: string;
  client: SecretsManagerClient;
  /** Only on the fake: its test switches. */
  fake?: FakeSecretsManager;
}

/** Fake credentials, passed in config: the SDK never looks for real ones. One attempt, no retries. */
const clientFor = (endpoint: string) =>
  new SecretsManagerClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIAPROTOCOLTEST0000', secretAccessKey: 'not-a-real-secret-key-protocol-test' },
    maxAttempts: 1,
  });

/** 'ok', or the error's name. */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (error) {
    return (error as Error).name;
  }
}

const observed = new Set<Deviation>();

/** The fake answers as AWS does; moto answers what MOTO_DEVIATES records for it. */
function expectAws(b: Backend, deviation: Deviation, actual: unknown): void {
  const d = MOTO_DEVIATES[deviation];
  if (b.name === 'moto') {
    observed.add(deviation);
    expect(actual, `moto's recorded deviation "${deviation}" (AWS: ${JSON.stringify(d.aws)}, source: ${d.source}) no longer holds`).toEqual(d.moto);
  } else {
    expect(actual, `AWS's answer for "${deviation}" (${d.source})`).toEqual(d.aws);
  }
}

const token = () => randomUUID().replaceAll('-', '');
const sorted = (names: (string | undefined)[]) => [...names].map(String).sort();

function protocolCases(get: () => Backend): void {
  const create = (name: string, value = 'v', tags: Tag[] = [], clientToken = token()) =>
    get().client.send(new CreateSecretCommand({ Name: name, SecretString: value, ClientRequestToken: clientToken, Tags: tags }));
  const put = (name: string, value: string, clientToken = token(), stages?: string[]) =>
    get().client.send(new PutSecretValueCommand({ SecretId: name, SecretString: value, ClientRequestToken: clientToken, ...(stages ? { VersionStages: stages } : {}) }));
  const value = async (name: string, stage?: string) => (await get().client.send(new GetSecretValueCommand({ SecretId: name, ...(stage ? { VersionStage: stage } : {}) }))).SecretString;
  const describeTags = async (name: string) => (await get().client.send(new DescribeSecretCommand({ SecretId: name }))).Tags ?? [];
  const list = async (filters: Filter[], extra: { IncludePlannedDeletion?: boolean } = {}) =>
    sorted((await get().client.send(new ListSecretsCommand({ Filters: filters, ...extra }))).SecretList?.map((s) => s.Name) ?? []);
  const filter = (Key: string, ...Values: string[]): Filter => ({ Key: Key as FilterNameStringType, Values });

  describe('versions and staging labels', () => {
    it('CreateSecret makes AWSCURRENT; each PutSecretValue moves AWSCURRENT and leaves AWSPREVIOUS on the version before', async () => {
      const [t1, t2, t3] = [token(), token(), token()];
      expect((await create('app/db', 'v1', [], t1)).VersionId).toBe(t1);
      expect(await value('app/db')).toBe('v1');
      const second = await put('app/db', 'v2', t2);
      expect(second.VersionId).toBe(t2);
      expect(second.VersionStages).toEqual(['AWSCURRENT']);
      expect(await value('app/db')).toBe('v2');
      expect(await value('app/db', 'AWSPREVIOUS')).toBe('v1');
      await put('app/db', 'v3', t3);
      expect(await value('app/db')).toBe('v3');
      expect(await value('app/db', 'AWSPREVIOUS')).toBe('v2');
      const described = await get().client.send(new DescribeSecretCommand({ SecretId: 'app/db' }));
      expect(described.VersionIdsToStages?.[t3]).toEqual(['AWSCURRENT']);
      expect(described.VersionIdsToStages?.[t2]).toEqual(['AWSPREVIOUS']);
      // The first version has no label left: deprecated, and not listed (AWS); moto lists it with [].
      const versionIds = (await get().client.send(new ListSecretVersionIdsCommand({ SecretId: 'app/db' }))).Versions ?? [];
      expectAws(get(), 'deprecated-versions-listed', { describe: Object.keys(described.VersionIdsToStages ?? {}).length, listVersionIds: versionIds.length });
    });

    it('a custom staging label goes to the new version and AWSCURRENT stays where it was', async () => {
      await create('app/db', 'v1');
      const custom = await put('app/db', 'v2', token(), ['CANARY']);
      expect(custom.VersionStages).toEqual(['CANARY']);
      expect(await value('app/db')).toBe('v1');
      expect(await value('app/db', 'CANARY')).toBe('v2');
    });
  });

  describe('ClientRequestToken', () => {
    it('the same token with the same value is a no-op returning the existing version', async () => {
      const t = token();
      await create('app/db', 'v1');
      const first = await put('app/db', 'v2', t);
      const again = await put('app/db', 'v2', t);
      expect(again.VersionId).toBe(first.VersionId);
      const versions = (await get().client.send(new ListSecretVersionIdsCommand({ SecretId: 'app/db' }))).Versions ?? [];
      expect(versions.map((v) => v.VersionId)).toHaveLength(2);
      expect(await value('app/db')).toBe('v2');
    });

    it('a CreateSecret retried with the same token and value is ignored; with another token the name is taken', async () => {
      const t = token();
      const first = await create('app/db', 'v1', [], t);
      expect((await create('app/db', 'v1', [], t)).VersionId).toBe(first.VersionId);
      expect(await outcome(create('app/db', 'v1', [], token()))).toBe('ResourceExistsException');
    });

    it('the same token with another value is ResourceExistsException, and nothing changes', async () => {
      const t = token();
      await create('app/db', 'v1');
      await put('app/db', 'v2', t);
      expect(await outcome(put('app/db', 'other', t))).toBe('ResourceExistsException');
      expect(await value('app/db')).toBe('v2');
    });

    it('is 32 to 64 characters', async () => {
      await create('app/db', 'v1');
      expect(await outcome(put('app/db', 'a', 'a'.repeat(32)))).toBe('ok');
      expect(await outcome(put('app/db', 'b', 'b'.repeat(64)))).toBe('ok');
      expectAws(get(), 'token-length-error', [await outcome(put('app/db', 'c', 'c'.repeat(31))), await outcome(put('app/db', 'd', 'd'.repeat(65)))]);
      expect(await value('app/db')).toBe('b');
    });

    it('is required when a request carries a value (the SDK fills it in; a raw request shows the rule)', async () => {
      const res = await fetch(get().url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': 'secretsmanager.CreateSecret',
          authorization: 'AWS4-HMAC-SHA256 Credential=AKIAPROTOCOLTEST0000/20260101/us-east-1/secretsmanager/aws4_request, SignedHeaders=host, Signature=0',
        },
        body: JSON.stringify({ Name: 'raw/no-token', SecretString: 'v' }),
      });
      const body = (await res.json()) as { __type?: string };
      expectAws(get(), 'missing-token', res.ok ? 'ok' : String(body.__type).split('#').at(-1));
    });
  });

  describe('tags', () => {
    const tags = (n: number, prefix = 'k'): Tag[] => Array.from({ length: n }, (_, i) => ({ Key: `${prefix}${i}`, Value: `v${i}` }));

    it('TagResource sets or replaces values by key; UntagResource removes keys', async () => {
      await create('app/db', 'v', [{ Key: 'team', Value: 'a' }]);
      await get().client.send(new TagResourceCommand({ SecretId: 'app/db', Tags: [{ Key: 'team', Value: 'b' }, { Key: 'env', Value: 'prod' }] }));
      expect(sorted((await describeTags('app/db')).map((t) => `${t.Key}=${t.Value}`))).toEqual(['env=prod', 'team=b']);
      await get().client.send(new UntagResourceCommand({ SecretId: 'app/db', TagKeys: ['team'] }));
      expect((await describeTags('app/db')).map((t) => t.Key)).toEqual(['env']);
    });

    it('at most 50 per secret, and a TagResource that would exceed it changes nothing', async () => {
      expectAws(get(), 'tag-limit-on-create', await outcome(create('app/too-many', 'v', tags(51))));
      await create('app/db', 'v', tags(50));
      expect(await describeTags('app/db')).toHaveLength(50);
      const adding = await outcome(get().client.send(new TagResourceCommand({ SecretId: 'app/db', Tags: [{ Key: 'k0', Value: 'changed' }, { Key: 'extra', Value: 'x' }] })));
      const after = await describeTags('app/db');
      expectAws(get(), 'tag-limit-on-tag', { outcome: adding, tags: after.length });
      // Atomic: the refused request did not even change k0's value (on moto it did: it has no limit).
      if (get().name === 'fake') expect(after.find((t) => t.Key === 'k0')?.Value).toBe('v0');
    });

    it('values up to 256 characters, keys up to 128, of letters, numbers, spaces and _ . : / = + - @', async () => {
      await create('app/db', 'v');
      const tag = (Key: string, Value: string) => outcome(get().client.send(new TagResourceCommand({ SecretId: 'app/db', Tags: [{ Key, Value }] })));
      expect(await tag('long-value', 'v'.repeat(256))).toBe('ok');
      expect(await tag('k'.repeat(128), 'v')).toBe('ok');
      expect(await tag('do-creds:submitted-at', 'Été 2026-01-01T00:00:00.000Z +=_.:/@')).toBe('ok');
      expectAws(get(), 'tag-value-length', await tag('too-long', 'v'.repeat(257)));
      expectAws(get(), 'tag-key-length', await tag('k'.repeat(129), 'v'));
      expectAws(get(), 'tag-characters', await tag('hash', 'a#b'));
      expectAws(get(), 'tag-aws-prefix', await tag('aws:mine', 'v'));
    });
  });

  describe('ListSecrets', () => {
    beforeEach(async () => {
      await create('proto/alpha', 'v', [{ Key: 'team', Value: 'a' }, { Key: 'env', Value: 'prod' }]);
      await create('proto/beta', 'v', [{ Key: 'team', Value: 'b' }]);
      await create('Proto/gamma', 'v', [{ Key: 'Team', Value: 'c' }]);
      await create('other/delta', 'v', [{ Key: 'team', Value: 'a' }]);
    });

    it('name and tag-key are case-sensitive prefix matches; values of one filter OR, filters AND', async () => {
      expect(await list([filter('name', 'proto/')])).toEqual(['proto/alpha', 'proto/beta']);
      expect(await list([filter('name', 'Proto')])).toEqual(['Proto/gamma']);
      expect(await list([filter('tag-key', 'te')])).toEqual(['other/delta', 'proto/alpha', 'proto/beta']);
      expect(await list([filter('tag-value', 'a')])).toEqual(['other/delta', 'proto/alpha']);
      expect(await list([filter('name', 'other', 'Proto')])).toEqual(['Proto/gamma', 'other/delta']);
      expect(await list([filter('name', 'proto/'), filter('tag-key', 'env')])).toEqual(['proto/alpha']);
    });

    it('refuses filter keys AWS does not document, more than 10 values, values outside the pattern, and MaxResults outside 1-100', async () => {
      const send = (input: ListSecretsCommandInput) => outcome(get().client.send(new ListSecretsCommand(input)));
      expect(await send({ Filters: [filter('secret-name', 'proto')] })).toBe('ValidationException');
      expect(await send({ Filters: [filter('name', ...Array.from({ length: 10 }, (_, i) => `n${i}`))] })).toBe('ok');
      expectAws(get(), 'filter-values-max', await send({ Filters: [filter('name', ...Array.from({ length: 11 }, (_, i) => `n${i}`))] }));
      expectAws(get(), 'filter-value-pattern', await send({ Filters: [filter('name', 'proto#')] }));
      expect([await send({ MaxResults: 1 }), await send({ MaxResults: 100 })]).toEqual(['ok', 'ok']);
      expectAws(get(), 'list-max-results-range', [await send({ MaxResults: 0 }), await send({ MaxResults: 101 })]);
    });

    it('pages with MaxResults and NextToken, each secret once', async () => {
      await create('proto/epsilon', 'v');
      await create('proto/zeta', 'v');
      const pages: string[][] = [];
      let next: string | undefined;
      do {
        const res = await get().client.send(new ListSecretsCommand({ MaxResults: 2, NextToken: next, Filters: [filter('name', 'proto/', 'Proto/')] }));
        pages.push((res.SecretList ?? []).map((s) => String(s.Name)));
        next = res.NextToken;
      } while (next);
      expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
      expect(sorted(pages.flat())).toEqual(['Proto/gamma', 'proto/alpha', 'proto/beta', 'proto/epsilon', 'proto/zeta']);
    });

    it('may not reflect the last five minutes', async () => {
      await get().client.send(new DeleteSecretCommand({ SecretId: 'other/delta', RecoveryWindowInDays: 7 }));
      get().fake?.setListStaleness(60_000);
      await create('proto/new', 'v');
      await get().client.send(new DeleteSecretCommand({ SecretId: 'proto/beta', RecoveryWindowInDays: 7 }));
      const names = await list([]);
      expectAws(get(), 'list-immediately-consistent', { createdListed: names.includes('proto/new'), deletedListed: names.includes('proto/beta') });
      // Even stale, it is a state that was: the secret deleted before the snapshot stays out.
      expect(names).not.toContain('other/delta');
    });
  });

  describe('delete with a recovery window, and restore', () => {
    it('schedules deletion (DeletedDate = DeletionDate), hides it from ListSecrets, and RestoreSecret undoes it all', async () => {
      await create('app/db', 'v1');
      const deleted = await get().client.send(new DeleteSecretCommand({ SecretId: 'app/db', RecoveryWindowInDays: 7 }));
      const in7Days = Date.now() + 7 * 86_400_000;
      expect(Math.abs((deleted.DeletionDate?.getTime() ?? 0) - in7Days)).toBeLessThan(60_000);
      const described = await get().client.send(new DescribeSecretCommand({ SecretId: 'app/db' }));
      expect(Math.abs((described.DeletedDate?.getTime() ?? 0) - (deleted.DeletionDate?.getTime() ?? 0))).toBeLessThan(2000);
      expect(await list([])).toEqual([]);
      const planned = await get().client.send(new ListSecretsCommand({ IncludePlannedDeletion: true }));
      expect(planned.SecretList?.map((s) => s.Name)).toEqual(['app/db']);
      expect(planned.SecretList?.[0]?.DeletedDate).toBeInstanceOf(Date);

      await get().client.send(new RestoreSecretCommand({ SecretId: 'app/db' }));
      expect((await get().client.send(new DescribeSecretCommand({ SecretId: 'app/db' }))).DeletedDate).toBeUndefined();
      expect(await value('app/db')).toBe('v1');
      expect(await list([])).toEqual(['app/db']);
    });

    it('recovers for 30 days by default', async () => {
      await create('app/db', 'v1');
      const deleted = await get().client.send(new DeleteSecretCommand({ SecretId: 'app/db' }));
      expect(Math.abs((deleted.DeletionDate?.getTime() ?? 0) - (Date.now() + 30 * 86_400_000))).toBeLessThan(60_000);
    });

    it('refuses a window outside 7-30 days, a window with ForceDeleteWithoutRecovery, and a second deletion', async () => {
      await create('app/db', 'v1');
      const del = (input: Omit<ConstructorParameters<typeof DeleteSecretCommand>[0], 'SecretId'>) =>
        outcome(get().client.send(new DeleteSecretCommand({ SecretId: 'app/db', ...input })));
      expect(await del({ RecoveryWindowInDays: 6 })).toBe('InvalidParameterException');
      expect(await del({ RecoveryWindowInDays: 31 })).toBe('InvalidParameterException');
      expect(await del({ RecoveryWindowInDays: 7, ForceDeleteWithoutRecovery: true })).toBe('InvalidParameterException');
      expect(await del({ RecoveryWindowInDays: 30 })).toBe('ok');
      expect(await del({ RecoveryWindowInDays: 30 })).toBe('InvalidRequestException');
    });

    it('ForceDeleteWithoutRecovery of a secret that does not exist is not ResourceNotFoundException', async () => {
      // API_DeleteSecret.html: "If you forcibly delete an already deleted or nonexistent secret, the operation does not return ResourceNotFoundException."
      expect(await outcome(get().client.send(new DeleteSecretCommand({ SecretId: 'app/never-was', ForceDeleteWithoutRecovery: true })))).toBe('ok');
    });
  });

  describe('a secret scheduled for deletion', () => {
    beforeEach(async () => {
      await create('app/db', 'v1', [{ Key: 'team', Value: 'a' }]);
      await create('app/other', 'v-other');
      await get().client.send(new DeleteSecretCommand({ SecretId: 'app/db', RecoveryWindowInDays: 7 }));
    });

    it('can be described but not read', async () => {
      expect(await outcome(get().client.send(new DescribeSecretCommand({ SecretId: 'app/db' })))).toBe('ok');
      expect(await outcome(value('app/db'))).toBe('InvalidRequestException');
    });

    it('refuses CreateSecret of its name, PutSecretValue, TagResource and UntagResource with InvalidRequestException', async () => {
      expectAws(get(), 'create-on-deleted-name', await outcome(create('app/db', 'v2')));
      expectAws(get(), 'tag-on-deleted', await outcome(get().client.send(new TagResourceCommand({ SecretId: 'app/db', Tags: [{ Key: 'team', Value: 'b' }] }))));
      expectAws(get(), 'untag-on-deleted', await outcome(get().client.send(new UntagResourceCommand({ SecretId: 'app/db', TagKeys: ['team'] }))));
      expectAws(get(), 'put-on-deleted', await outcome(put('app/db', 'v2')));
    });

    it('is an error entry in BatchGetSecretValue, not a value', async () => {
      const res = await get().client.send(new BatchGetSecretValueCommand({ SecretIdList: ['app/db', 'app/other'] }));
      expect(res.SecretValues?.map((v) => [v.Name, v.SecretString])).toEqual([['app/other', 'v-other']]);
      expect(res.Errors?.map((e) => [e.SecretId, e.ErrorCode])).toEqual([['app/db', 'InvalidRequestException']]);
    });

    it('comes back with RestoreSecret, and then takes new versions and tags', async () => {
      await get().client.send(new RestoreSecretCommand({ SecretId: 'app/db' }));
      await put('app/db', 'v2');
      await get().client.send(new TagResourceCommand({ SecretId: 'app/db', Tags: [{ Key: 'team', Value: 'b' }] }));
      expect(await value('app/db')).toBe('v2');
      expect((await describeTags('app/db')).find((t) => t.Key === 'team')?.Value).toBe('b');
    });
  });

  describe('BatchGetSecretValue', () => {
    beforeEach(async () => {
      for (const n of ['a', 'b', 'c']) await create(`batch/${n}`, `value-${n}`);
    });

    it('returns current values by id, and an error entry for an unknown id', async () => {
      const res = await get().client.send(new BatchGetSecretValueCommand({ SecretIdList: ['batch/a', 'batch/b', 'batch/c', 'batch/missing'] }));
      expect(sorted(res.SecretValues?.map((v) => `${v.Name}=${v.SecretString}`) ?? [])).toEqual(['batch/a=value-a', 'batch/b=value-b', 'batch/c=value-c']);
      expect(res.Errors?.map((e) => [e.SecretId, e.ErrorCode])).toEqual([['batch/missing', 'ResourceNotFoundException']]);
    });

    it('takes at most 20 ids, and ids or filters but not both', async () => {
      const ids = (n: number) => Array.from({ length: n }, (_, i) => `batch/x${i}`);
      expect(await outcome(get().client.send(new BatchGetSecretValueCommand({ SecretIdList: ids(20) })))).toBe('ok');
      expectAws(get(), 'batch-id-list-max', await outcome(get().client.send(new BatchGetSecretValueCommand({ SecretIdList: ids(21) }))));
      expect(await outcome(get().client.send(new BatchGetSecretValueCommand({ SecretIdList: ['batch/a'], Filters: [filter('name', 'batch/')] })))).toBe('InvalidParameterException');
    });

    it('pages through filters with MaxResults', async () => {
      const first = await get().client.send(new BatchGetSecretValueCommand({ Filters: [filter('name', 'batch/')], MaxResults: 2 }));
      expect(first.SecretValues).toHaveLength(2);
      expect(first.NextToken).toBeDefined();
      const second = await get().client.send(new BatchGetSecretValueCommand({ Filters: [filter('name', 'batch/')], MaxResults: 2, NextToken: first.NextToken }));
      expect(sorted([...(first.SecretValues ?? []), ...(second.SecretValues ?? [])].map((v) => v.Name))).toEqual(['batch/a', 'batch/b', 'batch/c']);
    });
  });

  describe('quotas', () => {
    it('TagResource and UntagResource share 50 requests per second', async () => {
      await create('app/db', 'v');
      get().fake?.enforceQuotas(true);
      const answers = await Promise.all(
        Array.from({ length: 51 }, (_, i) =>
          outcome(
            i % 2 === 0
              ? get().client.send(new TagResourceCommand({ SecretId: 'app/db', Tags: [{ Key: `k${i % 10}`, Value: 'v' }] }))
              : get().client.send(new UntagResourceCommand({ SecretId: 'app/db', TagKeys: [`k${i % 10}`] })),
          ),
        ),
      );
      const counts: Record<string, number> = {};
      for (const a of answers) counts[a] = (counts[a] ?? 0) + 1;
      expectAws(get(), 'quotas', counts);
    });
  });
}

describe('Secrets Manager protocol: the fake', () => {
  let fake: FakeSecretsManager;
  let backend: Backend;
  beforeAll(async () => {
    fake = await startFakeSecretsManager();
    backend = { name: 'fake', url: fake.url, client: clientFor(fake.url), fake };
  });
  afterAll(async () => {
    backend.client.destroy();
    await fake.close();
  });
  beforeEach(() => fake.clear());

  protocolCases(() => backend);

  describe('test switches', () => {
    const client = () => backend.client;

    it('ListSecrets catches up once the staleness has passed; quotas and staleness are off by default', async () => {
      await client().send(new CreateSecretCommand({ Name: 'app/old', SecretString: 'v', ClientRequestToken: token(), Tags: [{ Key: 'team', Value: 'a' }] }));
      fake.setListStaleness(300);
      await client().send(new CreateSecretCommand({ Name: 'app/new', SecretString: 'v', ClientRequestToken: token() }));
      await client().send(new TagResourceCommand({ SecretId: 'app/old', Tags: [{ Key: 'team', Value: 'b' }] }));
      const stale = await client().send(new ListSecretsCommand({}));
      expect(stale.SecretList?.map((s) => s.Name)).toEqual(['app/old']);
      expect(stale.SecretList?.[0]?.Tags).toEqual([{ Key: 'team', Value: 'a' }]);
      // DescribeSecret is not ListSecrets: it reads the current state.
      expect((await client().send(new DescribeSecretCommand({ SecretId: 'app/old' }))).Tags).toEqual([{ Key: 'team', Value: 'b' }]);
      await new Promise((r) => setTimeout(r, 350));
      const fresh = await client().send(new ListSecretsCommand({}));
      expect(sorted(fresh.SecretList?.map((s) => s.Name) ?? [])).toEqual(['app/new', 'app/old']);
      expect(fresh.SecretList?.find((s) => s.Name === 'app/old')?.Tags).toEqual([{ Key: 'team', Value: 'b' }]);

      fake.clear();
      await client().send(new CreateSecretCommand({ Name: 'app/db', SecretString: 'v', ClientRequestToken: token() }));
      expect((await client().send(new ListSecretsCommand({}))).SecretList).toHaveLength(1);
      const many = await Promise.all(Array.from({ length: 60 }, () => outcome(client().send(new TagResourceCommand({ SecretId: 'app/db', Tags: [{ Key: 'k', Value: 'v' }] })))));
      expect(many.every((a) => a === 'ok')).toBe(true);
    });

    it('a quota frees up after a second', async () => {
      await client().send(new CreateSecretCommand({ Name: 'app/db', SecretString: 'v', ClientRequestToken: token() }));
      fake.enforceQuotas(true);
      const burst = await Promise.all(Array.from({ length: 51 }, () => outcome(client().send(new CreateSecretCommand({ Name: `app/${token()}`, SecretString: 'v', ClientRequestToken: token() })))));
      expect(burst.filter((a) => a === 'ThrottlingException')).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 1050));
      expect(await outcome(client().send(new CreateSecretCommand({ Name: 'app/later', SecretString: 'v', ClientRequestToken: token() })))).toBe('ok');
    });

    it('a delayed write still lands after the client gave up', async () => {
      await client().send(new CreateSecretCommand({ Name: 'app/db', SecretString: 'v1', ClientRequestToken: token() }));
      fake.fail('PutSecretValue', { delayMs: 300 });
      const late = token();
      const put = await outcome(client().send(new PutSecretValueCommand({ SecretId: 'app/db', SecretString: 'v2', ClientRequestToken: late }), { abortSignal: AbortSignal.timeout(50) }));
      expect(put).not.toBe('ok');
      expect((await client().send(new GetSecretValueCommand({ SecretId: 'app/db' }))).SecretString).toBe('v1');
      await new Promise((r) => setTimeout(r, 400));
      const now = await client().send(new GetSecretValueCommand({ SecretId: 'app/db' }));
      expect([now.SecretString, now.VersionId]).toEqual(['v2', late]);
    });

    it('an injected error answers with its type and status', async () => {
      fake.fail('ListSecrets', { type: 'InternalServiceError', status: 500 }, 1);
      expect(await outcome(client().send(new ListSecretsCommand({})))).toBe('InternalServiceError');
      expect(await outcome(client().send(new ListSecretsCommand({})))).toBe('ok');
    });
  });
});

const MOTO = motoStatus();

describe.skipIf(!MOTO.ok)(`Secrets Manager protocol: moto${MOTO.ok ? '' : ` (skipped: ${MOTO.reason})`}`, () => {
  let moto: Moto;
  let backend: Backend;
  beforeAll(async () => {
    const started = await startMoto();
    if (!started) throw new Error('moto did not start');
    moto = started;
    backend = { name: 'moto', url: moto.url, client: clientFor(moto.url) };
  }, 30_000);
  afterAll(async () => {
    backend?.client.destroy();
    await moto?.stop();
  });
  beforeEach(() => moto.reset());

  protocolCases(() => backend);

  it('showed every deviation recorded in MOTO_DEVIATES (the table has no stale entries)', () => {
    expect(sorted([...observed])).toEqual(sorted(Object.keys(MOTO_DEVIATES)));
  });
});
