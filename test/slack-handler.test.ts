import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TOKEN_GUIDE_URL } from '../src/lib/slack/alerts.js';
import { startFakeSlack, type FakeSlack } from './support/fake-slack.js';
import { captureOutput, fakeBotToken, invoke, loadSlackHandler } from './support/harness.js';
import {
  blockActionPayload,
  CHANNEL_ID,
  interactionBody,
  randomSigningSecret,
  signedEvent,
  slashCommandBody,
  USER_ID,
} from './support/slack-request.js';

const secret = randomSigningSecret();
const botToken = fakeBotToken();
let slack: FakeSlack;
let handler: Awaited<ReturnType<typeof loadSlackHandler>>;

beforeAll(async () => {
  slack = await startFakeSlack(botToken);
  handler = await loadSlackHandler({
    SLACK_SIGNING_SECRET: secret,
    SLACK_BOT_TOKEN: botToken,
    SLACK_API_URL: slack.apiUrl,
    LOG_LEVEL: 'warn',
    ALLOWED_USER_IDS: USER_ID,
  });
});
afterEach(() => slack.reset());
afterAll(() => slack.close());

const command = (text: string, extra: Partial<Parameters<typeof signedEvent>[0]> = {}) =>
  invoke(handler, signedEvent({ secret, body: slashCommandBody({ text }), ...extra }));

const clickSubmitButton = () =>
  invoke(
    handler,
    signedEvent({
      secret,
      body: interactionBody(blockActionPayload({ actionId: 'open_credentials_modal', responseUrl: slack.responseUrl('click') })),
    }),
  );

function blockText(json: Record<string, unknown> | undefined): string {
  return JSON.stringify(json?.blocks ?? []);
}

describe('/do-creds setup', () => {
  it('answers privately with the guide and a button that opens the form, without calling Slack', async () => {
    const res = await command('setup');
    expect(res.statusCode).toBe(200);
    expect(res.json?.response_type).toBe('ephemeral');
    const text = blockText(res.json);
    expect(text).toContain('Generate New Token');
    expect(text).toContain('Custom Scopes');
    expect(text).toContain('dop_v1_');
    expect(text).toContain('https://nyc3.digitaloceanspaces.com');
    expect(text).toContain('do_secret_key');
    expect(text).toContain('"action_id":"open_credentials_modal"');
    expect(slack.calls).toHaveLength(0);
  });

  it('accepts the subcommand in any letter case and with surrounding spaces', async () => {
    const res = await command('  SETUP  ');
    expect(blockText(res.json)).toContain('open_credentials_modal');
  });

  it('also answers when API Gateway does not base64-encode the body', async () => {
    const res = await command('setup', { base64: false });
    expect(res.statusCode).toBe(200);
    expect(res.json?.response_type).toBe('ephemeral');
  });
});

describe('/do-creds help and unknown words', () => {
  it('shows help when no subcommand is given', async () => {
    const res = await command('');
    expect(res.json?.response_type).toBe('ephemeral');
    expect(blockText(res.json)).toContain('/do-creds setup');
  });

  it('shows help with a hint naming the unknown word', async () => {
    const res = await command('sutep');
    const text = blockText(res.json);
    expect(text).toContain("I don't know `sutep`");
    expect(text).toContain('/do-creds setup');
  });

  it('escapes an unknown word so it cannot become a mention', async () => {
    const res = await command('<!channel>');
    const text = blockText(res.json);
    expect(text).not.toContain('<!channel>');
    expect(text).toContain('&lt;!channel&gt;');
  });
});

