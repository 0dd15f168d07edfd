import { createHmac, randomBytes } from 'node:crypto';
import { PutSecretValueCommand, SecretsManagerClient, TagResourceCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fakeDoToken, fakeSpacesKey } from './support/credentials.js';
import { FULL_ACCESS } from './support/fake-digitalocean.js';
import { captureOutput, fakeBotToken, invoke, loadScanHandler, loadSlackHandler } from './support/harness.js';
import { randomSigningSecret, signedEvent, slashCommandBody } from './support/slack-request.js';
import { closeUpstreams, startUpstreams, upstreamEnv, type Upstreams } from './support/upstreams.js';
import { startWorld } from './support/world.js';

/**
 * The bot's own secrets read from Secrets Manager (BOT_SLACK_SECRET_ID, BOT_SHARED_SECRET_ID) instead
 * of environment variables: on the first request, once per container, again after a failure, and
 * never written to a log.
 */

const SLACK_ID = 'do-creds-bot/test/slack';
const SHARED_ID = 'do-creds-bot/test/shared';

const signingSecret = randomSigningSecret();
const botToken = fakeBotToken();
const hmacKey = randomBytes(32).toString('hex');
const SECRETS = [signingSecret, botToken, hmacKey];

let up: Upstreams;
let n = 0;
/** Fresh secret names per test: the fake keeps what earlier tests stored. */
let ids: { slack: string; shared: string };

beforeAll(async () => {
  up = await startUpstreams(botToken);
});
afterEach(() => {
  up.slack.reset();
});
afterAll(() => closeUpstreams(up));

function seedBotSecrets(o: { slack?: object | string; shared?: object | string } = {}): void {
  n += 1;
  ids = { slack: `${SLACK_ID}-${n}`, shared: `${SHARED_ID}-${n}` };
  const text = (v: object | string) => (typeof v === 'string' ? v : JSON.stringify(v));
  up.secretsManager.seed(ids.slack, text(o.slack ?? { signing_secret: signingSecret, fingerprint_hmac_key: hmacKey }), []);
  up.secretsManager.seed(ids.shared, text(o.shared ?? { bot_token: botToken }), []);
}

/** The deployed configuration: secret ids, and no secret in the environment. */
function deployedEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    ...upstreamEnv(up, { signingSecret: '', botToken: '' }),
    SLACK_SIGNING_SECRET: undefined,
    SLACK_BOT_TOKEN: undefined,
    FINGERPRINT_HMAC_KEY: undefined,
    BOT_SLACK_SECRET_ID: ids.slack,
    BOT_SHARED_SECRET_ID: ids.shared,
    LOG_LEVEL: 'info',
    ...extra,
  };
}

const reads = (id?: string) =>
  up.secretsManager.calls.filter((c) => c.operation === 'GetSecretValue' && (id === undefined || c.input.SecretId === id));
const command = (secret: string, text = 'help') => signedEvent({ secret, body: slashCommandBody({ text }) });

async function putValue(id: string, value: object): Promise<void> {
  const client = new SecretsManagerClient({ region: 'us-east-1', endpoint: up.secretsManager.url });
  await client.send(new PutSecretValueCommand({ SecretId: id, SecretString: JSON.stringify(value) }));
  client.destroy();
}

async function tag(id: string, key: string, value: string): Promise<void> {
  const client = new SecretsManagerClient({ region: 'us-east-1', endpoint: up.secretsManager.url });
  await client.send(new TagResourceCommand({ SecretId: id, Tags: [{ Key: key, Value: value }] }));
  client.destroy();
}

