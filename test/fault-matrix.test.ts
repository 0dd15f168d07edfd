import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fakeSpacesKey } from './support/credentials.js';
import { captureOutput, type InvokeResult } from './support/harness.js';
import { startWorld, type FormValues, type World } from './support/world.js';

/**
 * Every upstream fault, table-driven: what the person is told, the log line written, and that the
 * version stored before is unchanged.
 */

let world: World;
let previousToken: string;
beforeAll(async () => {
  world = await startWorld({ LOG_LEVEL: 'info' });
});
afterAll(() => world.close());

async function withStoredVersion(): Promise<void> {
  world.secretsManager.clear();
  const v = { ...world.validCredentials(), environment: 'prod' };
  await world.submit(v);
  previousToken = v.token;
  world.slack.reset();
}
afterEach(() => world.spaces.setFault(undefined));

interface Case {
  name: string;
  arrange: () => FormValues;
  field: string;
  message: string;
  log: string;
  /** The cause in the log line's one structured field, so an operator can tell an outage from a typo. */
  cause?: Record<string, string>;
}

const credentials = (behaviour: Parameters<World['validCredentials']>[0] = {}, bucket?: string): FormValues => ({
  ...world.validCredentials(behaviour, bucket),
  environment: 'prod',
});

const cases: Case[] = [
  { name: 'DigitalOcean timeout', arrange: () => credentials({ delayMs: 5000 }), field: 'do_token', message: "DigitalOcean's API did not answer in time", log: 'submission_invalid', cause: { digitalocean: 'timeout' } },
  { name: 'DigitalOcean 5xx', arrange: () => credentials({ fault: 'server_error' }), field: 'do_token', message: 'server error (5xx), an outage on its side', log: 'submission_invalid', cause: { digitalocean: 'server_error' } },
  { name: 'DigitalOcean 429', arrange: () => credentials({ fault: 'rate_limited' }), field: 'do_token', message: 'rate limiting this token right now (429)', log: 'submission_invalid', cause: { digitalocean: 'rate_limited' } },
  { name: 'DigitalOcean malformed JSON', arrange: () => credentials({ fault: 'malformed' }), field: 'do_token', message: 'not its usual JSON', log: 'submission_invalid', cause: { digitalocean: 'bad_response' } },
  { name: 'DigitalOcean 401', arrange: () => credentials({ fault: 'unauthorized' }), field: 'do_token', message: 'rejected this token', log: 'submission_invalid', cause: { digitalocean: 'unauthorized' } },
  { name: 'Spaces timeout', arrange: () => (world.spaces.setFault({ delayMs: 5000 }), credentials()), field: 'spaces_access_key', message: 'Spaces (nyc3) did not answer in time', log: 'submission_invalid', cause: { spaces: 'timeout' } },
  { name: 'Spaces 5xx', arrange: () => (world.spaces.setFault({ status: 500 }), credentials()), field: 'spaces_access_key', message: 'server error (5xx)', log: 'submission_invalid', cause: { spaces: 'server_error' } },
  { name: 'Spaces SlowDown', arrange: () => (world.spaces.setFault({ status: 503 }), credentials()), field: 'spaces_access_key', message: 'rate limiting', log: 'submission_invalid', cause: { spaces: 'rate_limited' } },
  { name: 'Spaces reset connection', arrange: () => (world.spaces.setFault({ reset: true }), credentials()), field: 'spaces_access_key', message: 'could not connect to Spaces (nyc3)', log: 'submission_invalid', cause: { spaces: 'network' } },
  { name: 'Spaces InvalidAccessKeyId', arrange: () => ({ ...credentials(), accessKey: fakeSpacesKey().accessKey }), field: 'spaces_access_key', message: 'does not know this access key', log: 'submission_invalid' },
  { name: 'Spaces SignatureDoesNotMatch', arrange: () => ({ ...credentials(), secretKey: fakeSpacesKey().secretKey }), field: 'spaces_secret_key', message: 'does not belong', log: 'submission_invalid' },
  { name: 'Spaces NoSuchBucket', arrange: () => ({ ...credentials(), bucket: 'nope-bucket' }), field: 'spaces_bucket', message: 'no bucket with this name', log: 'submission_invalid' },
  ...(['ThrottlingException', 'AccessDeniedException', 'KMSDisabledException', 'EncryptionFailure', 'InternalServiceError'] as const).map(
    (type): Case => ({
      name: `Secrets Manager ${type}`,
      arrange: () => (world.secretsManager.fail('PutSecretValue', { type, status: type === 'InternalServiceError' ? 500 : 400 }, 10), credentials()),
      field: 'environment',
      message: { ThrottlingException: 'throttling', AccessDeniedException: 'not allowed', KMSDisabledException: 'KMS key', EncryptionFailure: 'KMS key', InternalServiceError: 'did not answer' }[type],
      log: 'store_failed',
    }),
  ),
  {
    name: 'Secrets Manager timeout',
    arrange: () => (world.secretsManager.fail('PutSecretValue', { delayMs: 4000 }, 10), credentials()),
    field: 'environment',
    // The write may still land: an unknown outcome, never "nothing was saved".
    message: 'did not confirm the save in time',
    log: 'store_failed',
  },
];

