import { randomBytes } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { blockKitProblems, VIEW_TOO_LARGE, type Surface } from '../../src/lib/slack/limits.js';
import { readBody } from '../../src/local/http.js';
import { CHANNEL_ID, newTriggerId, USER_ID } from './slack-request.js';

/**
 * A local Slack Web API on 127.0.0.1, as strict as Slack. It records every call (method and decoded
 * arguments) and response-URL post, and refuses what Slack refuses, each behaviour with its source:
 *
 * - [M]  the method references, docs.slack.dev/reference/methods/<method> (errors, scopes, rate-limit
 *        tier), as mirrored in slack-ruby/slack-api-ref `docs.slack.dev/methods/*.json`.
 * - [BK] Block Kit limits: src/lib/slack/limits.ts (which names its own sources).
 * - [RL] docs.slack.dev/apis/web-api/rate-limits: "chat.postMessage generally allows posting one
 *        message per second per channel"; a limited call gets HTTP 429 with Retry-After.
 * - [IX] docs.slack.dev/interactivity/handling-user-interaction (as recorded in the project's Slack
 *        facts): a trigger_id expires 3 seconds after the interaction and can be used once; a
 *        response_url takes at most 5 posts within 30 minutes.
 * - [WA] docs.slack.dev/apis/web-api: platform errors are HTTP 200 with `{ok: false, error}`.
 *
 * Where a source leaves the exact answer open, the stricter one is modelled and the comment says so.
 */

export interface RecordedCall {
  method: string;
  args: Record<string, unknown>;
  authorization: string | undefined;
  /** When the call arrived (epoch ms, the fake's clock). */
  at: number;
  /** The error the fake answered with, when it refused the call; undefined when Slack took it. */
  refused?: string;
}

export interface FakeReply {
  status?: number;
  headers?: Record<string, string>;
  body: unknown;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Never answer (the connection stays open until the fake closes). */
  hang?: boolean;
}

export type Responder = (call: RecordedCall) => FakeReply | undefined;

/** Something the fake refused, and why: `method` is `response_url` for response-URL posts. */
export interface Refusal {
  method: string;
  error: string;
  problems: string[];
}

export interface FakeSlackOptions {
  /** Bot scopes the installation holds; default: those `slack-app-manifest.yml` asks for. */
  scopes?: readonly string[];
  /** Channels the bot is a member of; default: the test channel (CHANNEL_ID). */
  channels?: readonly string[];
  /** Users of the workspace; default: the test user (USER_ID). Users who act are learned from payloads. */
  users?: readonly string[];
  /** chat.postMessage allows one message per channel in this window; default 1000 ms, as Slack ([RL]). */
  postWindowMs?: number;
}

export interface FakeSlack {
  url: string;
  apiUrl: string;
  calls: RecordedCall[];
  /** Accepted posts on response URLs (`{url}/response/<id>`). */
  responses: { path: string; body: Record<string, unknown> }[];
  /** Everything refused since the last reset, with the problems found. */
  refusals: Refusal[];
  /** A new response URL, as Slack puts one in a payload (5 posts within 30 minutes). */
  responseUrl(id?: string): string;
  /** A trigger id as Slack issues one with a payload, issued at `at` (default now). */
  issueTrigger(at?: number): string;
  /** Learns what a delivered request carries: its trigger id (issued now unless known), the acting user. */
  learn(body: string, contentType?: string): void;
  /** The bot joins (is invited to) these channels. */
  join(...channels: string[]): void;
  /** The bot leaves (is removed from) these channels. */
  leave(...channels: string[]): void;
  /** These users exist in the workspace. */
  addUser(...users: string[]): void;
  /** A user group and its members (usergroups.users.list); unknown groups are `no_such_subteam`. */
  addUsergroup(id: string, members: string[]): void;
  /** A workspace on Slack's free plan: user groups answer `plan_upgrade_required`. */
  setFreePlan(free: boolean): void;
  /** Answer this method with the reply for the next `times` calls (default every call); `response_url` for response URLs. */
  replyTo(method: string, reply: FakeReply | Responder, times?: number): void;
  callsTo(method: string): RecordedCall[];
  /** Calls to this method Slack took (answered `ok: true`), leaving out refused ones. */
  accepted(method: string): RecordedCall[];
  /** Every answer (API and response URL) waits this long (the benchmark's slow Slack). */
  setDelay(ms: number): void;
  /** chat.postMessage's per-channel window from now on (0: no limit), for suites where it would only slow things. */
  setPostWindow(ms: number): void;
  /** Moves the fake's clock (trigger and response-URL expiry, rate windows) forward. */
  advance(ms: number): void;
  /** Forgets calls, responses, refusals, replies and rate windows; channels, users and groups stay. */
  reset(): void;
  close(): Promise<void>;
}

