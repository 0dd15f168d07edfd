import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { exampleMainTf } from '../src/lib/terraform-snippet.js';
import { fakeDoToken, fakeSpacesKey } from './support/credentials.js';
import { captureOutput, type InvokeResult } from './support/harness.js';
import { blockActionPayload, CHANNEL_ID, eventCallbackBody, interactionBody, signedEvent, USER_ID } from './support/slack-request.js';
import { fillForm, startWorld, type World } from './support/world.js';

const AUDIT_CHANNEL = 'C0AUDIT';
let world: World;
beforeAll(async () => {
  world = await startWorld({ AUDIT_CHANNEL_ID: AUDIT_CHANNEL, SECRET_NAME_PREFIX: 'do-creds/' });
  // Saves here follow each other within a second; Slack's one audit post a second per channel is
  // kept for the audit-trail test, which is about it.
  world.slack.setPostWindow(0);
});
afterEach(() => {
  world.slack.reset();
  world.secretsManager.clear();
});
afterAll(() => world.close());

function blocksText(res: InvokeResult): string {
  expect(res.statusCode).toBe(200);
  return JSON.stringify(res.json?.blocks ?? res.json);
}

async function store(env: string, extra: Parameters<World['validCredentials']>[0] = {}, bucket?: string) {
  const values = { ...world.validCredentials(extra, bucket), environment: env };
  const res = await world.submit(values);
  expect(res.json?.response_action).toBe('clear');
  return values;
}

