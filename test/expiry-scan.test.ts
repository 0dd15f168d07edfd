import { DeleteSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fakeDoToken, fakeSpacesKey } from './support/credentials.js';
import { FULL_ACCESS, type TokenBehaviour } from './support/fake-digitalocean.js';
import { seedSet, type Seeded } from './support/seed-sets.js';
import { captureOutput, loadScanHandler, type ScanHandler } from './support/harness.js';
import { blockActionPayload, interactionBody, signedEvent } from './support/slack-request.js';
import { startWorld, type World } from './support/world.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-24T09:00:00Z');
const ALERT_CHANNEL = 'C0ALERTS';

let world: World;
let scan: ScanHandler;
beforeAll(async () => {
  world = await startWorld({ ALERT_CHANNEL_ID: ALERT_CHANNEL });
  // The sets' own alert channel: someone ran /do-creds there and invited the bot.
  world.slack.join('C0PLATFORM');
  // Scans post their alerts back to back; Slack's one message a second per channel is kept for the
  // test that is about it (a scan of many sets in one channel), so the others stay fast.
  world.slack.setPostWindow(0);
  // Likewise do-creds' own pacing of alerts to one channel (ALERT_POST_INTERVAL_MS, 1 s by default).
  scan = await loadScanHandler({ ...world.env, ALERT_POST_INTERVAL_MS: '0' });
});
afterEach(() => {
  world.slack.reset();
  world.secretsManager.clear();
});
afterAll(() => world.close());

/** The scheduled event EventBridge delivers; its time is the scan's clock. */
const at = (ms: number) => ({ time: new Date(ms).toISOString(), 'detail-type': 'Scheduled Event' as const, source: 'aws.events' });

/** Stores a set directly, as do-creds' store writes it, with a token registered at DigitalOcean. */
function seed(env: string, expiresInDays: number | undefined, o: { channel?: string | null; behaviour?: Partial<TokenBehaviour>; alerted?: number } = {}): Seeded {
  return seedSet({ ...world, spacesUrl: world.spaces.url }, env, { now: NOW, expiresInDays, ...o });
}

const alerts = () => world.slack.callsTo('chat.postMessage');
const alertFor = (env: string) => alerts().filter((c) => JSON.stringify(c.args.blocks).includes(`*${env}*`));
const tag = (env: string, key: string) => world.secretsManager.secret(`do-creds/${env}`)?.tags.find((t) => t.Key === key)?.Value;

