import { createHmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { captureOutput } from './support/harness.js';
import { eventCallbackBody, interactionBody, signedEvent, USER_ID } from './support/slack-request.js';
import { fillForm, startWorld, type World } from './support/world.js';

const HMAC_KEY = 'audit-key-for-tests-0123456789';
let world: World;
beforeAll(async () => {
  world = await startWorld({ AUDIT_CHANNEL_ID: 'C0AUDIT', FINGERPRINT_HMAC_KEY: HMAC_KEY, LOG_LEVEL: 'info' });
  // Waiting out Slack's per-channel limit adds nothing here (storage.test.ts's audit trail is about it).
  world.slack.setPostWindow(0);
});
afterEach(() => {
  world.slack.reset();
  world.secretsManager.clear();
});
afterAll(() => world.close());

describe('Slack retries', () => {
  it('a retried submission saves once, confirms once and audits once', async () => {
    const v = { ...world.validCredentials(), environment: 'prod' };
    const body = interactionBody(fillForm(await world.openModal(), v));
    await world.send(signedEvent({ secret: world.secret, body }));
    const retry = await world.send(signedEvent({ secret: world.secret, body, headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } }));
    expect(retry.json?.response_action).toBe('update');
    expect(JSON.stringify(retry.json?.view)).toContain('Already saved: prod');
    expect(world.secretsManager.versions('do-creds/prod')).toHaveLength(1);
    expect(world.slack.callsTo('chat.postEphemeral')).toHaveLength(1);
    expect(world.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === 'C0AUDIT')).toHaveLength(1);
  });

  it('a retried App Home event publishes nothing more', async () => {
    const body = eventCallbackBody({ type: 'app_home_opened', user: USER_ID, channel: 'D0', tab: 'home', event_ts: '1.1' });
    await world.send(signedEvent({ secret: world.secret, body, contentType: 'application/json' }));
    await world.send(signedEvent({ secret: world.secret, body, contentType: 'application/json', headers: { 'x-slack-retry-num': '2' } }));
    expect(world.slack.callsTo('views.publish')).toHaveLength(1);
  });
});

describe('what the bot writes into Slack', () => {
  it('escapes text from upstream (a team name) so it cannot become a mention or a link', async () => {
    const v = { ...world.validCredentials({ account: { teamName: '<!channel> <https://evil.example|click>', email: '<@U999>@x.test' } }), environment: 'prod' };
    await world.submit(v);
    const text = JSON.stringify(world.slack.callsTo('chat.postEphemeral')[0]?.args);
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<https://evil.example');
    expect(text).not.toContain('<@U999>');
    expect(text).toContain('&lt;!channel&gt;');
  });
});

describe('fingerprints', () => {
  it('gives people the last 4 characters and the audit trail a keyed HMAC an operator can check', async () => {
    const v = { ...world.validCredentials(), environment: 'prod' };
    const output = captureOutput();
    try {
      await world.submit(v);
    } finally {
      output.restore();
    }
    const expected = 'hmac-sha256:' + createHmac('sha256', HMAC_KEY).update(v.token).digest('hex');
    const auditLine = output.lines().find((l) => l.event === 'audit');
    expect(auditLine?.tokenHmac).toBe(expected);
    expect(auditLine?.fingerprint).toBe(v.token.slice(-4));
    expect(world.secretsManager.secret('do-creds/prod')?.tags.find((t) => t.Key === 'do-creds:token-hmac')?.Value).toBe(expected);
    expect(JSON.stringify(world.slack.callsTo('chat.postMessage').find((c) => c.args.channel === 'C0AUDIT')?.args)).toContain(expected);
  });
});

describe('concurrent submissions', () => {
  it('two submissions for the same environment at once both become versions, one current, none lost', async () => {
    const a = { ...world.validCredentials(), environment: 'prod' };
    const b = { ...world.validCredentials(), environment: 'prod' };
    const [ra, rb] = await Promise.all([world.submit(a), world.submit(b)]);
    expect(JSON.stringify(ra.json) + JSON.stringify(rb.json)).not.toContain('errors');
    expect(ra.json?.response_action).toBe('clear');
    expect(rb.json?.response_action).toBe('clear');
    const versions = world.secretsManager.versions('do-creds/prod');
    const tokens = versions.map((v) => (JSON.parse(v.value) as { do_token: string }).do_token);
    expect(tokens.sort()).toEqual([a.token, b.token].sort());
    expect(versions.filter((v) => v.stages.includes('AWSCURRENT'))).toHaveLength(1);
    expect(versions.filter((v) => v.stages.includes('AWSPREVIOUS'))).toHaveLength(1);
  });
});

describe('debug logging', () => {
  it('never writes the request bodies Bolt dumps at debug, even in development mode', async () => {
    const dev = await startWorld({ DO_CREDS_DEV_MODE: 'true', LOG_LEVEL: 'debug' });
    const output = captureOutput();
    const v = { ...dev.validCredentials(), environment: 'prod' };
    try {
      await dev.submit(v);
    } finally {
      output.restore();
      await dev.close();
    }
    expect(output.text()).toContain('"level":"debug"');
    expect(output.text()).not.toContain(v.token);
    expect(output.text()).not.toContain(v.secretKey);
  });
});