describe('saving a validated submission', () => {
  it('stores the JSON Terraform reads and the metadata as tags, then closes the form', async () => {
    const v = await store('prod', { expiresInSeconds: 30 * 86400 }, 'tf-state');
    expect(world.secretsManager.currentValue('do-creds/prod')).toEqual({
      do_token: v.token,
      do_access_key: v.accessKey,
      do_secret_key: v.secretKey,
      spaces_region: 'nyc3',
      spaces_endpoint: world.spaces.url,
      spaces_bucket: 'tf-state',
    });
    const tags = Object.fromEntries((world.secretsManager.secret('do-creds/prod')?.tags ?? []).map((t) => [t.Key, t.Value]));
    expect(tags).toMatchObject({
      'do-creds:environment': 'prod',
      'do-creds:submitted-by': USER_ID,
      'do-creds:token-fingerprint': v.token.slice(-4),
      'do-creds:spaces-key-id': v.accessKey,
      'do-creds:spaces-region': 'nyc3',
      'do-creds:spaces-bucket': 'tf-state',
      'do-creds:alert-channel': CHANNEL_ID,
      'do-creds:validation': 'ok',
    });
    expect(tags['do-creds:token-expiry']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(Date.parse(tags['do-creds:validated-at'] ?? '')).toBeGreaterThan(Date.now() - 60_000);
    expect(JSON.stringify(tags)).not.toContain(v.token);
    expect(JSON.stringify(tags)).not.toContain(v.secretKey);
  });

  it('records "never" for a token without expiry', async () => {
    await store('staging');
    const tags = world.secretsManager.secret('do-creds/staging')?.tags ?? [];
    expect(tags.find((t) => t.Key === 'do-creds:token-expiry')?.Value).toBe('never');
  });

  it('confirms privately with the environment, account, fingerprint, key id, expiry, scopes and secret name', async () => {
    const v = await store('prod');
    const [posted] = world.slack.callsTo('chat.postEphemeral');
    expect(posted?.args.channel).toBe(CHANNEL_ID);
    expect(posted?.args.user).toBe(USER_ID);
    const text = JSON.stringify(posted?.args);
    for (const part of ['Saved: prod', 'platform@example.test', `…${v.token.slice(-4)}`, v.accessKey, 'never expires', 'Full Access', '`do-creds/prod`']) {
      expect(text).toContain(part);
    }
    expect(text).not.toContain(v.token);
    expect(text).not.toContain(v.secretKey);
  });

  it('falls back to a direct message when the bot cannot post in the channel', async () => {
    world.slack.replyTo('chat.postEphemeral', { body: { ok: false, error: 'channel_not_found' } });
    await store('prod');
    const dm = world.slack.callsTo('chat.postMessage').find((c) => c.args.channel === USER_ID);
    expect(JSON.stringify(dm?.args)).toContain('Saved: prod');
  });

  it('creates no second version when Slack delivers the same submission twice', async () => {
    const v = world.validCredentials();
    const view = await world.openModal();
    const payload = interactionBody({ ...fillForm(view, { ...v, environment: 'prod' }) });
    const first = await world.send(signedEvent({ secret: world.secret, body: payload }));
    const second = await world.send(signedEvent({ secret: world.secret, body: payload }));
    expect(first.json?.response_action).toBe('clear');
    expect(world.secretsManager.versions('do-creds/prod')).toHaveLength(1);
    // Answered "already saved" in the form itself: no second confirmation, no audit as a rotation.
    expect(second.json?.response_action).toBe('update');
    expect(JSON.stringify(second.json?.view)).toContain('Already saved: prod');
    const told = world.slack.callsTo('chat.postEphemeral').map((c) => JSON.stringify(c.args));
    expect(told).toHaveLength(1);
    expect(told[0]).toContain('Saved: prod');
    expect(world.slack.callsTo('chat.postMessage').filter((c) => JSON.stringify(c.args).includes('rotated'))).toHaveLength(0);
  });

  it('adds a version on rotation and keeps the old value as AWSPREVIOUS, resetting the expiry alerts', async () => {
    const first = await store('prod');
    world.secretsManager.secret('do-creds/prod')?.tags.push({ Key: 'do-creds:alerted-threshold', Value: '7' });
    const second = await store('prod');
    const versions = world.secretsManager.versions('do-creds/prod');
    expect(versions).toHaveLength(2);
    const previous = versions.find((x) => x.stages.includes('AWSPREVIOUS'));
    expect((JSON.parse(previous?.value ?? '{}') as { do_token?: string }).do_token).toBe(first.token);
    expect(world.secretsManager.currentValue('do-creds/prod')?.do_token).toBe(second.token);
    const tags = world.secretsManager.secret('do-creds/prod')?.tags ?? [];
    expect(tags.find((t) => t.Key === 'do-creds:alerted-threshold')).toBeUndefined();
    expect(tags.find((t) => t.Key === 'do-creds:token-fingerprint')?.Value).toBe(second.token.slice(-4));
    expect(JSON.stringify(world.slack.callsTo('chat.postEphemeral').at(-1)?.args)).toContain('Rotated: prod');
  });

  it('uses a customer-managed KMS key when configured', async () => {
    const kmsWorld = await startWorld({ KMS_KEY_ID: 'alias/do-creds' });
    try {
      const values = { ...kmsWorld.validCredentials(), environment: 'prod' };
      await kmsWorld.submit(values);
      expect(kmsWorld.secretsManager.secret('do-creds/prod')?.kmsKeyId).toBe('alias/do-creds');
    } finally {
      await kmsWorld.close();
    }
  });
});

describe('Secrets Manager faults', () => {
  it.each([
    ['AccessDeniedException', 'not allowed to save'],
    ['EncryptionFailure', 'KMS key'],
    ['InternalServiceError', 'did not answer'],
  ])('answers %s in the form and leaves the stored version untouched', async (type, message) => {
    const old = await store('prod');
    world.secretsManager.fail('PutSecretValue', { type, status: type === 'InternalServiceError' ? 500 : 400 }, 5);
    const res = await world.submit({ ...world.validCredentials(), environment: 'prod' });
    expect(res.json?.response_action).toBe('errors');
    const errors = res.json?.errors as Record<string, string>;
    expect(errors.environment).toContain(message);
    expect(errors.environment).toContain('Nothing was saved');
    expect(world.secretsManager.currentValue('do-creds/prod')?.do_token).toBe(old.token);
    expect(world.secretsManager.versions('do-creds/prod')).toHaveLength(1);
  });

  it('retries throttling with backoff and then saves', async () => {
    world.secretsManager.fail('CreateSecret', { type: 'ThrottlingException', message: 'Rate exceeded' }, 2);
    await store('prod');
    expect(world.secretsManager.calls.filter((c) => c.operation === 'CreateSecret')).toHaveLength(3);
    expect(world.secretsManager.currentValue('do-creds/prod')).toBeDefined();
  });

  it('says it could not confirm the save, never "nothing was saved", when Secrets Manager is slower than Slack allows', async () => {
    world.secretsManager.fail('CreateSecret', { delayMs: 4000 }, 3);
    const output = captureOutput();
    const started = Date.now();
    let res;
    try {
      res = await world.submit({ ...world.validCredentials(), environment: 'prod' });
    } finally {
      output.restore();
    }
    expect(Date.now() - started).toBeLessThan(3000);
    const error = (res.json?.errors as Record<string, string>).environment;
    expect(error).toContain('did not confirm the save in time');
    expect(error).not.toContain('Nothing was saved');
    // Slack shows a field error as plain text: no backticks around the command.
    expect(error).toContain('check "/do-creds status" in a minute');
    expect(error).not.toContain('`');
    expect(output.lines().some((l) => l.event === 'audit' && l.action === 'unknown')).toBe(true);
  });
});

describe('the 3-second budget', () => {
  it('counts from the request\'s arrival at API Gateway, so a slow cold start leaves less time to save', async () => {
    world.secretsManager.fail('CreateSecret', { delayMs: 4000 }, 3);
    const view = await world.openModal();
    const event = signedEvent({ secret: world.secret, body: interactionBody(fillForm(view, { ...world.validCredentials(), environment: 'prod' })) });
    const arrived = Date.now() - 1500; // 1.5 s went by before the handler ran (a cold start)
    event.requestContext.timeEpoch = arrived;
    const res = await world.send(event);
    expect(Date.now() - arrived).toBeLessThan(3000);
    expect((res.json?.errors as Record<string, string>).environment).toContain('did not confirm the save in time');
  });
});

describe('/do-creds status', () => {
  it('lists every set from tags alone, with fingerprint, expiry and days left, submitter and last check', async () => {
    const prod = await store('prod', { expiresInSeconds: 10 * 86400 });
    await store('staging');
    world.secretsManager.calls.length = 0;
    const text = blocksText(await world.command('status'));
    expect(text).toContain('*prod*');
    expect(text).toContain(`…${prod.token.slice(-4)}`);
    expect(text).toContain('in 10 days');
    expect(text).toContain('*staging*');
    expect(text).toContain('never expires');
    expect(text).toContain(`<@${USER_ID}>`);
    expect(text).toContain('working');
    expect(world.secretsManager.calls.map((c) => c.operation)).toEqual(['ListSecrets']);
  });

  it('pages through ListSecrets', async () => {
    for (let i = 0; i < 120; i += 1) {
      world.secretsManager.seed(`do-creds/env-${i}`, '{}', [
        { Key: 'do-creds:environment', Value: `env-${i}` },
        { Key: 'do-creds:token-expiry', Value: 'never' },
      ]);
    }
    const res = await world.command('status');
    expect(blocksText(res)).toContain('(120)');
    expect(world.secretsManager.calls.filter((c) => c.operation === 'ListSecrets')).toHaveLength(2);
  });

  it('says when nothing is stored yet', async () => {
    expect(blocksText(await world.command('status'))).toContain('No DigitalOcean credentials are stored yet');
  });

  it('shows the same status in the App Home tab when it is opened', async () => {
    await store('prod');
    const body = eventCallbackBody({ type: 'app_home_opened', user: USER_ID, channel: 'D0HOME', tab: 'home', event_ts: '1700000000.1' });
    const res = await world.send(signedEvent({ secret: world.secret, body, contentType: 'application/json' }));
    expect(res.statusCode).toBe(200);
    const [published] = world.slack.callsTo('views.publish');
    expect(published?.args.user_id).toBe(USER_ID);
    expect(JSON.stringify(published?.args.view)).toContain('*prod*');
  });
});

describe('/do-creds rotate', () => {
  it('opens the form prefilled with the set\'s environment, region and bucket, and no secret', async () => {
    const v = await store('prod', {}, 'tf-state');
    world.slack.reset();
    const res = await world.command('rotate prod');
    expect(res.statusCode).toBe(200);
    // Opened at once with the environment named, then completed from the stored set.
    const opened = world.slack.accepted('views.open')[0]?.args.view as { private_metadata: string };
    expect(JSON.stringify(opened)).toContain('"initial_value":"prod"');
    const [update] = world.slack.accepted('views.update');
    const view = update?.args.view as { private_metadata: string; blocks: object[] };
    const text = JSON.stringify(view);
    expect(JSON.parse(view.private_metadata)).toMatchObject({ mode: 'rotate' });
    expect(text).toContain('"initial_value":"prod"');
    expect(text).toContain('"initial_value":"tf-state"');
    expect(text).toContain('"initial_option":{"text":{"type":"plain_text","text":"nyc3 (New York)"');
    for (const call of [...world.slack.calls]) {
      expect(JSON.stringify(call.args)).not.toContain(v.token);
      expect(JSON.stringify(call.args)).not.toContain(v.accessKey);
    }
  });

  it('says in the form when the environment has no stored set, and asks for one when none is named', async () => {
    const res = await world.command('rotate nope');
    expect(res.json).toBeUndefined();
    const notice = world.slack.accepted('views.update')[0]?.args.view as { blocks: object[]; submit?: unknown };
    expect(JSON.stringify(notice.blocks)).toContain('No credentials are stored for `nope`');
    expect(notice.submit).toBeUndefined();
    world.slack.reset();
    expect(blocksText(await world.command('rotate'))).toContain('Which environment?');
    expect(world.slack.callsTo('views.open')).toHaveLength(0);
  });
});

describe('/do-creds delete', () => {
  it('asks for confirmation, then schedules deletion with a recovery window and says how to restore', async () => {
    const v = await store('prod');
    const ask = await world.command('delete prod');
    const askText = blocksText(ask);
    expect(askText).toContain('"confirm":');
    expect(askText).toContain('"style":"danger"');
    expect(world.secretsManager.secret('do-creds/prod')?.deletionDate).toBeUndefined();

    const click = blockActionPayload({ actionId: 'delete_credentials', value: 'prod', responseUrl: world.slack.responseUrl('delete') });
    await world.send(signedEvent({ secret: world.secret, body: interactionBody(click) }));
    const del = world.secretsManager.calls.find((c) => c.operation === 'DeleteSecret');
    expect(del?.input).toEqual({ SecretId: 'do-creds/prod', RecoveryWindowInDays: 30 });
    expect(world.secretsManager.secret('do-creds/prod')?.deletionDate).toBeDefined();
    const answer = JSON.stringify(world.slack.responses.at(-1)?.body);
    expect(answer).toContain('restore-secret --secret-id do-creds/prod');
    expect(answer).not.toContain(v.token);
    expect(blocksText(await world.command('status'))).toContain('No DigitalOcean credentials are stored yet');
  });

  it('brings a deleted set back when it is set up again within the recovery window', async () => {
    await store('prod');
    const click = blockActionPayload({ actionId: 'delete_credentials', value: 'prod', responseUrl: world.slack.responseUrl('delete') });
    await world.send(signedEvent({ secret: world.secret, body: interactionBody(click) }));
    const again = await store('prod');
    expect(world.secretsManager.secret('do-creds/prod')?.deletionDate).toBeUndefined();
    expect(world.secretsManager.currentValue('do-creds/prod')?.do_token).toBe(again.token);
    expect(JSON.stringify(world.slack.callsTo('chat.postEphemeral').at(-1)?.args)).toContain('Restored: prod');
    // As AWS does, and unlike moto: CreateSecret on a name scheduled for deletion is never the way back.
    expect(world.secretsManager.calls.map((c) => c.operation)).toContain('RestoreSecret');
  });

  it('says when the environment has no stored set', async () => {
    expect(blocksText(await world.command('delete nope'))).toContain('No credentials are stored for `nope`');
  });
});

describe('metadata someone else tagged', () => {
  it('a tag claiming prod on dev, or carrying HCL and a mention, changes nothing the bot prints', async () => {
    await store('dev', {}, 'tf-state');
    const secret = world.secretsManager.secret('do-creds/dev')!;
    const retag = (key: string, value: string) => (secret.tags = [...secret.tags.filter((t) => t.Key !== key), { Key: key, Value: value }]);
    retag('do-creds:environment', 'prod');
    retag('do-creds:spaces-bucket', 'x" } data "external" "pwn" { program = ["sh"] } #');
    retag('do-creds:spaces-key-id', '<!channel>');
    const status = blocksText(await world.command('status'));
    expect(status).toContain('*dev*');
    expect(status).not.toContain('*prod*');
    expect(status).toContain('Description damaged');
    expect(status).not.toContain('<!channel>');
    const terraform = blocksText(await world.command('terraform dev'));
    expect(terraform).not.toContain('external');
    expect(terraform).not.toContain('do-creds/prod');
    const del = blocksText(await world.command('delete dev'));
    expect(del).not.toContain('<!channel>');
  });
});

describe('/do-creds terraform', () => {
  it('gives the HCL that reads this secret and configures the provider, and the Spaces backend', async () => {
    await store('prod', {}, 'tf-state');
    const text = blocksText(await world.command('terraform prod'));
    for (const part of [
      'ephemeral \\"aws_secretsmanager_secret_version\\" \\"do_creds\\"',
      'secret_id = \\"do-creds/prod\\"',
      'jsondecode(ephemeral.aws_secretsmanager_secret_version.do_creds.secret_string)',
      'token             = local.do_creds.do_token',
      'spaces_access_id  = local.do_creds.do_access_key',
      'spaces_secret_key = local.do_creds.do_secret_key',
      'backend \\"s3\\"',
      'bucket = \\"tf-state\\"',
      's3 = \\"https://nyc3.digitaloceanspaces.com\\"',
      'skip_credentials_validation = true',
      'AWS_ACCESS_KEY_ID',
    ]) {
      expect(text).toContain(part);
    }
  });

  it('says when the environment has no stored set', async () => {
    expect(blocksText(await world.command('terraform nope'))).toContain('No credentials are stored for `nope`');
  });

  it('matches the committed example, which comes from the same source', () => {
    expect(readFileSync(new URL('../examples/terraform/main.tf', import.meta.url), 'utf8')).toBe(exampleMainTf());
  });
});

describe('audit trail', () => {
  it('writes one log line and one audit-channel message per save, rotate and delete, never a value', async () => {
    const output = captureOutput();
    world.slack.setPostWindow(1_000);
    let first, second;
    try {
      first = await store('prod');
      second = await store('prod');
      const click = blockActionPayload({ actionId: 'delete_credentials', value: 'prod', responseUrl: world.slack.responseUrl('delete') });
      await world.send(signedEvent({ secret: world.secret, body: interactionBody(click) }));
    } finally {
      output.restore();
      world.slack.setPostWindow(0);
    }
    const lines = output.lines().filter((l) => l.event === 'audit');
    expect(lines.map((l) => l.action)).toEqual(['save', 'rotate', 'delete']);
    expect(lines[0]).toMatchObject({ actor: USER_ID, environment: 'prod', fingerprint: first.token.slice(-4) });
    // Three posts in one channel within a second: Slack takes them one a second (the rest are retried).
    const posts = world.slack.accepted('chat.postMessage').filter((c) => c.args.channel === AUDIT_CHANNEL);
    expect(posts).toHaveLength(3);
    const everything = output.text() + JSON.stringify(posts);
    for (const secret of [first.token, first.secretKey, second.token, second.secretKey]) expect(everything).not.toContain(secret);
  });
});

it('generates distinct fake credentials per run', () => {
  expect(fakeDoToken()).not.toBe(fakeDoToken());
  expect(fakeSpacesKey().secretKey).not.toBe(fakeSpacesKey().secretKey);
});