describe('expiry alerts', () => {
  it('alerts each set once for the threshold it has reached, and nothing for far or never-expiring sets', async () => {
    const cases: [string, number | undefined, number | undefined][] = [
      ['far', 45, undefined],
      ['never', undefined, undefined],
      ['d30', 30, 30],
      ['d29', 29, 30],
      ['d14', 14, 14],
      ['d10', 10, 14],
      ['d7', 7, 7],
      ['d3', 3, 3],
      ['d1', 1, 1],
      ['d0', 0, 0],
      ['expired', -2, 0],
    ];
    for (const [env, days] of cases) seed(env, days);
    const summary = await scan(at(NOW));
    for (const [env, , threshold] of cases) {
      expect(alertFor(env), env).toHaveLength(threshold === undefined ? 0 : 1);
      expect(tag(env, 'do-creds:alerted-threshold'), env).toBe(threshold === undefined ? undefined : String(threshold));
    }
    expect(summary).toMatchObject({ listed: 11, alertsSent: 9, revokedFound: 0, failures: 0 });
  });

  it('says who, which environment, the fingerprint, the date and the days left, with Rotate now and the guide', async () => {
    const s = seed('prod', 7);
    await scan(at(NOW));
    const [alert] = alertFor('prod');
    expect(alert?.args.channel).toBe('C0PLATFORM');
    const text = JSON.stringify(alert?.args);
    expect(text).toContain('<@UPROD>');
    expect(text).toContain(`…${s.token.slice(-4)}`);
    expect(text).toContain('expires on 2026-12-01, in 7 days');
    expect(text).toContain('"action_id":"rotate_from_alert"');
    expect(text).toContain('"value":"prod"');
    expect(text).toContain('create-personal-access-token');
    expect(text).not.toContain(s.token);
  });

  it('says "expired" plainly, and "today" on the day', async () => {
    seed('gone', -3);
    seed('today', 0);
    await scan(at(NOW));
    expect(JSON.stringify(alertFor('gone')[0]?.args)).toContain('*expired* on 2026-11-21');
    expect(JSON.stringify(alertFor('today')[0]?.args)).toContain('expires *today*');
  });

  it('sends nothing new when the scan runs again, or is retried, the same day', async () => {
    seed('prod', 7);
    seed('staging', 20);
    await scan(at(NOW));
    const first = alerts().length;
    const again = await scan(at(NOW));
    await scan(at(NOW + 3 * 3600_000));
    expect(first).toBe(2);
    expect(alerts()).toHaveLength(first);
    expect(again.alertsSent).toBe(0);
  });

  it('does not alert again, or alert a deleted set, when ListSecrets lags behind (as AWS says it may)', async () => {
    seed('prod', 7);
    seed('gone', 3);
    world.secretsManager.setListStaleness(5 * 60_000);
    await scan(at(NOW));
    expect(alerts()).toHaveLength(2);
    const client = new SecretsManagerClient({ endpoint: world.secretsManager.url, region: 'us-east-1', credentials: { accessKeyId: 'AKIATEST', secretAccessKey: 'test' } });
    await client.send(new DeleteSecretCommand({ SecretId: 'do-creds/gone', RecoveryWindowInDays: 7 }));
    // The listing still shows prod without its alert recorded, and gone as if it were there.
    const again = await scan(at(NOW + 4 * 86_400_000));
    expect(alertFor('gone')).toHaveLength(1);
    expect(alertFor('prod')).toHaveLength(2); // the 3-day threshold, once
    expect(again.failures).toBe(0);
  });

  it('alerts at 30, 14, 7, 3 and 1 days ahead and on the day, once each, over a month of daily scans', async () => {
    seed('prod', 35);
    for (let day = 0; day <= 36; day += 1) await scan(at(NOW + day * DAY));
    const texts = alertFor('prod').map((c) => String(c.args.text));
    expect(texts).toHaveLength(6);
    expect(texts.map((t) => /in (\d+) days?|today/.exec(t)?.[0])).toEqual(['in 30 days', 'in 14 days', 'in 7 days', 'in 3 days', 'in 1 day', 'today']);
  });

  it('starts afresh after a rotation', async () => {
    const v = { ...world.validCredentials({ expiresInSeconds: 5 * DAY / 1000 }), environment: 'prod' };
    await world.submit(v);
    world.secretsManager.secret('do-creds/prod')!.tags.push({ Key: 'do-creds:alerted-threshold', Value: '3' });
    const rotated = { ...world.validCredentials({ expiresInSeconds: 6 * DAY / 1000 }), environment: 'prod' };
    await world.submit(rotated);
    world.slack.reset();
    await scan(at(Date.now()));
    expect(alertFor('prod')).toHaveLength(1);
    expect(tag('prod', 'do-creds:alerted-threshold')).toBe('7');
  });

  it('goes to ALERT_CHANNEL_ID when the set has no channel of its own', async () => {
    seed('prod', 7, { channel: null });
    await scan(at(NOW));
    expect(alertFor('prod')[0]?.args.channel).toBe(ALERT_CHANNEL);
  });
});