/**
 * The bot scope each method needs (any one of them), from [M] (`scope.bot`). A method missing here
 * is answered `unknown_method` ([M]: "This method is currently not available.").
 */
const METHOD_SCOPES: Readonly<Record<string, readonly string[]>> = {
  'auth.test': [],
  'chat.postMessage': ['chat:write'],
  'chat.postEphemeral': ['chat:write'],
  'chat.update': ['chat:write'],
  'chat.delete': ['chat:write'],
  'views.open': [],
  'views.push': [],
  'views.update': [],
  'views.publish': [],
  'conversations.open': ['channels:manage', 'groups:write', 'im:write', 'mpim:write'],
  'conversations.info': ['channels:read', 'groups:read', 'im:read', 'mpim:read'],
  'conversations.join': ['channels:join'],
  'users.info': ['users:read'],
  'usergroups.list': ['usergroups:read'],
  'usergroups.users.list': ['usergroups:read'],
};

/** [IX] a trigger_id expires 3 seconds after the interaction; it can be used once. */
const TRIGGER_TTL_MS = 3_000;
/** [IX] a response_url takes at most 5 posts within 30 minutes. */
const RESPONSE_URL_USES = 5;
const RESPONSE_URL_TTL_MS = 30 * 60_000;

/** The bot scopes of the app's manifest, which is what an installation grants. */
export function manifestScopes(): string[] {
  const manifest = parseYaml(readFileSync(new URL('../../slack-app-manifest.yml', import.meta.url), 'utf8')) as {
    oauth_config?: { scopes?: { bot?: string[] } };
  };
  return manifest.oauth_config?.scopes?.bot ?? [];
}

const liveFakes = new Set<FakeSlack>();

/** Every fake Slack running in this process: the harness tells them what it delivers, as Slack would know. */
export function runningFakeSlacks(): readonly FakeSlack[] {
  return [...liveFakes];
}

