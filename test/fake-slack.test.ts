import { WebClient } from '@slack/web-api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../src/lib/slack/limits.js';
import { manifestScopes, startFakeSlack, type FakeSlack } from './support/fake-slack.js';
import { answerProblems, fakeBotToken } from './support/harness.js';
import { blockActionPayload, CHANNEL_ID, interactionBody, USER_ID } from './support/slack-request.js';

/**
 * The Slack stand-in refuses what Slack refuses (each behaviour's source is in fake-slack.ts). These
 * tests call it as do-creds does: with @slack/web-api's WebClient, and plain POSTs to response URLs.
 */

const token = fakeBotToken();
let slack: FakeSlack;
let client: WebClient;

beforeAll(async () => {
  slack = await startFakeSlack(token);
  client = new WebClient(token, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
});
afterEach(() => slack.reset());
afterAll(() => slack.close());

/** The Slack error a call ends with, or 'ok'. */
async function outcome(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
    return 'ok';
  } catch (error) {
    const e = error as { code?: string; data?: { error?: string }; retryAfter?: number };
    if (e.code === 'slack_webapi_rate_limited_error') return `ratelimited (retry after ${e.retryAfter} s)`;
    return e.data?.error ?? String(error);
  }
}

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
const modal = (over: object = {}) => ({ type: 'modal', title: { type: 'plain_text', text: 'A form' }, blocks: [section('hello')], ...over });
const post = (url: string, body: object) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('Block Kit limits', () => {
  it('refuses a message over 50 blocks, a section over 3,000 characters and mrkdwn in a confirm dialog with invalid_blocks', async () => {
    const blocks51 = Array.from({ length: LIMITS.messageBlocks + 1 }, () => section('x'));
    expect(await outcome(() => client.chat.postMessage({ channel: CHANNEL_ID, text: 't', blocks: blocks51 }))).toBe('invalid_blocks');
    expect(await outcome(() => client.chat.postEphemeral({ channel: CHANNEL_ID, user: USER_ID, text: 't', blocks: [section('x'.repeat(3_001))] }))).toBe('invalid_blocks');
    const confirm = { title: { type: 'plain_text', text: 'Sure?' }, text: { type: 'mrkdwn', text: '`prod` goes' }, confirm: { type: 'plain_text', text: 'Yes' }, deny: { type: 'plain_text', text: 'No' } };
    const actions = { type: 'actions', elements: [{ type: 'button', action_id: 'a', text: { type: 'plain_text', text: 'Go' }, confirm }] };
    expect(await outcome(() => client.chat.postMessage({ channel: CHANNEL_ID, text: 't', blocks: [actions] as never }))).toBe('invalid_blocks');
    expect(slack.refusals.map((r) => r.problems.join(' '))).toEqual([
      expect.stringContaining('has 51 blocks, more than 50'),
      expect.stringContaining('is 3001 characters, more than 3000'),
      expect.stringContaining('confirm.text.type: must be plain_text, not mrkdwn'),
    ]);
    expect(slack.accepted('chat.postMessage')).toHaveLength(0);
  });

  it('refuses a message whose text is over 40,000 characters (msg_too_long) and one with neither text nor blocks (no_text)', async () => {
    expect(await outcome(() => client.chat.postMessage({ channel: CHANNEL_ID, text: 'x'.repeat(LIMITS.messageText + 1) }))).toBe('msg_too_long');
    expect(await outcome(() => client.chat.postMessage({ channel: CHANNEL_ID } as never))).toBe('no_text');
  });

  it('refuses a view breaking a limit with invalid_arguments, and one over 250 KB with view_too_large', async () => {
    const trigger = () => slack.issueTrigger();
    expect(await outcome(() => client.views.open({ trigger_id: trigger(), view: modal({ title: { type: 'plain_text', text: 'x'.repeat(25) } }) as never }))).toBe('invalid_arguments');
    const big = Array.from({ length: 100 }, () => section('x'.repeat(2_700)));
    expect(await outcome(() => client.views.open({ trigger_id: trigger(), view: modal({ blocks: big }) as never }))).toBe('view_too_large');
    const home = { type: 'home', blocks: Array.from({ length: LIMITS.viewBlocks + 1 }, () => section('x')) };
    expect(await outcome(() => client.views.publish({ user_id: USER_ID, view: home as never }))).toBe('invalid_arguments');
    expect(slack.refusals[0]?.problems).toEqual([expect.stringContaining('view.title.text: is 25 characters, more than 24')]);
  });

  it('refuses a response-URL post breaking a limit with HTTP 200 and invalid_blocks', async () => {
    const res = await post(slack.responseUrl(), { text: 't', blocks: [{ type: 'header', text: { type: 'plain_text', text: 'x'.repeat(151) } }] });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: false, error: 'invalid_blocks' });
    expect(slack.responses).toHaveLength(0);
  });
});