describe('the Slack function with BOT_SLACK_SECRET_ID and BOT_SHARED_SECRET_ID', () => {
  it('makes no Secrets Manager call at import, reads each secret once for many requests, and never logs a value', async () => {
    seedBotSecrets();
    const output = captureOutput();
    try {
      up.secretsManager.calls.length = 0;
      const handler = await loadSlackHandler(deployedEnv());
      expect(up.secretsManager.calls).toHaveLength(0);

      // Concurrent first requests share one read.
      const first = await Promise.all([1, 2, 3].map(() => invoke(handler, command(signingSecret))));
      expect(first.map((r) => r.statusCode)).toEqual([200, 200, 200]);
      for (let i = 0; i < 5; i += 1) expect((await invoke(handler, command(signingSecret, 'setup'))).statusCode).toBe(200);
      expect(reads(ids.slack)).toHaveLength(1);
      expect(reads(ids.shared)).toHaveLength(1);
      expect(reads()).toHaveLength(2);
    } finally {
      output.restore();
    }
    for (const value of SECRETS) expect(output.text()).not.toContain(value);
  });

  it('verifies with the stored signing secret and refuses a request signed with another', async () => {
    seedBotSecrets();
    const handler = await loadSlackHandler(deployedEnv({ LOG_LEVEL: 'silent' }));
    expect((await invoke(handler, command(signingSecret))).statusCode).toBe(200);
    expect((await invoke(handler, command(randomSigningSecret()))).statusCode).toBe(401);
    // Nor one signed with an empty secret, the value the secret holds before the operator puts it.
    expect((await invoke(handler, command(''))).statusCode).toBe(401);
  });

  it('refuses a forged request before the secrets could be read, without crashing', async () => {
    seedBotSecrets();
    const handler = await loadSlackHandler(deployedEnv({ LOG_LEVEL: 'silent' }));
    expect((await invoke(handler, command(randomSigningSecret()))).statusCode).toBe(401);
  });

  it('answers 500 with one clear log line when the read fails, and reads again on the next request', async () => {
    seedBotSecrets();
    const output = captureOutput();
    let failed, recovered;
    try {
      const handler = await loadSlackHandler(deployedEnv());
      up.secretsManager.calls.length = 0;
      up.secretsManager.fail('GetSecretValue', { status: 400, type: 'AccessDeniedException', message: 'not authorized' }, 2);
      failed = await invoke(handler, command(signingSecret));
      recovered = await invoke(handler, command(signingSecret));
    } finally {
      output.restore();
    }
    expect(failed.statusCode).toBe(500);
    expect(failed.body).toContain('not configured');
    expect(recovered.statusCode).toBe(200);
    expect(reads()).toHaveLength(4);
    const lines = output.lines().filter((l) => l.event === 'bot_secrets_unavailable');
    expect(lines).toHaveLength(1);
    expect(lines[0]?.level).toBe('error');
    expect(JSON.stringify(lines[0]?.problems)).toContain('AccessDeniedException');
    expect(JSON.stringify(lines[0]?.problems)).toContain(ids.slack);
    for (const value of SECRETS) expect(output.text()).not.toContain(value);
  });

  it('rides out a server error with the SDK retry, then still reads again after giving up', async () => {
    seedBotSecrets();
    const handler = await loadSlackHandler(deployedEnv({ LOG_LEVEL: 'silent' }));
    up.secretsManager.calls.length = 0;
    up.secretsManager.fail('GetSecretValue', { status: 500, type: 'InternalServiceError' }, 4);
    expect((await invoke(handler, command(signingSecret))).statusCode).toBe(500);
    expect(reads()).toHaveLength(4); // two attempts for each secret, no more in Slack's 3 seconds
    expect((await invoke(handler, command(signingSecret))).statusCode).toBe(200);
  });

  it('refuses values that fail the checks, naming the field and never the value, until the operator puts good ones', async () => {
    seedBotSecrets({ slack: { signing_secret: '', fingerprint_hmac_key: hmacKey }, shared: { bot_token: `xoxp-${botToken.slice(5)}` } });
    const output = captureOutput();
    let before, after;
    try {
      const handler = await loadSlackHandler(deployedEnv());
      before = await invoke(handler, command(signingSecret));
      // What the README's put-secret-value commands do.
      await putValue(ids.slack, { signing_secret: signingSecret, fingerprint_hmac_key: hmacKey });
      await putValue(ids.shared, { bot_token: botToken });
      after = await invoke(handler, command(signingSecret));
    } finally {
      output.restore();
    }
    expect(before.statusCode).toBe(500);
    expect(after.statusCode).toBe(200);
    const problems = JSON.stringify(output.lines().find((l) => l.event === 'bot_secrets_unavailable')?.problems);
    expect(problems).toContain('signing_secret is missing or empty');
    expect(problems).toContain('bot_token is missing or not a bot token');
    for (const value of [...SECRETS, botToken.slice(5)]) expect(output.text()).not.toContain(value);
  });

  it('checks the fingerprint key (present, 16+ characters) and a value that is not JSON, without quoting it', async () => {
    const cases: [object | string, string][] = [
      [{ signing_secret: signingSecret }, 'fingerprint_hmac_key is missing'],
      [{ signing_secret: signingSecret, fingerprint_hmac_key: 'short-key' }, 'fingerprint_hmac_key must be at least 16 characters'],
      [`{"signing_secret": "${signingSecret}", "fingerprint_hmac_key": "${hmacKey}"`, 'is not a JSON object'],
    ];
    for (const [slack, problem] of cases) {
      seedBotSecrets({ slack });
      const output = captureOutput();
      let res;
      try {
        res = await invoke(await loadSlackHandler(deployedEnv()), command(signingSecret));
      } finally {
        output.restore();
      }
      expect(res.statusCode).toBe(500);
      expect(JSON.stringify(output.lines().find((l) => l.event === 'bot_secrets_unavailable')?.problems)).toContain(problem);
      for (const value of SECRETS) expect(output.text()).not.toContain(value);
    }
  });

  it('refuses at cold start a secret id together with the variable it replaces, and a prefix without a trailing /', async () => {
    seedBotSecrets();
    up.secretsManager.calls.length = 0;
    const output = captureOutput();
    let both, prefix;
    try {
      both = await invoke(await loadSlackHandler(deployedEnv({ SLACK_SIGNING_SECRET: signingSecret, SLACK_BOT_TOKEN: botToken })), command(signingSecret));
      prefix = await invoke(await loadSlackHandler(deployedEnv({ SECRET_NAME_PREFIX: 'do-creds' })), command(signingSecret));
    } finally {
      output.restore();
    }
    expect(both.statusCode).toBe(500);
    expect(prefix.statusCode).toBe(500);
    const problems = output.lines().filter((l) => l.event === 'config_invalid').map((l) => JSON.stringify(l.problems));
    expect(problems[0]).toContain('SLACK_SIGNING_SECRET must not be set with BOT_SLACK_SECRET_ID');
    expect(problems[0]).toContain('SLACK_BOT_TOKEN must not be set with BOT_SHARED_SECRET_ID');
    expect(problems[1]).toContain('SECRET_NAME_PREFIX must end with /');
    expect(reads()).toHaveLength(0);
    for (const value of SECRETS) expect(output.text()).not.toContain(value);
  });
});