describe('the Submit credentials button', () => {
  it('opens the private modal through views.open with the trigger id and no secret in private_metadata', async () => {
    const res = await clickSubmitButton();
    expect(res.statusCode).toBe(200);
    const [open] = slack.callsTo('views.open');
    expect(open).toBeDefined();
    expect(open?.authorization).toBe(`Bearer ${botToken}`);
    // The trigger id Slack issued with the click, in Slack's shape.
    expect(String(open?.args.trigger_id)).toMatch(/^\d+\.\d+\.[0-9a-f]+$/);
    expect(open?.refused).toBeUndefined();
    const view = open?.args.view as { callback_id: string; private_metadata: string; blocks: { block_id?: string }[] };
    expect(view.callback_id).toBe('credentials_submit');
    expect(JSON.parse(view.private_metadata)).toEqual({ channelId: CHANNEL_ID, mode: 'setup' });
    expect(view.blocks.map((b) => b.block_id).filter(Boolean)).toEqual([
      'environment',
      'do_token',
      'token_expiry',
      'token_expiry_date',
      'spaces_access_key',
      'spaces_secret_key',
      'spaces_region',
      'spaces_bucket',
    ]);
    expect(JSON.stringify(view)).toContain('Slack cannot mask');
  });

  it('offers every Spaces region the Terraform provider lists', async () => {
    await clickSubmitButton();
    const view = slack.callsTo('views.open')[0]?.args.view as { blocks: { block_id?: string; element?: { options?: { value: string }[] } }[] };
    const region = view.blocks.find((b) => b.block_id === 'spaces_region');
    expect(region?.element?.options?.map((o) => o.value)).toEqual([
      'ams3', 'atl1', 'blr1', 'fra1', 'lon1', 'nyc3', 'sfo2', 'sfo3', 'sgp1', 'syd1', 'tor1',
    ]);
  });

  it('tells the person to click again when the trigger expired', async () => {
    slack.replyTo('views.open', { body: { ok: false, error: 'expired_trigger_id' } });
    const res = await clickSubmitButton();
    expect(res.statusCode).toBe(200);
    expect(slack.responses).toHaveLength(1);
    const answer = slack.responses[0]?.body;
    expect(answer?.response_type).toBe('ephemeral');
    expect(answer?.replace_original).toBe(false);
    expect(String(answer?.text)).toContain('click *Submit credentials* again');
  });

  it('says the form could not open when Slack fails, instead of staying silent', async () => {
    slack.replyTo('views.open', { status: 500, body: { ok: false } });
    await clickSubmitButton();
    expect(String(slack.responses[0]?.body.text)).toContain('could not open the form');
  });

  it('says how long to wait when Slack rate limits, without waiting itself', async () => {
    slack.replyTo('views.open', { status: 429, headers: { 'retry-after': '7' }, body: { ok: false, error: 'ratelimited' } });
    await clickSubmitButton();
    expect(slack.callsTo('views.open')).toHaveLength(1);
    expect(String(slack.responses[0]?.body.text)).toContain('7 seconds');
  });
});

describe('link buttons', () => {
  it('acknowledges the click on the alert\'s token guide button, which Slack posts although the button opens a URL', async () => {
    const click = blockActionPayload({ actionId: 'open_token_guide', url: TOKEN_GUIDE_URL, responseUrl: slack.responseUrl('guide') });
    const res = await invoke(handler, signedEvent({ secret, body: interactionBody(click) }));
    // 200 within Slack's 3 seconds, or Slack shows a warning icon beside the button.
    expect(res.statusCode).toBe(200);
    expect(slack.calls).toHaveLength(0);
    expect(slack.responses).toHaveLength(0);
  });

  it('acknowledges any link button, whatever its action id', async () => {
    const click = blockActionPayload({ actionId: 'some_future_link', url: 'https://docs.example/x', responseUrl: slack.responseUrl('link') });
    expect((await invoke(handler, signedEvent({ secret, body: interactionBody(click) }))).statusCode).toBe(200);
  });

  it('still answers 404 to a button no listener knows that is not a link', async () => {
    const click = blockActionPayload({ actionId: 'no_such_action', responseUrl: slack.responseUrl('x') });
    expect((await invoke(handler, signedEvent({ secret, body: interactionBody(click) }))).statusCode).toBe(404);
  });
});