describe('trigger ids', () => {
  it('opens a view with a trigger id issued less than 3 seconds ago, once', async () => {
    const trigger = slack.issueTrigger();
    expect(await outcome(() => client.views.open({ trigger_id: trigger, view: modal() as never }))).toBe('ok');
    expect(await outcome(() => client.views.open({ trigger_id: trigger, view: modal() as never }))).toBe('exchanged_trigger_id');
  });

  it('refuses one older than 3 seconds, and one Slack never issued', async () => {
    expect(await outcome(() => client.views.open({ trigger_id: slack.issueTrigger(Date.now() - 3_001), view: modal() as never }))).toBe('expired_trigger_id');
    const later = slack.issueTrigger();
    slack.advance(3_001);
    try {
      expect(await outcome(() => client.views.open({ trigger_id: later, view: modal() as never }))).toBe('expired_trigger_id');
    } finally {
      slack.advance(-3_001);
    }
    expect(await outcome(() => client.views.open({ trigger_id: '123.456.abcdef', view: modal() as never }))).toBe('invalid_trigger_id');
  });

  it('learns the trigger id of a payload delivered to the app, issued when it was delivered', async () => {
    const payload = blockActionPayload({ actionId: 'x', responseUrl: slack.responseUrl() }) as { trigger_id: string };
    slack.learn(interactionBody(payload));
    expect(await outcome(() => client.views.open({ trigger_id: payload.trigger_id, view: modal() as never }))).toBe('ok');
  });

  it('updates an open view by id, and refuses an unknown id or a stale hash', async () => {
    const opened = await client.views.open({ trigger_id: slack.issueTrigger(), view: modal() as never });
    const id = opened.view?.id ?? '';
    expect(await outcome(() => client.views.update({ view_id: id, hash: opened.view?.hash, view: modal() as never }))).toBe('ok');
    expect(await outcome(() => client.views.update({ view_id: id, hash: opened.view?.hash, view: modal() as never }))).toBe('hash_conflict');
    expect(await outcome(() => client.views.update({ view_id: 'V0NOPE', view: modal() as never }))).toBe('not_found');
  });
});

