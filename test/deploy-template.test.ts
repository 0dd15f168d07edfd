import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, readFile, readdir, rm, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Packages the service as `serverless package --stage test` would for a deploy (offline, into a
 * temporary copy of the repository, so its own .serverless/ does not matter) with canary values of
 * the bot's secrets in the environment, and checks the CloudFormation template and the zips: no
 * secret gets in, and IAM enforces what the README promises.
 */

const repo = resolve(import.meta.dirname, '..');
const require = createRequire(import.meta.url);
const serverlessBin = require.resolve('osls/bin/serverless.js');

const CANARIES = {
  SLACK_SIGNING_SECRET: `canary-signing-${randomUUID()}`,
  SLACK_BOT_TOKEN: `xoxb-canary-${randomUUID()}`,
  FINGERPRINT_HMAC_KEY: `canary-hmac-${randomUUID()}`,
};
const PREFIX = 'do-creds/';

interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
}
type Template = { Resources: Record<string, Resource>; Outputs?: Record<string, unknown> };

let workdir: string;
let template: Template;
let templateText: string;
let zipTexts: Map<string, string>;

function runServerless(cwd: string, env: Record<string, string | undefined>): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [serverlessBin, 'package', '--stage', 'test', '--region', 'us-east-1'],
      { cwd, env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', ...env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}\n${stderr}` }),
    );
  });
}