describe('upstream faults during a submission', () => {
  it.each(cases)('$name: the person is told on the right field, a log line is written, the stored version is unchanged', async (c) => {
    await withStoredVersion();
    const output = captureOutput();
    let res: InvokeResult;
    const started = Date.now();
    try {
      res = await world.submit(c.arrange());
    } finally {
      output.restore();
    }
    expect(Date.now() - started).toBeLessThan(3000);
    expect(res.json?.response_action).toBe('errors');
    expect((res.json?.errors as Record<string, string>)[c.field]).toContain(c.message);
    expect(output.lines().some((l) => l.event === c.log)).toBe(true);
    if (c.cause) expect(output.lines().find((l) => l.event === 'submission_invalid')?.causes).toMatchObject(c.cause);
    expect(world.secretsManager.currentValue('do-creds/prod')?.do_token).toBe(previousToken);
  });
});

describe('refused connections', () => {
  it.each([
    ['DigitalOcean', { DO_API_URL: 'http://127.0.0.1:9', DO_TOKEN_INFO_URL: 'http://127.0.0.1:9/info' }, 'do_token', "could not connect to DigitalOcean's API"],
    ['Spaces', { SPACES_ENDPOINT_URL: 'http://127.0.0.1:9' }, 'spaces_access_key', 'could not connect to Spaces'],
  ])('%s refusing connections is "could not connect", never a crash', async (_name, env, field, message) => {
    const isolated = await startWorld(env);
    try {
      const res = await isolated.submit({ ...isolated.validCredentials(), environment: 'prod' });
      expect((res.json?.errors as Record<string, string>)[field]).toContain(message);
    } finally {
      await isolated.close();
    }
  });
});

describe('Slack faults', () => {
  it.each([
    ['expired trigger', { body: { ok: false, error: 'expired_trigger_id' } }, 'click *Submit credentials* again'],
    ['rate limit', { status: 429, headers: { 'retry-after': '5' }, body: { ok: false, error: 'ratelimited' } }, 'try again in 5 seconds'],
    ['5xx', { status: 503, body: { ok: false } }, 'could not open the form'],
  ])('views.open %s: the person is told through the response URL, and it is logged', async (_name, reply, message) => {
    world.slack.reset();
    world.slack.replyTo('views.open', reply);
    const output = captureOutput();
    try {
      await world.openModal();
    } finally {
      output.restore();
    }
    expect(JSON.stringify(world.slack.responses.at(-1)?.body)).toContain(message);
    expect(output.lines().some((l) => l.event === 'views_open_failed')).toBe(true);
  });

  it('not_in_channel for the confirmation: sent as a direct message instead, and logged', async () => {
    await withStoredVersion();
    world.slack.replyTo('chat.postEphemeral', { body: { ok: false, error: 'not_in_channel' } });
    const output = captureOutput();
    try {
      await world.submit(credentials());
    } finally {
      output.restore();
    }
    expect(world.slack.callsTo('chat.postMessage').some((c) => c.args.channel === 'U0TESTUSER')).toBe(true);
    expect(output.lines().some((l) => l.event === 'post_ephemeral_fallback_dm')).toBe(true);
  });
});