describe('channels, users, scopes and methods', () => {
  it('posts only where the bot is a member: not_in_channel elsewhere, until it is invited', async () => {
    expect(await outcome(() => client.chat.postMessage({ channel: 'C0ELSEWHERE', text: 'hi' }))).toBe('not_in_channel');
    expect(await outcome(() => client.chat.postEphemeral({ channel: 'C0ELSEWHERE', user: USER_ID, text: 'hi' }))).toBe('not_in_channel');
    slack.join('C0ELSEWHERE');
    try {
      expect(await outcome(() => client.chat.postMessage({ channel: 'C0ELSEWHERE', text: 'hi' }))).toBe('ok');
    } finally {
      slack.leave('C0ELSEWHERE');
    }
  });

  it('refuses a direct message or an ephemeral message to a user the workspace does not have', async () => {
    expect(await outcome(() => client.chat.postMessage({ channel: 'U0NOBODY', text: 'hi' }))).toBe('channel_not_found');
    expect(await outcome(() => client.chat.postEphemeral({ channel: CHANNEL_ID, user: 'U0NOBODY', text: 'hi' }))).toBe('user_not_in_channel');
    expect(await outcome(() => client.chat.postMessage({ channel: USER_ID, text: 'hi' }))).toBe('ok');
  });

  it('grants only the scopes of the app manifest: missing_scope for the rest, saying which was needed', async () => {
    expect(manifestScopes()).toEqual(['commands', 'chat:write', 'usergroups:read']);
    expect(await outcome(() => client.conversations.open({ users: USER_ID }))).toBe('missing_scope');
    const body = (await (await fetch(`${slack.apiUrl}users.info`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).json()) as Record<string, unknown>;
    expect(body).toMatchObject({ ok: false, error: 'missing_scope', needed: 'users:read', provided: 'commands,chat:write,usergroups:read' });
  });

  it('answers unknown_method for a method Slack does not have, and invalid_auth for a wrong token', async () => {
    expect(await outcome(() => client.apiCall('chat.postMessages', { channel: CHANNEL_ID }))).toBe('unknown_method');
    const other = new WebClient(fakeBotToken(), { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
    expect(await outcome(() => other.chat.postMessage({ channel: CHANNEL_ID, text: 'hi' }))).toBe('invalid_auth');
  });

  it('answers no_such_subteam for a user group it does not know', async () => {
    expect(await outcome(() => client.usergroups.users.list({ usergroup: 'S0NOPE' }))).toBe('no_such_subteam');
    slack.addUsergroup('S0TEAM', [USER_ID]);
    expect((await client.usergroups.users.list({ usergroup: 'S0TEAM' })).users).toEqual([USER_ID]);
  });
});

describe('response URLs', () => {
  it('take 5 posts, then answer 404 used_url', async () => {
    const url = slack.responseUrl();
    for (let i = 0; i < 5; i += 1) expect((await post(url, { text: `post ${i}` })).status).toBe(200);
    const sixth = await post(url, { text: 'post 6' });
    expect(sixth.status).toBe(404);
    expect(await sixth.json()).toMatchObject({ error: 'used_url' });
    expect(slack.responses).toHaveLength(5);
  });

  it('expire 30 minutes after they were issued (404 expired_url); one Slack never issued is 404', async () => {
    const url = slack.responseUrl();
    slack.advance(30 * 60_000 + 1);
    try {
      expect((await post(url, { text: 'late' })).status).toBe(404);
    } finally {
      slack.advance(-(30 * 60_000 + 1));
    }
    expect((await post(`${slack.url}/response/never-issued`, { text: 'x' })).status).toBe(404);
    expect(slack.refusals.map((r) => r.error)).toEqual(['expired_url', 'invalid_url']);
  });
});

describe('rate limits', () => {
  it('takes one chat.postMessage a second per channel: HTTP 429 with Retry-After, then fine after the window', async () => {
    expect(await outcome(() => client.chat.postMessage({ channel: CHANNEL_ID, text: 'one' }))).toBe('ok');
    expect(await outcome(() => client.chat.postMessage({ channel: CHANNEL_ID, text: 'two' }))).toBe('ratelimited (retry after 1 s)');
    // Another channel has its own window.
    expect(await outcome(() => client.chat.postMessage({ channel: USER_ID, text: 'dm' }))).toBe('ok');
    slack.advance(1_000);
    try {
      expect(await outcome(() => client.chat.postMessage({ channel: CHANNEL_ID, text: 'three' }))).toBe('ok');
    } finally {
      slack.advance(-1_000);
    }
  });

  it('can be given another window (or none) for suites where it would only slow things', async () => {
    const quick = await startFakeSlack(token, { postWindowMs: 0 });
    try {
      const c = new WebClient(token, { slackApiUrl: quick.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
      for (const text of ['a', 'b', 'c']) expect(await outcome(() => c.chat.postMessage({ channel: CHANNEL_ID, text }))).toBe('ok');
    } finally {
      await quick.close();
    }
  });
});

describe('answers the handler gives Slack', () => {
  it('are checked as Slack checks them: a command answer over 50 blocks, or a form update breaking a limit, is refused', () => {
    expect(answerProblems({ response_type: 'ephemeral', text: 't', blocks: Array.from({ length: 51 }, () => section('x')) })).toEqual([expect.stringContaining('more than 50')]);
    expect(answerProblems({ response_action: 'update', view: modal({ title: { type: 'plain_text', text: 'x'.repeat(25) } }) })).toEqual([expect.stringContaining('more than 24')]);
    expect(answerProblems({ response_action: 'errors', errors: { environment: '' } })).toEqual(['errors.environment: must be a non-empty string']);
    expect(answerProblems({ response_action: 'clear' })).toEqual([]);
  });
});

describe('delays and faults', () => {
  it('delays every answer, response URLs included, and can hang an answer or put a fault in place', async () => {
    slack.setDelay(150);
    try {
      const started = Date.now();
      await post(slack.responseUrl(), { text: 'slow' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    } finally {
      slack.setDelay(0);
    }
    slack.replyTo('views.publish', { hang: true, body: {} }, 1);
    const hurried = new WebClient(token, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, timeout: 200 });
    expect(await outcome(() => hurried.views.publish({ user_id: USER_ID, view: { type: 'home', blocks: [section('x')] } as never }))).toMatch(/timeout|aborted/i);
    slack.replyTo('chat.postMessage', { status: 500, body: { ok: false } }, 1);
    expect(await outcome(() => client.chat.postMessage({ channel: CHANNEL_ID, text: 'x' }))).toMatch(/500/);
    expect(slack.callsTo('chat.postMessage')[0]?.refused).toBe('http_500');
  });
});