describe('many alerts for one channel', () => {
  it('go as a digest with a row per environment, soonest first, and each is recorded', async () => {
    const envs = ['app-1', 'app-2', 'app-3', 'app-4', 'app-5', 'app-6'];
    envs.forEach((env, i) => seed(env, i === 0 ? 1 : 7, { channel: 'C0PLATFORM' }));
    seed('lone', 7, { channel: 'C0OTHER' });
    world.slack.join('C0OTHER');
    const summary = await scan(at(NOW));
    expect(summary).toMatchObject({ alertsSent: 7, failures: 0 });
    const platform = alerts().filter((c) => c.args.channel === 'C0PLATFORM');
    expect(platform).toHaveLength(1);
    const text = JSON.stringify(platform[0]?.args.blocks);
    for (const env of envs) expect(text).toContain(`*${env}*`);
    expect(text.indexOf('*app-1*')).toBeLessThan(text.indexOf('*app-2*'));
    expect(alerts().filter((c) => c.args.channel === 'C0OTHER')).toHaveLength(1);
    for (const env of envs) expect(tag(env, 'do-creds:alerted-threshold')).toBeDefined();
    await scan(at(NOW));
    expect(alerts()).toHaveLength(2);
  });
});

describe('health check', () => {
  it('alerts once when a stored token stops working, and marks it until it is rotated', async () => {
    seed('prod', undefined, { behaviour: { fault: 'unauthorized' } });
    seed('staging', undefined);
    const summary = await scan(at(NOW));
    expect(summary.revokedFound).toBe(1);
    expect(JSON.stringify(alertFor('prod')[0]?.args)).toContain('no longer works');
    expect(alertFor('staging')).toHaveLength(0);
    expect(tag('prod', 'do-creds:validation')).toBe('revoked');
    expect(tag('staging', 'do-creds:validation')).toBe('ok');
    // Nothing changed for staging, so nothing was written (tag writes: 50 a second per account).
    expect(tag('staging', 'do-creds:validated-at')).toBe(new Date(NOW - 10 * DAY).toISOString());
    expect(world.secretsManager.calls.filter((c) => c.operation === 'TagResource' && c.input.SecretId === 'do-creds/staging')).toHaveLength(0);
    await scan(at(NOW + DAY));
    expect(alertFor('prod')).toHaveLength(1);
    expect(JSON.stringify((await world.command('status')).json)).toContain('token no longer works');
  });

  it('treats a custom-scoped token without account:read as working', async () => {
    seed('prod', undefined, { behaviour: { scopes: ['droplet:read'] } });
    await scan(at(NOW));
    expect(alerts()).toHaveLength(0);
    expect(tag('prod', 'do-creds:validation')).toBe('ok');
  });

  it('waits out DigitalOcean\'s rate limit and carries on', async () => {
    seed('prod', undefined, { behaviour: { rateLimitedCalls: 1 } });
    const summary = await scan(at(NOW));
    expect(summary.failures).toBe(0);
    expect(world.digitalocean.requests.filter((r) => r.path === '/v2/account').length).toBeGreaterThanOrEqual(2);
    expect(tag('prod', 'do-creds:validation')).toBe('ok');
  });

  it('a 429 pauses only that token: the next token is checked while it waits', async () => {
    const limited = seed('a-limited', undefined, { behaviour: { rateLimitedCalls: 1 } });
    const fine = seed('b-fine', undefined);
    const oneAtATime = await loadScanHandler({ ...world.env, HEALTH_CHECK_CONCURRENCY: '1' });
    const summary = await oneAtATime(at(NOW));
    expect(summary.failures).toBe(0);
    const ours = [`Bearer ${limited.token}`, `Bearer ${fine.token}`];
    const order = world.digitalocean.requests.filter((r) => r.path === '/v2/account' && ours.includes(r.authorization ?? '')).map((r) => r.authorization);
    expect(order).toEqual([`Bearer ${limited.token}`, `Bearer ${fine.token}`, `Bearer ${limited.token}`]);
    expect(tag('a-limited', 'do-creds:validation')).toBe('ok');
  });

  it('reads tokens in batches with BatchGetSecretValue and does not check tokens already past expiry', async () => {
    seed('gone', -1);
    for (let i = 0; i < 25; i += 1) seed(`env-${i}`, undefined);
    await scan(at(NOW));
    const batches = world.secretsManager.calls.filter((c) => c.operation === 'BatchGetSecretValue');
    expect(batches).toHaveLength(2);
    const ids = batches.flatMap((b) => b.input.SecretIdList as string[]);
    expect(ids).toHaveLength(25);
    expect(ids).not.toContain('do-creds/gone');
    expect(world.secretsManager.calls.some((c) => c.operation === 'GetSecretValue')).toBe(false);
  });
});