/** A copy of what packaging reads, with the repository's node_modules linked in. */
async function copyOfRepo(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'do-creds-package-'));
  for (const entry of ['serverless.yml', 'deploy', 'src', 'package.json', 'package-lock.json', 'tsconfig.json']) {
    await cp(join(repo, entry), join(dir, entry), { recursive: true });
  }
  await symlink(join(repo, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

/** Every file of a zip as text (central directory, stored or deflated entries). */
function unzipText(zip: Buffer): string[] {
  let eocd = zip.length - 22;
  while (eocd >= 0 && zip.readUInt32LE(eocd) !== 0x06054b50) eocd -= 1;
  if (eocd < 0) throw new Error('not a zip file');
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const files: string[] = [];
  for (let i = 0; i < count; i += 1) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error('bad central directory entry');
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(start, start + size);
    files.push((method === 0 ? data : inflateRawSync(data)).toString('utf8'));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return files;
}

beforeAll(async () => {
  workdir = await copyOfRepo();
  const { code, output } = await runServerless(workdir, { ...CANARIES, SECRET_NAME_PREFIX: PREFIX, KMS_KEY_ARN: '' });
  if (code !== 0) throw new Error(`serverless package failed:\n${output.slice(-4000)}`);
  templateText = await readFile(join(workdir, '.serverless', 'cloudformation-template-update-stack.json'), 'utf8');
  template = JSON.parse(templateText) as Template;
  zipTexts = new Map();
  for (const name of (await readdir(join(workdir, '.serverless'))).filter((f) => f.endsWith('.zip'))) {
    zipTexts.set(name, unzipText(await readFile(join(workdir, '.serverless', name))).join('\n'));
  }
}, 150_000);

afterAll(async () => {
  if (workdir) await rm(workdir, { recursive: true, force: true });
});

const resource = (name: string): Resource => {
  const r = template.Resources[name];
  if (!r) throw new Error(`no resource ${name}`);
  return r;
};
const statementsOf = (roleName: string): Statement[] => {
  const policies = resource(roleName).Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[];
  return policies.flatMap((p) => p.PolicyDocument.Statement);
};
const withAction = (statements: Statement[], action: string, effect: 'Allow' | 'Deny' = 'Allow') =>
  statements.filter((s) => s.Effect === effect && s.Action.includes(action));
const resources = (s: Statement): unknown[] => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);
const lambdaFunctions = () => Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
const envOf = (name: string) => ((resource(name).Properties.Environment as { Variables: Record<string, unknown> }).Variables);

const CREDENTIALS_ARN = { 'Fn::Sub': `arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:${PREFIX}*` };
const SLACK_SECRET = { Ref: 'BotSlackSecret' };
const SHARED_SECRET = { Ref: 'BotSharedSecret' };

describe('the packaged template and zips', () => {
  it('carry none of the bot secrets given to the deploying environment', () => {
    expect(zipTexts.size).toBe(3);
    for (const value of Object.values(CANARIES)) {
      expect(templateText).not.toContain(value);
      for (const [name, text] of zipTexts) expect(text.includes(value), `${name} holds a canary`).toBe(false);
    }
  });

  it('give no function an environment variable named like a secret; the secret ids are Refs to the secrets', () => {
    expect(lambdaFunctions()).toHaveLength(3);
    for (const [name, fn] of lambdaFunctions()) {
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      for (const [variable, value] of Object.entries(variables)) {
        expect(Object.keys(CANARIES), `${name}.${variable}`).not.toContain(variable);
        expect(variable, `${name}.${variable}`).not.toMatch(/(SECRET|TOKEN|PASSWORD|HMAC|_KEY)$/);
        if (variable.endsWith('_SECRET_ID')) {
          const ref = (value as { Ref?: string }).Ref;
          expect(ref && resource(ref).Type, `${name}.${variable}`).toBe('AWS::SecretsManager::Secret');
        }
      }
    }
    expect(envOf('SlackLambdaFunction')).toMatchObject({ BOT_SLACK_SECRET_ID: SLACK_SECRET, BOT_SHARED_SECRET_ID: SHARED_SECRET });
    expect(envOf('WorkerLambdaFunction').BOT_SHARED_SECRET_ID).toEqual(SHARED_SECRET);
    expect(envOf('WorkerLambdaFunction')).not.toHaveProperty('BOT_SLACK_SECRET_ID');
    // The scheduled scan only lists and queues: no secret of the bot's at all.
    expect(envOf('ExpiryScanLambdaFunction')).not.toHaveProperty('BOT_SHARED_SECRET_ID');
    expect(envOf('ExpiryScanLambdaFunction')).not.toHaveProperty('BOT_SLACK_SECRET_ID');
  });

  it('create the bot secrets outside the credentials prefix, the fingerprint key generated by CloudFormation', () => {
    const slack = resource('BotSlackSecret');
    const shared = resource('BotSharedSecret');
    expect(slack.Type).toBe('AWS::SecretsManager::Secret');
    expect(shared.Type).toBe('AWS::SecretsManager::Secret');
    expect(slack.Properties.Name).toBe('do-creds-bot/test/slack');
    expect(shared.Properties.Name).toBe('do-creds-bot/test/shared');
    for (const r of [slack, shared]) expect(String(r.Properties.Name).startsWith(PREFIX)).toBe(false);
    const generate = slack.Properties.GenerateSecretString as Record<string, unknown>;
    expect(generate.GenerateStringKey).toBe('fingerprint_hmac_key');
    expect(Number(generate.PasswordLength)).toBeGreaterThanOrEqual(32);
    expect(JSON.parse(String(generate.SecretStringTemplate))).toEqual({ signing_secret: '' });
    expect(JSON.parse(String(shared.Properties.SecretString))).toEqual({ bot_token: '' });
    // Without KMS_KEY_ARN: AWS's managed key, and no KMS statement anywhere.
    expect(slack.Properties.KmsKeyId).toEqual({ Ref: 'AWS::NoValue' });
    for (const role of ['SlackRole', 'ScanRole', 'WorkerRole']) expect(statementsOf(role).some((s) => s.Action.some((a) => a.startsWith('kms:')))).toBe(false);
  });
});

describe('IAM', () => {
  it('builds every ARN with Fn::Sub from the stack partition, region and account', () => {
    for (const role of ['SlackRole', 'ScanRole', 'WorkerRole']) {
      const text = JSON.stringify(resource(role));
      expect(text).not.toMatch(/"arn:aws/);
      for (const s of statementsOf(role)) {
        for (const r of resources(s)) {
          // Refs and GetAtts of the stack's own resources carry its partition, region and account.
          if (r === '*' || (typeof r === 'object' && r !== null && ('Ref' in r || 'Fn::GetAtt' in r))) continue;
          const sub = (r as { 'Fn::Sub'?: string })['Fn::Sub'];
          expect(sub, `${role}: ${JSON.stringify(r)}`).toMatch(/^arn:\$\{AWS::Partition\}:secretsmanager:\$\{AWS::Region\}:\$\{AWS::AccountId\}:secret:/);
        }
      }
    }
  });

  it('lets the Slack function delete only with a recovery window of 7+ days, and denies a forced delete', () => {
    const slack = statementsOf('SlackRole');
    const allows = withAction(slack, 'secretsmanager:DeleteSecret');
    expect(allows).toHaveLength(1);
    const [allow] = allows;
    expect(resources(allow!)).toEqual([CREDENTIALS_ARN]);
    expect(Number(allow?.Condition?.NumericGreaterThanEquals?.['secretsmanager:RecoveryWindowInDays'])).toBeGreaterThanOrEqual(7);
    // Absent or false is allowed (do-creds sends only RecoveryWindowInDays); true is not.
    expect(allow?.Condition?.BoolIfExists?.['secretsmanager:ForceDeleteWithoutRecovery']).toBe('false');
    const deny = withAction(slack, 'secretsmanager:DeleteSecret', 'Deny');
    expect(deny.some((s) => s.Condition?.Bool?.['secretsmanager:ForceDeleteWithoutRecovery'] === 'true' && resources(s).includes('*'))).toBe(true);
    expect(withAction(statementsOf('ScanRole'), 'secretsmanager:DeleteSecret')).toHaveLength(0);
    expect(withAction(statementsOf('WorkerRole'), 'secretsmanager:DeleteSecret')).toHaveLength(0);
  });

  it('limits tagging to do-creds keys, on CreateSecret too, and the worker to the keys the scan writes', () => {
    const slack = statementsOf('SlackRole');
    for (const action of ['secretsmanager:TagResource', 'secretsmanager:UntagResource']) {
      const [s, ...more] = withAction(slack, action);
      expect(more).toHaveLength(0);
      expect(s?.Condition?.['ForAllValues:StringLike']?.['aws:TagKeys']).toEqual(['do-creds:*']);
      expect(s?.Condition?.Null?.['aws:TagKeys']).toBe('false');
      expect(resources(s!)).toEqual([CREDENTIALS_ARN]);
    }
    const [create] = withAction(slack, 'secretsmanager:CreateSecret');
    expect(create?.Condition?.['ForAllValues:StringLike']?.['aws:TagKeys']).toEqual(['do-creds:*']);
    expect(create?.Condition?.Null?.['secretsmanager:AddReplicaRegions']).toBe('true');

    const scanKeys = [
      'do-creds:alerted-threshold', 'do-creds:validation', 'do-creds:validated-at', 'do-creds:token-access', 'do-creds:token-expiry',
      'do-creds:token-fingerprint', 'do-creds:spaces-key-id', 'do-creds:spaces-region', 'do-creds:spaces-bucket', 'do-creds:metadata-version',
    ];
    // Untagging may also drop the old token's keyed HMAC when metadata is reconciled; never set it.
    const untagKeys = [...scanKeys, 'do-creds:token-hmac'];
    for (const [action, keys] of [['secretsmanager:TagResource', scanKeys], ['secretsmanager:UntagResource', untagKeys]] as const) {
      const [s, ...more] = withAction(statementsOf('WorkerRole'), action);
      expect(more).toHaveLength(0);
      expect([...(s?.Condition?.['ForAllValues:StringEquals']?.['aws:TagKeys'] as string[])].sort()).toEqual([...keys].sort());
      expect(s?.Condition?.Null?.['aws:TagKeys']).toBe('false');
      expect(resources(s!)).toEqual([CREDENTIALS_ARN]);
    }
    expect(withAction(statementsOf('ScanRole'), 'secretsmanager:TagResource')).toHaveLength(0);
  });

  it('lets the scheduled scan only list and queue: it reads no secret, not even the bot token', () => {
    const actions = statementsOf('ScanRole').flatMap((s) => s.Action).sort();
    expect(actions).toEqual(['secretsmanager:ListSecrets', 'sqs:SendMessage']);
    expect(withAction(statementsOf('ScanRole'), 'sqs:SendMessage').flatMap(resources)).toEqual([{ 'Fn::GetAtt': ['JobsQueue', 'Arn'] }]);
  });

  it('lets each function read its own bot secrets by Ref, and the worker never the Slack-only secret', () => {
    const slack = withAction(statementsOf('SlackRole'), 'secretsmanager:GetSecretValue').flatMap(resources);
    // The Slack function reads no credential back: only its two bot secrets.
    expect(slack).toEqual([SLACK_SECRET, SHARED_SECRET]);

    const scan = statementsOf('WorkerRole');
    const scanReads = withAction(scan, 'secretsmanager:GetSecretValue').flatMap(resources);
    expect(scanReads).toEqual(expect.arrayContaining([CREDENTIALS_ARN, SHARED_SECRET]));
    expect(scanReads).not.toContainEqual(SLACK_SECRET);
    expect(scanReads).not.toContain('*');
    expect(withAction(scan, 'secretsmanager:GetSecretValue', 'Deny').flatMap(resources)).toContainEqual(SLACK_SECRET);
    // The credentials prefix's pattern cannot match the bot secrets' names.
    expect(`do-creds-bot/test/slack`.startsWith(PREFIX)).toBe(false);
  });

  it('keeps "*" only for ListSecrets and BatchGetSecretValue (no resource-level permissions) and explicit denies', () => {
    for (const role of ['SlackRole', 'ScanRole', 'WorkerRole']) {
      for (const s of statementsOf(role).filter((x) => x.Effect === 'Allow' && resources(x).includes('*'))) {
        for (const action of s.Action) expect(['secretsmanager:ListSecrets', 'secretsmanager:BatchGetSecretValue'], `${role}: ${action}`).toContain(action);
      }
    }
    expect(withAction(statementsOf('SlackRole'), 'secretsmanager:ListSecrets')).toHaveLength(1);
    expect(withAction(statementsOf('WorkerRole'), 'secretsmanager:BatchGetSecretValue').flatMap(resources)).toEqual(['*']);
  });
});

describe('the jobs queue', () => {
  it('dead-letters what keeps failing, and feeds a worker that reports partial batch failures at bounded concurrency', () => {
    const queue = resource('JobsQueue').Properties as { RedrivePolicy: { deadLetterTargetArn: unknown; maxReceiveCount: number }; VisibilityTimeout: number };
    expect(queue.RedrivePolicy.deadLetterTargetArn).toEqual({ 'Fn::GetAtt': ['JobsDeadLetterQueue', 'Arn'] });
    expect(queue.RedrivePolicy.maxReceiveCount).toBeGreaterThan(1);
    const mapping = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::EventSourceMapping')?.Properties as
      | { FunctionResponseTypes: string[]; ScalingConfig?: { MaximumConcurrency: number } }
      | undefined;
    expect(mapping?.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    // Bounded, and with each worker's tag-write pace inside AWS's 50 tag writes a second (not adjustable).
    const maximum = mapping?.ScalingConfig?.MaximumConcurrency ?? Infinity;
    expect(maximum).toBeLessThanOrEqual(5);
    const worker = resource('WorkerLambdaFunction').Properties as { Timeout: number; Environment: { Variables: Record<string, unknown> } };
    expect(maximum * Number(worker.Environment.Variables.SCAN_TAG_WRITES_PER_SECOND)).toBeLessThanOrEqual(32);
    // Lambda refuses a mapping whose queue's visibility timeout is shorter than the function's timeout.
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * worker.Timeout);
    // No invocation needs more than 60 s: the scan and the worker stop starting work at 45 s.
    expect(worker.Timeout).toBeLessThanOrEqual(60);
    expect((resource('ExpiryScanLambdaFunction').Properties as { Timeout: number }).Timeout).toBeLessThanOrEqual(60);
    const ttl = (resource('JobsTable').Properties as { TimeToLiveSpecification: { Enabled: boolean } }).TimeToLiveSpecification;
    expect(ttl.Enabled).toBe(true);
  });

  it('lets the Slack function only send to it, and the worker take from it, send follow-ups, and read only the bot token of the bot secrets', () => {
    const send = withAction(statementsOf('SlackRole'), 'sqs:SendMessage');
    expect(send.flatMap(resources)).toEqual([{ 'Fn::GetAtt': ['JobsQueue', 'Arn'] }]);
    expect(withAction(statementsOf('SlackRole'), 'sqs:ReceiveMessage')).toHaveLength(0);
    const worker = statementsOf('WorkerRole');
    expect(withAction(worker, 'sqs:DeleteMessage').flatMap(resources)).toEqual([{ 'Fn::GetAtt': ['JobsQueue', 'Arn'] }]);
    expect(withAction(worker, 'dynamodb:PutItem').flatMap(resources)).toEqual([{ 'Fn::GetAtt': ['JobsTable', 'Arn'] }]);
    expect(withAction(worker, 'secretsmanager:GetSecretValue').flatMap(resources)).toEqual([CREDENTIALS_ARN, SHARED_SECRET]);
    expect(withAction(worker, 'secretsmanager:GetSecretValue', 'Deny').flatMap(resources)).toEqual([SLACK_SECRET]);
  });
});

describe('alarms', () => {
  it('alarm on a failed scan, a scan missing for 26 hours, and dead-lettered jobs, notifying one topic', () => {
    const alarm = (name: string) => resource(name).Properties;
    expect(alarm('ScanFailedAlarm')).toMatchObject({ Namespace: 'do-creds', MetricName: 'ScanFailures', ComparisonOperator: 'GreaterThanThreshold' });
    expect(alarm('ScanMissingAlarm')).toMatchObject({ MetricName: 'ScanCompleted', Period: 3600, EvaluationPeriods: 26, TreatMissingData: 'breaching' });
    expect(alarm('DeadLetterAlarm')).toMatchObject({ Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible' });
    for (const name of ['ScanFailedAlarm', 'ScanMissingAlarm', 'DeadLetterAlarm']) expect(alarm(name).AlarmActions).toEqual([{ Ref: 'AlarmsTopic' }]);
  });
});

describe('deploy/iam.cjs', () => {
  const iam = require(join(repo, 'deploy', 'iam.cjs')) as Record<string, unknown>;
  const withEnv = <T>(env: Record<string, string | undefined>, make: () => T): T => {
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      return make();
    } finally {
      process.env = saved;
    }
  };
  const call = (name: string) => (iam[name] as () => unknown)();
  const KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

  it('with KMS_KEY_ARN, allows the key only through Secrets Manager in this Region and only for the secrets each role uses', () => {
    const kmsOf = (role: string) =>
      withEnv({ KMS_KEY_ARN: KEY, SECRET_NAME_PREFIX: PREFIX }, () => {
        const r = call(role) as Resource;
        return (r.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[])
          .flatMap((p) => p.PolicyDocument.Statement)
          .filter((s) => s.Action.some((a) => a.startsWith('kms:')));
      });
    const slack = kmsOf('SlackRole');
    // The scheduled scan reads no secret, so it needs no key; the worker decrypts tokens and the bot token.
    expect(kmsOf('ScanRole')).toEqual([]);
    const scan = kmsOf('WorkerRole');
    for (const s of [...slack, ...scan]) {
      expect(s.Resource).toEqual({ 'Fn::Sub': 'arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/1234abcd-12ab-34cd-56ef-1234567890ab' });
      expect(s.Condition?.StringEquals?.['kms:ViaService']).toEqual({ 'Fn::Sub': 'secretsmanager.${AWS::Region}.amazonaws.com' });
      const arns = s.Condition?.StringLike?.['kms:EncryptionContext:SecretARN'] ?? s.Condition?.StringEquals?.['kms:EncryptionContext:SecretARN'];
      expect(arns, JSON.stringify(s)).toBeDefined();
    }
    const contexts = (statements: Statement[]) =>
      statements.flatMap((s) => (s.Condition?.StringLike?.['kms:EncryptionContext:SecretARN'] ?? s.Condition?.StringEquals?.['kms:EncryptionContext:SecretARN']) as unknown[]);
    expect(contexts(slack)).toEqual(expect.arrayContaining([CREDENTIALS_ARN, SLACK_SECRET, SHARED_SECRET]));
    expect(contexts(scan)).toEqual(expect.arrayContaining([CREDENTIALS_ARN, SHARED_SECRET]));
    expect(contexts(scan)).not.toContainEqual(SLACK_SECRET);
    // Only the Slack function writes, so only it may generate data keys, and only for credentials.
    expect(scan.flatMap((s) => s.Action)).not.toContain('kms:GenerateDataKey');
    const generate = slack.filter((s) => s.Action.includes('kms:GenerateDataKey'));
    expect(contexts(generate)).toEqual([CREDENTIALS_ARN]);
    // New secrets must use the key.
    const create = withEnv({ KMS_KEY_ARN: KEY }, () => call('SlackRole') as Resource);
    const createStatement = (create.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[])[0]?.PolicyDocument.Statement.find((s) =>
      s.Action.includes('secretsmanager:CreateSecret'),
    );
    expect(createStatement?.Condition?.StringEquals?.['secretsmanager:KmsKeyId']).toBe(KEY);
    expect(withEnv({ KMS_KEY_ARN: KEY }, () => call('botSecretsKmsKeyId'))).toBe(KEY);
  });

  it('refuses a KMS alias, and a SECRET_NAME_PREFIX without a trailing slash or overlapping the bot secrets', () => {
    expect(() => withEnv({ KMS_KEY_ARN: 'arn:aws:kms:us-east-1:123456789012:alias/do-creds' }, () => call('SlackRole'))).toThrow(/KMS_KEY_ARN/);
    expect(() => withEnv({ SECRET_NAME_PREFIX: 'do-creds' }, () => call('secretNamePrefix'))).toThrow(/must end with \//);
    expect(() => withEnv({ SECRET_NAME_PREFIX: 'do-creds-bot/' }, () => call('secretNamePrefix'))).toThrow(/do-creds-bot/);
    expect(() => withEnv({ SECRET_NAME_PREFIX: 'team/creds*/' }, () => call('secretNamePrefix'))).toThrow(/SECRET_NAME_PREFIX/);
    expect(withEnv({ SECRET_NAME_PREFIX: 'team/creds/' }, () => call('secretNamePrefix'))).toBe('team/creds/');
  });
});

describe('packaging', () => {
  it('refuses a SECRET_NAME_PREFIX without a trailing / with a clear error', async () => {
    const { code, output } = await runServerless(workdir, { SECRET_NAME_PREFIX: 'do-creds' });
    expect(code).not.toBe(0);
    expect(output).toContain('SECRET_NAME_PREFIX "do-creds" must end with /');
  }, 60_000);
});
