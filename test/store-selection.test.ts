import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, usesRealAws } from '../src/lib/config.js';
import { identityFault, lookUpAwsIdentity } from '../src/local/aws-identity.js';
import { LocalServerError, startLocalServer, type LocalServer, type LocalServerOptions } from '../src/local/server.js';
import { BASE_ENV, problemsOf } from './support/config-problems.js';

/** Local runs never touch the real AWS by accident; development mode never meets it unless asked by name. */

const base = BASE_ENV;
const QUEUE = { QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/jobs' };


describe('CREDS_STORE=auto', () => {
  it('uses the file store locally, even with AWS credentials in the shell', () => {
    for (const shell of [{}, { AWS_PROFILE: 'work' }, { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'x' }, { AWS_ENDPOINT_URL: 'https://example.com' }]) {
      expect(loadConfig({ ...base, ...shell }).store.kind).toBe('file');
    }
  });

  it('uses Secrets Manager on Lambda, and with a named Secrets Manager endpoint (a stand-in)', () => {
    expect(loadConfig({ ...base, ...QUEUE, AWS_LAMBDA_FUNCTION_NAME: 'do-creds-prod-slack' }).store.kind).toBe('aws');
    expect(loadConfig({ ...base, AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://127.0.0.1:4566' }).store.kind).toBe('aws');
  });

  it('follows an explicit CREDS_STORE either way', () => {
    expect(loadConfig({ ...base, CREDS_STORE: 'aws' }).store.kind).toBe('aws');
    expect(loadConfig({ ...base, ...QUEUE, CREDS_STORE: 'file', AWS_LAMBDA_FUNCTION_NAME: 'f' }).store.kind).toBe('file');
  });

  it('tells the real AWS from a stand-in on this machine', () => {
    expect(usesRealAws({ kind: 'aws', endpoint: undefined })).toBe(true);
    expect(usesRealAws({ kind: 'aws', endpoint: 'https://secretsmanager.eu-west-1.amazonaws.com' })).toBe(true);
    expect(usesRealAws({ kind: 'aws', endpoint: 'http://localstack:4566' })).toBe(true);
    for (const local of ['http://127.0.0.1:4566', 'http://localhost:4566', 'http://[::1]:4566', 'http://127.0.0.2']) {
      expect(usesRealAws({ kind: 'aws', endpoint: local })).toBe(false);
    }
    expect(usesRealAws({ kind: 'file', endpoint: undefined })).toBe(false);
  });
});

describe('development mode with the real AWS', () => {
  it('is refused with a sentence naming the variable that allows it', () => {
    const problems = problemsOf({ ...base, CREDS_STORE: 'aws', DO_CREDS_DEV_MODE: 'true' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('DO_CREDS_DEV_MODE=true (everyone may write) is refused with the real AWS Secrets Manager (region us-east-1)');
    expect(problems[0]).toContain('DO_CREDS_DEV_MODE_WITH_REAL_AWS=true');
    // On Lambda too: there the store is always the real one.
    expect(problemsOf({ ...base, ...QUEUE, AWS_LAMBDA_FUNCTION_NAME: 'f', DO_CREDS_DEV_MODE: 'true' })[0]).toContain('DO_CREDS_DEV_MODE_WITH_REAL_AWS');
  });

  it('is allowed when asked for by name, with a stand-in on this machine, or with the file store', () => {
    expect(loadConfig({ ...base, CREDS_STORE: 'aws', DO_CREDS_DEV_MODE: 'true', DO_CREDS_DEV_MODE_WITH_REAL_AWS: 'true' }).devMode).toBe(true);
    expect(loadConfig({ ...base, DO_CREDS_DEV_MODE: 'true', AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://127.0.0.1:4566' }).devMode).toBe(true);
    expect(loadConfig({ ...base, DO_CREDS_DEV_MODE: 'true', AWS_PROFILE: 'work' }).devMode).toBe(true);
  });
});

describe('npm start with CREDS_STORE=aws', () => {
  const started: LocalServer[] = [];
  afterAll(async () => {
    await Promise.all(started.map((s) => s.close()));
  });
  async function start(env: Record<string, string>, overrides: Partial<LocalServerOptions> = {}) {
    const printed: string[] = [];
    const server = await startLocalServer({
      port: 0,
      dataDir: await mkdtemp(join(tmpdir(), 'do-creds-store-selection-')),
      env: { LOG_LEVEL: 'silent', ...env },
      print: (line) => printed.push(line),
      awsIdentity: () => Promise.resolve({ kind: 'known', account: '123456789012', arn: 'arn:aws:iam::123456789012:user/alice' }),
      ...overrides,
    });
    started.push(server);
    return { server, text: printed.join('\n') };
  }

  it('says loudly which account, region and names it writes to, and does not turn development mode on', async () => {
    const { server, text } = await start({ CREDS_STORE: 'aws', AWS_REGION: 'eu-west-1', SECRET_NAME_PREFIX: 'team-creds/', AWS_PROFILE: 'work' });
    expect(server.mode).toBe('terminal');
    expect(text).toContain('REAL AWS: credentials submitted to this bot are written to AWS Secrets Manager.');
    expect(text).toContain('account   123456789012 (arn:aws:iam::123456789012:user/alice)');
    expect(text).toContain('region    eu-west-1');
    expect(text).toContain('names     team-creds/<environment>');
    expect(text).toContain('identity  profile "work" (AWS_PROFILE)');
    expect(text).toContain('Development mode off');
    expect(text).not.toContain('Development mode on');
  });

  it('refuses to start in development mode with the real AWS unless asked by name', async () => {
    const error = await start({ CREDS_STORE: 'aws', DO_CREDS_DEV_MODE: 'true' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LocalServerError);
    expect((error as Error).message).toContain('DO_CREDS_DEV_MODE_WITH_REAL_AWS=true');
    const { text } = await start({ CREDS_STORE: 'aws', DO_CREDS_DEV_MODE: 'true', DO_CREDS_DEV_MODE_WITH_REAL_AWS: 'true' });
    expect(text).toContain('Development mode ON with the real AWS');
  });

  it('refuses to start when the AWS credentials cannot work, saying why', async () => {
    const error = await start(
      { CREDS_STORE: 'aws', AWS_PROFILE: 'nope' },
      { awsIdentity: () => Promise.resolve({ kind: 'refused', reason: 'the AWS profile "nope" (AWS_PROFILE) is not in ~/.aws/config or ~/.aws/credentials' }) },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LocalServerError);
    expect((error as Error).message).toBe(
      'CREDS_STORE=aws, but the AWS profile "nope" (AWS_PROFILE) is not in ~/.aws/config or ~/.aws/credentials. Fix that, or leave CREDS_STORE unset to store in the local file store.',
    );
  });

  it('starts when STS does not answer, saying the account was not checked', async () => {
    const { text } = await start({ CREDS_STORE: 'aws' }, { awsIdentity: () => Promise.resolve({ kind: 'unknown', reason: 'AWS STS did not answer within 4 s (offline?)' }) });
    expect(text).toContain('account   not checked: AWS STS did not answer within 4 s (offline?)');
  });

  it('names a stand-in on this machine quietly, as no real AWS', async () => {
    const { text } = await start({ AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://127.0.0.1:4566' }, { awsIdentity: () => Promise.reject(new Error('not asked')) });
    expect(text).toContain('Credentials go to the Secrets Manager stand-in at http://127.0.0.1:4566');
    expect(text).not.toContain('REAL AWS');
    expect(text).toContain('Development mode on');
  });
});

describe('the AWS identity', () => {
  it('comes from STS GetCallerIdentity', async () => {
    const sts = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(
          '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>' +
            '<Arn>arn:aws:iam::123456789012:user/alice</Arn><UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account>' +
            '</GetCallerIdentityResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></GetCallerIdentityResponse>',
        );
      });
    });
    await new Promise<void>((r) => sts.listen(0, '127.0.0.1', r));
    try {
      const store = loadConfig({ ...base, CREDS_STORE: 'aws' }).store;
      const identity = await lookUpAwsIdentity(store, { AWS_ENDPOINT_URL_STS: `http://127.0.0.1:${(sts.address() as AddressInfo).port}` });
      expect(identity).toEqual({ kind: 'known', account: '123456789012', arn: 'arn:aws:iam::123456789012:user/alice' });
    } finally {
      sts.close();
    }
  });

  it('says a missing profile is missing, not that AWS did not answer', () => {
    const providerError = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    const fault = identityFault(providerError, { AWS_PROFILE: 'nope', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' });
    expect(fault).toEqual({ kind: 'refused', reason: 'the AWS profile "nope" (AWS_PROFILE) is not in /dev/null or /dev/null' });
    const none = identityFault(providerError, {});
    expect(none.kind).toBe('refused');
    expect((none as { reason: string }).reason).toContain('no AWS credentials were found');
    expect(identityFault(Object.assign(new Error('x'), { name: 'InvalidClientTokenId' }), { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE1234' })).toEqual({
      kind: 'refused',
      reason: 'AWS refused the credentials (InvalidClientTokenId, from AWS_ACCESS_KEY_ID …1234 from the environment)',
    });
    expect(identityFault(Object.assign(new Error('x'), { name: 'TimeoutError' }), {}).kind).toBe('unknown');
  });
});