describe('descriptions of another version', () => {
  it('are repaired from the stored value and DigitalOcean\'s token info when a write landed without its tags', async () => {
    seed('prod', 40);
    // A rotation whose PutSecretValue landed after its answer timed out: the tags still describe the old token.
    const token = fakeDoToken();
    world.digitalocean.setToken(token, { scopes: FULL_ACCESS, expiresInSeconds: 20 * DAY / 1000 });
    const { accessKey, secretKey } = fakeSpacesKey();
    const client = new SecretsManagerClient({ endpoint: world.secretsManager.url, region: 'us-east-1', credentials: { accessKeyId: 'AKIATEST', secretAccessKey: 'test' } });
    const value = { do_token: token, do_access_key: accessKey, do_secret_key: secretKey, spaces_region: 'ams3', spaces_endpoint: 'https://ams3.digitaloceanspaces.com' };
    const put = await client.send(new PutSecretValueCommand({ SecretId: 'do-creds/prod', SecretString: JSON.stringify(value), ClientRequestToken: 'b'.repeat(64) }));
    await scan(at(Date.now()));
    expect(tag('prod', 'do-creds:token-fingerprint')).toBe(token.slice(-4));
    expect(tag('prod', 'do-creds:spaces-key-id')).toBe(accessKey);
    expect(tag('prod', 'do-creds:spaces-region')).toBe('ams3');
    expect(tag('prod', 'do-creds:metadata-version')).toBe(put.VersionId);
    expect(tag('prod', 'do-creds:token-expiry')).toBe(new Date(Date.now() + 20 * DAY).toISOString().slice(0, 10));
  });
});

describe('scale', () => {
  it('scans 260 sets over several ListSecrets pages', async () => {
    for (let i = 0; i < 260; i += 1) seed(`env-${String(i).padStart(3, '0')}`, i === 7 ? 7 : undefined);
    const summary = await scan(at(NOW));
    expect(summary).toMatchObject({ listed: 260, alertsSent: 1, failures: 0 });
    expect(world.secretsManager.calls.filter((c) => c.operation === 'ListSecrets')).toHaveLength(3);
  });
});