describe('request integrity', () => {
  it('refuses a forged signature with 401 and calls nothing', async () => {
    const res = await command('setup', { signature: 'v0=' + 'a'.repeat(64) });
    expect(res.statusCode).toBe(401);
    expect(res.body).toBe('');
    expect(slack.calls).toHaveLength(0);
  });

  it('refuses a request signed with another secret', async () => {
    const res = await invoke(handler, signedEvent({ secret: randomSigningSecret(), body: slashCommandBody({ text: 'setup' }) }));
    expect(res.statusCode).toBe(401);
  });

  it('refuses a timestamp older than five minutes, even correctly signed', async () => {
    const res = await command('setup', { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect(res.statusCode).toBe(401);
    expect(slack.calls).toHaveLength(0);
  });

  it('refuses a timestamp more than five minutes in the future, even correctly signed', async () => {
    const res = await command('setup', { timestamp: Math.floor(Date.now() / 1000) + 60 * 60 });
    expect(res.statusCode).toBe(401);
  });

  it('accepts a timestamp a little in the past (clock skew)', async () => {
    const res = await command('setup', { timestamp: Math.floor(Date.now() / 1000) - 60 });
    expect(res.statusCode).toBe(200);
  });

  it('answers Slack\'s ssl_check', async () => {
    const body = new URLSearchParams({ ssl_check: '1', token: 'x' }).toString();
    const res = await invoke(handler, signedEvent({ secret, body }));
    expect(res.statusCode).toBe(200);
  });

  it('answers an unsigned ssl_check with 200 and an empty body before checking signatures, as Bolt does, and does nothing', async () => {
    const body = new URLSearchParams({ ssl_check: '1', token: 'x' }).toString();
    const event = signedEvent({ secret, body, headers: { 'x-slack-signature': '', 'x-slack-request-timestamp': '' } });
    delete event.headers['x-slack-signature'];
    delete event.headers['x-slack-request-timestamp'];
    const res = await invoke(handler, event);
    expect(res).toMatchObject({ statusCode: 200, body: '' });
    expect(slack.calls).toHaveLength(0);
    // Anything else unsigned is still refused.
    const command = signedEvent({ secret, body: slashCommandBody({ text: 'setup' }) });
    delete command.headers['x-slack-signature'];
    expect((await invoke(handler, command)).statusCode).toBe(401);
  });

  it('answers the Events API url_verification challenge', async () => {
    const body = JSON.stringify({ type: 'url_verification', challenge: 'challenge-123', token: 'x' });
    const res = await invoke(handler, signedEvent({ secret, body, contentType: 'application/json' }));
    expect(res.statusCode).toBe(200);
    expect(res.json).toEqual({ challenge: 'challenge-123' });
  });

  it('answers 400 to a signed but malformed interactivity payload instead of crashing', async () => {
    const res = await invoke(handler, signedEvent({ secret, body: 'payload=%7Bnot-json' }));
    expect(res.statusCode).toBe(400);
  });

  it('answers 400 to signed malformed JSON', async () => {
    const res = await invoke(handler, signedEvent({ secret, body: '{"type":', contentType: 'application/json' }));
    expect(res.statusCode).toBe(400);
  });

  it('answers 415 to an unexpected content type', async () => {
    const res = await invoke(handler, signedEvent({ secret, body: 'hello', contentType: 'text/plain' }));
    expect(res.statusCode).toBe(415);
  });

  it('answers 413 to an oversized body', async () => {
    const res = await invoke(handler, signedEvent({ secret, body: 'text=' + 'x'.repeat(300 * 1024) }));
    expect(res.statusCode).toBe(413);
  });
});

describe('configuration', () => {
  it('logs one line naming each missing variable, and answers 500 rather than crashing', async () => {
    const output = captureOutput();
    let res;
    try {
      const broken = await loadSlackHandler({ SLACK_SIGNING_SECRET: secret, SLACK_BOT_TOKEN: undefined, SLACK_API_URL: 'not a url' });
      res = await invoke(broken, signedEvent({ secret, body: slashCommandBody({ text: 'setup' }) }));
    } finally {
      output.restore();
    }
    expect(res.statusCode).toBe(500);
    const lines = output.lines().filter((l) => l.event === 'config_invalid');
    expect(lines).toHaveLength(1);
    const problems = JSON.stringify(lines[0]?.problems);
    expect(problems).toContain('SLACK_BOT_TOKEN is required');
    expect(problems).toContain('SLACK_API_URL');
    expect(output.text()).not.toContain(secret);
  });

  it('refuses debug logging outside development mode, because debug logs carry request bodies', async () => {
    const output = captureOutput();
    try {
      await loadSlackHandler({ SLACK_SIGNING_SECRET: secret, SLACK_BOT_TOKEN: botToken, LOG_LEVEL: 'debug', DO_CREDS_DEV_MODE: undefined });
    } finally {
      output.restore();
    }
    expect(output.text()).toContain('LOG_LEVEL debug is only allowed with DO_CREDS_DEV_MODE=true');
  });
});
