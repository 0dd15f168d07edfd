import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { blockActionPayload, interactionBody, signedEvent } from './support/slack-request.js';
import { startWorld, type World } from './support/world.js';

/**
 * The rotation form opens before the stored set is read: a trigger id lasts 3 seconds, and Secrets
 * Manager may take longer than that (the stand-in holds DescribeSecret back).
 */

let world: World;
beforeAll(async () => {
  world = await startWorld();
});
afterEach(() => {
  world.slack.reset();
  world.secretsManager.clear();
});
afterAll(() => world.close());

async function storeProd(): Promise<void> {
  const res = await world.submit({ ...world.validCredentials({}, 'tf-state'), environment: 'prod', region: 'ams3' });
  expect(res.json?.response_action).toBe('clear');
  world.slack.reset();
}

const clickRotateNow = () =>
  world.send(
    signedEvent({
      secret: world.secret,
      body: interactionBody(blockActionPayload({ actionId: 'rotate_from_alert', value: 'prod', responseUrl: world.slack.responseUrl('alert'), channelId: 'C0TESTCHAN' })),
    }),
  );

const views = (method: 'views.open' | 'views.update') => world.slack.accepted(method).map((c) => JSON.stringify(c.args.view));

describe.each([
  ['/do-creds rotate prod', () => world.command('rotate prod')],
  ["the alert's Rotate now button", clickRotateNow],
])('%s with a slow Secrets Manager', (_name, rotate) => {
  it('opens the form at once, then fills in the stored region and bucket', async () => {
    await storeProd();
    world.secretsManager.fail('DescribeSecret', { delayMs: 2500 });
    const started = Date.now();
    const res = await rotate();
    expect(res.statusCode).toBe(200);
    const [open] = world.slack.accepted('views.open');
    expect(open, JSON.stringify(world.slack.refusals)).toBeDefined();
    expect((open?.at ?? Infinity) - started).toBeLessThan(500);
    expect(views('views.open')[0]).toContain('"initial_value":"prod"');
    expect(views('views.update')[0]).toContain('"initial_value":"tf-state"');
    expect(views('views.update')[0]).toContain('"value":"ams3"');
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('still opens the form when Secrets Manager does not answer in time, says so in it, and answers within 3 seconds', async () => {
    await storeProd();
    world.secretsManager.fail('DescribeSecret', { delayMs: 2500 }, 10);
    const started = Date.now();
    await rotate();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(world.slack.accepted('views.open')).toHaveLength(1);
    const [updated] = views('views.update');
    expect(updated).toContain('did not answer in time');
    expect(updated).toContain('Fill in the Spaces region and bucket yourself');
    expect(updated).toContain('"initial_value":"prod"');
    expect(world.slack.refusals).toEqual([]);
  });
});

it('turns the form into a notice when nothing is stored for the environment', async () => {
  await clickRotateNow();
  expect(world.slack.accepted('views.open')).toHaveLength(1);
  expect(views('views.update')[0]).toContain('No credentials are stored for `prod`');
});