export async function startFakeSlack(botToken: string, options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const calls: RecordedCall[] = [];
  const responses: FakeSlack['responses'] = [];
  const refusals: Refusal[] = [];
  let overrides: { method: string; responder: Responder; remaining: number }[] = [];
  let delayMs = 0;
  let clockOffset = 0;
  const now = () => Date.now() + clockOffset;
  let postWindowMs = options.postWindowMs ?? 1_000;
  const scopes = new Set(options.scopes ?? manifestScopes());
  const channels = new Set(options.channels ?? [CHANNEL_ID]);
  const users = new Set(options.users ?? [USER_ID]);
  const usergroups = new Map<string, string[]>();
  let freePlan = false;
  const triggers = new Map<string, { issuedAt: number; used: boolean }>();
  const responseUrls = new Map<string, { issuedAt: number; uses: number }>();
  const lastPost = new Map<string, number>();
  /** Open views by id, with their current hash (views.update's `hash` must match it). */
  const views = new Map<string, string>();
  const newHash = () => `${Math.floor(now() / 1000)}.${randomBytes(4).toString('hex')}`;
  const hanging = new Set<ServerResponse>();
  let urlCount = 0;

  const server: Server = createServer((req, res) => {
    void readBody(req)
      .then((buf) => buf.toString('utf8'))
      .then((raw) => new Promise<string>((r) => setTimeout(() => r(raw), delayMs)))
      .then((raw) => answer(res, settle(handle(req, raw))));
  });

  function refuse(method: string, error: string, problems: string[], reply: FakeReply): FakeReply {
    refusals.push({ method, error, problems });
    const log = process.env.FAKE_SLACK_REFUSALS_LOG;
    if (log) appendFileSync(log, `${JSON.stringify({ method, error, problems })}\n`);
    return reply;
  }

  /** [WA] a platform error: HTTP 200, `{ok: false, error}`. */
  const platformError = (method: string, error: string, problems: string[] = [], extra: Record<string, unknown> = {}) =>
    refuse(method, error, problems, {
      body: { ok: false, error, ...extra, ...(problems.length > 0 ? { response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) } } : {}) },
    });

  let current: RecordedCall | undefined;

  /** Marks the call just handled as refused when its answer is not `ok: true`. */
  function settle(reply: FakeReply): FakeReply {
    const body = (typeof reply.body === 'object' && reply.body !== null ? reply.body : {}) as { ok?: unknown; error?: unknown };
    const ok = (reply.status ?? 200) === 200 && body.ok === true && !reply.hang;
    if (current && !ok) current.refused = typeof body.error === 'string' ? body.error : `http_${reply.status ?? 200}`;
    current = undefined;
    return reply;
  }

  function handle(req: IncomingMessage, raw: string): FakeReply {
    current = undefined;
    const path = req.url ?? '/';
    if (path.startsWith('/response/')) return handleResponseUrl(path, raw);
    const method = path.replace(/^\/api\//, '').split('?')[0] ?? '';
    const call: RecordedCall = { method, args: decodeArgs(req.headers['content-type'], raw), authorization: req.headers.authorization, at: now() };
    calls.push(call);
    current = call;
    // [M] not_authed without a token; invalid_auth for a token Slack does not know.
    if (call.authorization === undefined) return platformError(method, 'not_authed');
    if (call.authorization !== `Bearer ${botToken}`) return platformError(method, 'invalid_auth');
    const needed = METHOD_SCOPES[method];
    if (needed === undefined) return platformError(method, 'unknown_method');
    // [M] missing_scope; the answer names the scope `needed` and those `provided` (@slack/web-api's
    // response types carry both, e.g. {"error":"missing_scope","needed":"users:read.email","provided":"…"}).
    if (needed.length > 0 && !needed.some((s) => scopes.has(s))) {
      return platformError(method, 'missing_scope', [], { needed: needed.join(','), provided: [...scopes].join(',') });
    }
    const content = contentRefusal(method, call.args);
    if (content) return content;
    const override = overrides.find((o) => o.method === method && o.remaining > 0);
    if (override) {
      override.remaining -= 1;
      const reply = override.responder(call);
      if (reply) return reply;
    }
    return stateful(method, call.args);
  }

  /** What the message or view itself breaks ([BK]), before anything else about the call is looked at. */
  function contentRefusal(method: string, args: Record<string, unknown>): FakeReply | undefined {
    if (method === 'chat.postMessage' || method === 'chat.postEphemeral' || method === 'chat.update') {
      // [M] no_text: "No message text provided" (neither text nor blocks).
      if (args.text === undefined && args.blocks === undefined && args.attachments === undefined) return platformError(method, 'no_text');
      const problems = blockKitProblems('message', { text: args.text, blocks: args.blocks });
      const tooLong = problems.filter((p) => p.startsWith('text:'));
      // [M] chat.postEphemeral: msg_too_long. chat.postMessage truncates text over 40,000 characters
      // instead (changelog 2018-04); refusing it is the stricter model of a message that arrives cut.
      if (tooLong.length > 0) return platformError(method, 'msg_too_long', tooLong);
      // [M] invalid_blocks: "Blocks submitted with this message are not valid".
      if (problems.length > 0) return platformError(method, 'invalid_blocks', problems);
      return undefined;
    }
    if (method === 'views.open' || method === 'views.push' || method === 'views.update' || method === 'views.publish') {
      const kind: Surface = method === 'views.publish' ? 'home' : 'modal';
      const problems = blockKitProblems(kind, args.view);
      // [M] view_too_large: "the provided view is greater than 250kb".
      if (problems.some((p) => p.startsWith(VIEW_TOO_LARGE))) return platformError(method, 'view_too_large', problems);
      // [M] views.open / views.publish document their error answer as invalid_arguments with
      // response_metadata.messages; for a view breaking a limit the messages read like "[ERROR] must be
      // less than 24 characters [json-pointer:/view/title/text]" (quoted in jeremeamia/slack-block-kit#3).
      if (problems.length > 0) return platformError(method, 'invalid_arguments', problems);
    }
    return undefined;
  }

  function stateful(method: string, args: Record<string, unknown>): FakeReply {
    const id = () => `V${randomBytes(5).toString('hex').toUpperCase()}`;
    switch (method) {
      case 'views.open':
      case 'views.push': {
        const triggerId = str(args.trigger_id ?? args.interactivity_pointer);
        const trigger = triggers.get(triggerId);
        // [M] invalid_trigger_id / exchanged_trigger_id / expired_trigger_id; [IX] 3 seconds, once.
        if (trigger === undefined) return platformError(method, 'invalid_trigger_id');
        if (trigger.used) return platformError(method, 'exchanged_trigger_id');
        if (now() - trigger.issuedAt > TRIGGER_TTL_MS) return platformError(method, 'expired_trigger_id');
        trigger.used = true;
        const view = { ...(args.view as object), id: id(), hash: newHash() };
        views.set(view.id, view.hash);
        return { body: { ok: true, view } };
      }
      case 'views.update': {
        const viewId = str(args.view_id);
        const current = views.get(viewId);
        // [M] not_found: "the given view_id or external_id doesn't exist"; hash_conflict: the view
        // changed since the hash given.
        if (current === undefined) return platformError(method, 'not_found');
        if (str(args.hash) !== '' && str(args.hash) !== current) return platformError(method, 'hash_conflict');
        const view = { ...(args.view as object), id: viewId, hash: newHash() };
        views.set(viewId, view.hash);
        return { body: { ok: true, view } };
      }
      case 'views.publish': {
        // [M] views.publish: an unknown user_id is invalid_arguments ("invalid `user_id`").
        const user = str(args.user_id);
        if (!users.has(user)) return platformError(method, 'invalid_arguments', ['invalid `user_id`']);
        return { body: { ok: true, view: { id: id(), ...(args.view as object) } } };
      }
      case 'chat.postMessage':
        return postMessage(str(args.channel));
      case 'chat.postEphemeral': {
        const channel = str(args.channel);
        const reach = reachable(channel);
        if (reach) return platformError(method, reach);
        // [M] user_not_in_channel: "Intended recipient is not in the specified channel." (a user Slack
        // does not know is in no channel).
        if (!users.has(str(args.user))) return platformError(method, 'user_not_in_channel');
        return { body: { ok: true, message_ts: ts() } };
      }
      case 'usergroups.users.list': {
        // [facts slack.md] plan_upgrade_required: user groups need a paid plan.
        if (freePlan) return platformError(method, 'plan_upgrade_required');
        const members = usergroups.get(str(args.usergroup));
        // [M] no_such_subteam: "No usergroup found with the given ID."
        if (members === undefined) return platformError(method, 'no_such_subteam');
        return { body: { ok: true, users: members } };
      }
      case 'conversations.open': {
        const user = str(args.users);
        if (!users.has(user)) return platformError(method, 'user_not_found');
        return { body: { ok: true, channel: { id: `D${user}` } } };
      }
      case 'auth.test':
        return { body: { ok: true, user_id: 'U0BOTUSER', bot_id: 'B0TESTBOT', team_id: 'T0TESTTEAM' } };
      default:
        return { body: { ok: true } };
    }
  }

  /** Why the bot cannot post in `channel`, if it cannot. */
  function reachable(channel: string): string | undefined {
    // A user id posts to the app's direct message with that person; [M] channel_not_found: "Value passed
    // for channel was invalid" for a user the workspace does not have.
    if (/^[UW]/.test(channel)) return users.has(channel) ? undefined : 'channel_not_found';
    // The app's own DM with a user (what conversations.open answers here) is always reachable.
    if (/^D/.test(channel) && users.has(channel.slice(1))) return undefined;
    // [M] not_in_channel: "Cannot post user messages to a channel they are not in."
    return channels.has(channel) ? undefined : 'not_in_channel';
  }

  function postMessage(channel: string): FakeReply {
    const reach = reachable(channel);
    if (reach) return platformError('chat.postMessage', reach);
    // [RL] one message per second per channel; stricter than Slack's "short bursts" allowance.
    const key = /^D/.test(channel) ? channel.slice(1) : channel;
    const last = lastPost.get(key);
    if (last !== undefined && now() - last < postWindowMs) {
      const retryAfter = Math.max(1, Math.ceil((postWindowMs - (now() - last)) / 1000));
      return refuse('chat.postMessage', 'ratelimited', [`channel ${channel}`], {
        status: 429,
        headers: { 'retry-after': String(retryAfter) },
        body: { ok: false, error: 'ratelimited' },
      });
    }
    lastPost.set(key, now());
    return { body: { ok: true, channel, ts: ts() } };
  }

  function handleResponseUrl(path: string, raw: string): FakeReply {
    const body = safeJson(raw || '{}');
    const override = overrides.find((o) => o.method === 'response_url' && o.remaining > 0);
    if (override) {
      override.remaining -= 1;
      const reply = override.responder({ method: 'response_url', args: isRecord(body) ? body : {}, authorization: undefined, at: now() });
      if (reply) return reply;
    }
    const url = responseUrls.get(path);
    // [IX] 5 posts within 30 minutes. Slack documents the limit, not its answer: an HTTP 404 (which
    // Bolt's respond() throws on) is the stricter model.
    if (url === undefined) return refuse('response_url', 'invalid_url', [path], { status: 404, body: { ok: false, error: 'invalid_url' } });
    if (now() - url.issuedAt > RESPONSE_URL_TTL_MS) return refuse('response_url', 'expired_url', [path], { status: 404, body: { ok: false, error: 'expired_url' } });
    if (url.uses >= RESPONSE_URL_USES) return refuse('response_url', 'used_url', [path], { status: 404, body: { ok: false, error: 'used_url' } });
    url.uses += 1;
    if (!isRecord(body)) return refuse('response_url', 'invalid_payload', [], { status: 400, body: 'invalid_payload' });
    const problems = blockKitProblems('message', { text: body.text, blocks: body.blocks });
    // As chat.postMessage: HTTP 200 with `{ok: false, error: 'invalid_blocks'}`.
    if (problems.length > 0) return platformError('response_url', 'invalid_blocks', problems);
    responses.push({ path, body });
    return { status: 200, body: { ok: true } };
  }

  function answer(res: ServerResponse, reply: FakeReply): void {
    if (reply.hang) {
      hanging.add(res);
      return;
    }
    const send = () => {
      const body = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json; charset=utf-8', ...reply.headers });
      res.end(body);
    };
    if (reply.delayMs) setTimeout(send, reply.delayMs);
    else send();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  const fake: FakeSlack = {
    url,
    apiUrl: `${url}/api/`,
    calls,
    responses,
    refusals,
    responseUrl(id = 'r') {
      urlCount += 1;
      const path = `/response/${encodeURIComponent(id)}-${urlCount}`;
      responseUrls.set(path, { issuedAt: now(), uses: 0 });
      return `${url}${path}`;
    },
    issueTrigger(at = now()) {
      const id = newTriggerId();
      triggers.set(id, { issuedAt: at, used: false });
      return id;
    },
    learn(body, contentType = 'application/x-www-form-urlencoded') {
      const payload = deliveredPayload(body, contentType);
      if (!payload) return;
      const triggerId = payload.trigger_id;
      if (typeof triggerId === 'string' && triggerId !== '' && !triggers.has(triggerId)) triggers.set(triggerId, { issuedAt: now(), used: false });
      const user = isRecord(payload.user) ? payload.user.id : (payload.user_id ?? (isRecord(payload.event) ? payload.event.user : undefined));
      if (typeof user === 'string' && user !== '') users.add(user);
    },
    join: (...ids) => ids.forEach((c) => channels.add(c)),
    leave: (...ids) => ids.forEach((c) => channels.delete(c)),
    addUser: (...ids) => ids.forEach((u) => users.add(u)),
    addUsergroup: (id, members) => void usergroups.set(id, members),
    setFreePlan: (free) => {
      freePlan = free;
    },
    replyTo(method, reply, times = Number.POSITIVE_INFINITY) {
      const responder = typeof reply === 'function' ? reply : () => reply;
      overrides.unshift({ method, responder, remaining: times });
    },
    callsTo: (method) => calls.filter((c) => c.method === method),
    accepted: (method) => calls.filter((c) => c.method === method && c.refused === undefined),
    setDelay: (ms) => {
      delayMs = ms;
    },
    setPostWindow: (ms) => {
      postWindowMs = ms;
    },
    advance: (ms) => {
      clockOffset += ms;
    },
    reset() {
      calls.length = 0;
      responses.length = 0;
      refusals.length = 0;
      overrides = [];
      lastPost.clear();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        liveFakes.delete(fake);
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
  liveFakes.add(fake);
  return fake;
}

/** An argument as the string Slack reads it ('' when missing or not a string). */
function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function ts(): string {
  return `${(Date.now() / 1000).toFixed(6)}`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The object Slack delivered: an interaction payload, a slash command's form, or an Events API body. */
function deliveredPayload(body: string, contentType: string): Record<string, unknown> | undefined {
  if (contentType.startsWith('application/json')) {
    const parsed = safeJson(body);
    return isRecord(parsed) ? parsed : undefined;
  }
  const form = new URLSearchParams(body);
  const payload = form.get('payload');
  if (payload !== null) {
    const parsed = safeJson(payload);
    return isRecord(parsed) ? parsed : undefined;
  }
  return Object.fromEntries(form);
}

/** The WebClient sends form bodies whose nested values (view, blocks) are JSON strings. */
function decodeArgs(contentType: string | undefined, raw: string): Record<string, unknown> {
  if (contentType?.startsWith('application/json')) return JSON.parse(raw || '{}') as Record<string, unknown>;
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    args[key] = /^[[{]/.test(value) ? safeJson(value) : value;
  }
  return args;
}

function safeJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