describe('Slack faults', () => {
  it.each(['not_in_channel', 'channel_not_found'])('falls back to a direct message to the submitter on %s', async (error) => {
    seed('prod', 7);
    world.slack.replyTo('chat.postMessage', (call) => (call.args.channel === 'C0PLATFORM' ? { body: { ok: false, error } } : undefined));
    const summary = await scan(at(NOW));
    expect(alerts().map((c) => c.args.channel)).toEqual(['C0PLATFORM', 'UPROD']);
    expect(summary.failures).toBe(0);
    expect(tag('prod', 'do-creds:alerted-threshold')).toBe('7');
  });

  it('waits and retries when Slack rate limits, and the alert goes out once', async () => {
    seed('prod', 7);
    world.slack.replyTo('chat.postMessage', { status: 429, headers: { 'retry-after': '1' }, body: { ok: false, error: 'ratelimited' } }, 1);
    const summary = await scan(at(NOW));
    expect(alerts()).toHaveLength(2);
    expect(summary).toMatchObject({ alertsSent: 1, failures: 0 });
  });

  it('posts the alerts of several sets into one channel at Slack\'s pace, one a second, so Slack refuses none', async () => {
    world.slack.setPostWindow(1_000);
    try {
      const paced = await loadScanHandler(world.env);
      seed('a', 7);
      seed('b', 3);
      seed('c', 1);
      const summary = await paced(at(NOW));
      expect(summary).toMatchObject({ alertsSent: 3, failures: 0 });
      const posts = world.slack.accepted('chat.postMessage');
      expect(posts.map((c) => c.args.channel)).toEqual(['C0PLATFORM', 'C0PLATFORM', 'C0PLATFORM']);
      expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(950);
      expect(posts[2]!.at - posts[1]!.at).toBeGreaterThanOrEqual(950);
      expect(world.slack.refusals.filter((r) => r.error === 'ratelimited')).toEqual([]);
    } finally {
      world.slack.setPostWindow(0);
    }
  });

  it('keeps going when one set\'s alert fails, and alerts it again on the next run', async () => {
    seed('prod', 7);
    seed('staging', 3);
    world.slack.replyTo('chat.postMessage', (call) => (JSON.stringify(call.args.blocks).includes('*prod*') ? { body: { ok: false, error: 'invalid_blocks' } } : undefined));
    const summary = await scan(at(NOW));
    expect(summary).toMatchObject({ alertsSent: 1, failures: 1 });
    expect(tag('prod', 'do-creds:alerted-threshold')).toBeUndefined();
    expect(tag('staging', 'do-creds:alerted-threshold')).toBe('3');
    world.slack.reset();
    await scan(at(NOW));
    expect(alertFor('prod')).toHaveLength(1);
  });
});

describe('the scan', () => {
  it('logs what each job did, and the run\'s totals; the figures are CloudWatch metrics in Embedded Metric Format', async () => {
    seed('prod', 7);
    seed('broken', undefined, { behaviour: { fault: 'unauthorized' } });
    const output = captureOutput();
    try {
      await scan(at(NOW));
    } finally {
      output.restore();
    }
    const lines = output.lines();
    expect(lines.filter((l) => l.event === 'scan_listed')).toEqual([expect.objectContaining({ listed: 2, batches: 1, complete: true })]);
    expect(lines.filter((l) => l.event === 'scan_job_done').map((l) => l.kind).sort()).toEqual(['scan-alerts', 'scan-batch']);
    const done = lines.filter((l) => l.event === 'expiry_scan_done');
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ listed: 2, checked: 2, alertsSent: 2, revokedFound: 1, failures: 0 });
    // One EMF line per job (no API call): the listing's says it completed; added up, the run's figures.
    const emf = lines.filter((l) => typeof l._aws === 'object');
    expect(emf.every((l) => l.service === 'expiry-scan' && JSON.stringify(l._aws).includes('"Namespace":"do-creds"'))).toBe(true);
    const sum = (name: string) => emf.reduce((n, l) => n + Number(l[name] ?? 0), 0);
    expect({ completed: sum('ScanCompleted'), listed: sum('SetsScanned'), alerts: sum('AlertsSent'), revoked: sum('RevokedFound'), failures: sum('ScanFailures') }).toEqual({
      completed: 1,
      listed: 2,
      alerts: 2,
      revoked: 1,
      failures: 0,
    });
  });

  it('lets the alert\'s Rotate now button open the rotate form for that environment', async () => {
    const v = { ...world.validCredentials({}, 'tf-state'), environment: 'prod' };
    await world.submit(v);
    world.slack.reset();
    const click = blockActionPayload({ actionId: 'rotate_from_alert', value: 'prod', responseUrl: world.slack.responseUrl('alert'), channelId: 'C0PLATFORM' });
    await world.send(signedEvent({ secret: world.secret, body: interactionBody(click) }));
    const view = world.slack.callsTo('views.open')[0]?.args.view as { private_metadata: string };
    expect(JSON.parse(view.private_metadata)).toEqual({ channelId: 'C0PLATFORM', mode: 'rotate' });
    expect(JSON.stringify(view)).toContain('"initial_value":"prod"');
  });
});
