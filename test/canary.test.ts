import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeSpacesKey } from './support/credentials.js';
import { captureOutput, loadScanHandler } from './support/harness.js';
import { blockActionPayload, eventCallbackBody, interactionBody, signedEvent, USER_ID } from './support/slack-request.js';
import { startWorld, type FormValues, type World } from './support/world.js';

/**
 * The canary suite: every flow — help, setup, each validation failure, saves, rotation, status,
 * delete, terraform, the expiry scan and upstream faults — runs with generated canary credentials
 * while everything is captured: stdout/stderr, every Slack API call and response-URL post, every
 * HTTP response, every thrown error, and every Secrets Manager request. The canaries may appear only
 * in the Secrets Manager writes (and, necessarily, in the requests to DigitalOcean itself).
 */

let world: World;
const canaries: string[] = [];
const responses: string[] = [];
const thrown: string[] = [];
let output: ReturnType<typeof captureOutput>;

beforeAll(async () => {
  world = await startWorld({ LOG_LEVEL: 'info', AUDIT_CHANNEL_ID: 'C0AUDIT', FINGERPRINT_HMAC_KEY: 'canary-suite-audit-key-0001' });
  // Flows follow each other within a second; waiting out Slack's per-channel limit adds nothing here.
  world.slack.setPostWindow(0);
  output = captureOutput();
});
afterAll(async () => {
  output.restore();
  await world.close();
});

function canary(behaviour: Parameters<World['validCredentials']>[0] = {}, bucket?: string): FormValues {
  const v = { ...world.validCredentials(behaviour, bucket), environment: 'prod' };
  canaries.push(v.token, v.secretKey);
  return v;
}

async function record(run: () => Promise<unknown>): Promise<void> {
  try {
    const res = await run();
    responses.push(JSON.stringify(res));
  } catch (error) {
    thrown.push(`${String(error)}\n${(error as Error).stack ?? ''}`);
  }
}

const submit = (v: FormValues) => record(() => world.submit(v));
const command = (text: string) => record(() => world.command(text));
const click = (actionId: string, value: string) =>
  record(() =>
    world.send(signedEvent({ secret: world.secret, body: interactionBody(blockActionPayload({ actionId, value, responseUrl: world.slack.responseUrl(actionId) })) })),
  );

describe('the canary suite', () => {
  it('runs every flow', async () => {
    await command('help');
    await command('setup');
    await command('nonsense <!channel>');

    // Each validation failure.
    for (const fault of ['unauthorized', 'rate_limited', 'server_error', 'malformed', 'reset'] as const) await submit(canary({ fault }));
    await submit(canary({ delayMs: 2500 }));
    await submit(canary({ scopes: ['droplet:read'] }));
    await submit(canary({ scopes: ['droplet:read'], tokenInfo: 'server_error' }));
    await submit({ ...canary(), secretKey: fakeSpacesKey().secretKey });
    await submit({ ...canary(), accessKey: fakeSpacesKey().accessKey });
    await submit({ ...canary(), bucket: 'missing-bucket' });
    const swapped = canary();
    await submit({ ...swapped, accessKey: swapped.secretKey, secretKey: swapped.accessKey });
    await submit({ ...canary(), environment: 'NOT VALID' });
    const truncated = canary();
    await submit({ ...truncated, token: (truncated.token ?? '').slice(0, 40) });
    for (const status of [500, 503]) {
      world.spaces.setFault({ status });
      await submit(canary());
    }
    world.spaces.setFault({ reset: true });
    await submit(canary());
    world.spaces.setFault(undefined);

    // Saves, rotation and management.
    await submit(canary({ expiresInSeconds: 5 * 86400 }, 'tf-state'));
    await submit(canary({ expiresInSeconds: 7 * 86400 }, 'tf-state'));
    await command('status');
    await command('terraform prod');
    await command('rotate prod');
    await click('rotate_from_alert', 'prod');
    await record(() =>
      world.send(
        signedEvent({
          secret: world.secret,
          contentType: 'application/json',
          body: eventCallbackBody({ type: 'app_home_opened', user: USER_ID, channel: 'D0', tab: 'home', event_ts: '1.1' }),
        }),
      ),
    );

    // Secrets Manager faults while saving.
    for (const type of ['AccessDeniedException', 'KMSDisabledException', 'ThrottlingException', 'InternalServiceError']) {
      world.secretsManager.fail('PutSecretValue', { type, status: type === 'InternalServiceError' ? 500 : 400 }, 5);
      await submit(canary());
    }
    world.secretsManager.fail('PutSecretValue', { delayMs: 3000 }, 5);
    await submit(canary());

    // Slack faults after a save.
    world.slack.replyTo('chat.postEphemeral', { status: 500, body: { ok: false } }, 2);
    world.slack.replyTo('chat.postMessage', { body: { ok: false, error: 'not_in_channel' } }, 4);
    await submit(canary());
    world.slack.replyTo('views.open', { body: { ok: false, error: 'expired_trigger_id' } }, 1);
    await click('open_credentials_modal', '');

    // The expiry scan: expiring, revoked, DigitalOcean failing, Slack failing.
    const scan = await loadScanHandler(world.env);
    await submit({ ...canary({ expiresInSeconds: 3 * 86400 }), environment: 'soon' });
    await submit({ ...canary(), environment: 'revoked' });
    const revoked = world.secretsManager.currentValue('do-creds/revoked')?.do_token as string;
    world.digitalocean.setToken(revoked, { scopes: [], fault: 'unauthorized' });
    await submit({ ...canary(), environment: 'flaky' });
    const flaky = world.secretsManager.currentValue('do-creds/flaky')?.do_token as string;
    world.digitalocean.setToken(flaky, { scopes: [], fault: 'server_error' });
    world.slack.replyTo('chat.postMessage', { status: 500, body: { ok: false } }, 1);
    await record(() => scan({ time: new Date().toISOString() }));
    world.secretsManager.fail('BatchGetSecretValue', { type: 'AccessDeniedException' }, 1);
    await record(() => scan({ time: new Date(Date.now() + 86400_000).toISOString() }));

    // Delete, and set up again.
    await command('delete prod');
    await click('delete_credentials', 'prod');
    await submit(canary());

    expect(canaries.length).toBeGreaterThan(50);
  });

  it('finds no canary anywhere but in the Secrets Manager writes', () => {
    const secretsManagerOthers = world.secretsManager.calls.filter((c) => c.operation !== 'CreateSecret' && c.operation !== 'PutSecretValue');
    const everything = [
      output.text(),
      JSON.stringify(world.slack.calls),
      JSON.stringify(world.slack.responses),
      JSON.stringify(secretsManagerOthers),
      ...responses,
      ...thrown,
    ].join('\n');
    expect(output.text().length).toBeGreaterThan(1000);
    for (const value of canaries) {
      expect(everything).not.toContain(value);
      // No fragment either: a 12-character slice from the middle (only the last 4 may be shown).
      expect(everything).not.toContain(value.slice(8, 20));
    }
    const written = JSON.stringify(world.secretsManager.calls.filter((c) => c.operation === 'CreateSecret' || c.operation === 'PutSecretValue'));
    expect(canaries.some((c) => written.includes(c))).toBe(true);
  });
});