describe('a submission with the bot secrets from Secrets Manager', () => {
  it('uses the stored bot token with Slack and the stored fingerprint key for the audit HMAC', async () => {
    const world = await startWorld({
      SLACK_SIGNING_SECRET: undefined,
      SLACK_BOT_TOKEN: undefined,
      BOT_SLACK_SECRET_ID: SLACK_ID,
      BOT_SHARED_SECRET_ID: SHARED_ID,
      AUDIT_CHANNEL_ID: 'C0AUDIT',
    });
    try {
      // Put after the cold start: the handler reads them on its first request.
      world.secretsManager.seed(SLACK_ID, JSON.stringify({ signing_secret: world.secret, fingerprint_hmac_key: hmacKey }), []);
      world.secretsManager.seed(SHARED_ID, JSON.stringify({ bot_token: world.botToken }), []);
      const v = { ...world.validCredentials(), environment: 'prod' };
      const res = await world.submit(v);
      expect(res.json?.response_action).toBe('clear');
      const expected = 'hmac-sha256:' + createHmac('sha256', hmacKey).update(v.token).digest('hex');
      expect(world.secretsManager.secret('do-creds/prod')?.tags.find((t) => t.Key === 'do-creds:token-hmac')?.Value).toBe(expected);
      expect(world.slack.callsTo('views.open')[0]?.authorization).toBe(`Bearer ${world.botToken}`);
    } finally {
      await world.close();
    }
  });
});

describe('the expiry scan with BOT_SHARED_SECRET_ID', () => {
  const NOW = Date.parse('2026-11-24T09:00:00Z');
  async function seedExpiringSet(env: string): Promise<void> {
    const token = fakeDoToken();
    const { accessKey, secretKey } = fakeSpacesKey();
    up.digitalocean.setToken(token, { scopes: FULL_ACCESS });
    // The alert channel has the bot in it, and the submitter is in the workspace.
    up.slack.join('C0PLATFORM');
    up.slack.addUser('U0SUBMITTER');
    up.secretsManager.seed(
      `do-creds/${env}`,
      JSON.stringify({ do_token: token, do_access_key: accessKey, do_secret_key: secretKey, spaces_region: 'nyc3', spaces_endpoint: up.spaces.url }),
      [
        { Key: 'do-creds:environment', Value: env },
        { Key: 'do-creds:token-expiry', Value: new Date(NOW + 86_400_000).toISOString().slice(0, 10) },
        { Key: 'do-creds:submitted-by', Value: 'U0SUBMITTER' },
        { Key: 'do-creds:submitted-at', Value: new Date(NOW - 10 * 86_400_000).toISOString() },
        { Key: 'do-creds:token-fingerprint', Value: token.slice(-4) },
        { Key: 'do-creds:alert-channel', Value: 'C0PLATFORM' },
      ],
    );
    // Described as of its current version, as do-creds' own save leaves it.
    const version = up.secretsManager.versions(`do-creds/${env}`).find((v) => v.stages.includes('AWSCURRENT'));
    await tag(`do-creds/${env}`, 'do-creds:metadata-version', version?.id ?? '');
  }

  it('reads only the shared secret, on its first run, posts alerts with its token, and reads again after a failed run', async () => {
    seedBotSecrets();
    await seedExpiringSet(`scan-${n}`);
    const output = captureOutput();
    try {
      up.secretsManager.calls.length = 0;
      // The Slack-only id given to the scan by mistake is never read.
      const scan = await loadScanHandler(deployedEnv({ LOG_LEVEL: 'warn' }));
      expect(up.secretsManager.calls).toHaveLength(0);
      up.secretsManager.fail('GetSecretValue', { status: 400, type: 'AccessDeniedException' }, 1);
      await expect(scan({ time: new Date(NOW).toISOString() })).rejects.toThrow('not configured');
      const summary = await scan({ time: new Date(NOW).toISOString() });
      await scan({ time: new Date(NOW).toISOString() });
      expect(summary).toBeDefined();
      expect(reads(ids.slack)).toHaveLength(0);
      expect(reads(ids.shared)).toHaveLength(2);
      const alert = up.slack.callsTo('chat.postMessage').find((c) => JSON.stringify(c.args).includes(`scan-${n}`));
      expect(alert?.authorization).toBe(`Bearer ${botToken}`);
    } finally {
      output.restore();
    }
    expect(output.lines().filter((l) => l.event === 'bot_secrets_unavailable')).toHaveLength(1);
    for (const value of SECRETS) expect(output.text()).not.toContain(value);
  });
});
