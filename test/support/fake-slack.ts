import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from '../../src/local/http.js';

/**
 * A local Slack Web API on 127.0.0.1. It records every call (method and decoded arguments) and
 * answers like Slack: HTTP 200 with `{ok: false, error}` for platform errors, 429 with Retry-After
 * when rate limited, `invalid_auth` for a wrong bot token. It also accepts response_url posts.
 */

export interface RecordedCall {
  method: string;
  args: Record<string, unknown>;
  authorization: string | undefined;
}

export interface FakeReply {
  status?: number;
  headers?: Record<string, string>;
  body: unknown;
}

export type Responder = (call: RecordedCall) => FakeReply | undefined;

export interface FakeSlack {
  url: string;
  apiUrl: string;
  calls: RecordedCall[];
  /** Posts received on response URLs (`{url}/response/<id>`). */
  responses: { path: string; body: Record<string, unknown> }[];
  responseUrl(id?: string): string;
  /** Answer this method with the reply for the next `times` calls (default every call). */
  replyTo(method: string, reply: FakeReply | Responder, times?: number): void;
  callsTo(method: string): RecordedCall[];
  /** Every API answer waits this long (the benchmark's slow Slack). */
  setDelay(ms: number): void;
  reset(): void;
  close(): Promise<void>;
}

const DEFAULT_REPLIES: Record<string, (call: RecordedCall) => unknown> = {
  'views.open': () => ({ ok: true, view: { id: `V${Date.now()}` } }),
  'views.update': () => ({ ok: true, view: { id: `V${Date.now()}` } }),
  'views.publish': () => ({ ok: true, view: { id: `V${Date.now()}` } }),
  'chat.postMessage': (c) => ({ ok: true, channel: c.args.channel, ts: `${Date.now() / 1000}` }),
  'chat.postEphemeral': () => ({ ok: true, message_ts: `${Date.now() / 1000}` }),
  'conversations.open': (c) => ({ ok: true, channel: { id: `D${String(c.args.users)}` } }),
  'usergroups.users.list': () => ({ ok: true, users: [] }),
};

export async function startFakeSlack(botToken: string): Promise<FakeSlack> {
  const calls: RecordedCall[] = [];
  const responses: FakeSlack['responses'] = [];
  let overrides: { method: string; responder: Responder; remaining: number }[] = [];
  let delayMs = 0;

  const server: Server = createServer((req, res) => {
    void readBody(req)
      .then((buf) => buf.toString('utf8'))
      .then((raw) => new Promise<string>((r) => setTimeout(() => r(raw), delayMs)))
      .then((raw) => handle(req, res, raw));
  });

  function handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
    const path = req.url ?? '/';
    if (path.startsWith('/response/')) {
      responses.push({ path, body: JSON.parse(raw || '{}') as Record<string, unknown> });
      return send(res, { status: 200, body: 'ok' });
    }
    const method = path.replace(/^\/api\//, '').split('?')[0] ?? '';
    const call: RecordedCall = { method, args: decodeArgs(req.headers['content-type'], raw), authorization: req.headers.authorization };
    calls.push(call);
    if (call.authorization !== `Bearer ${botToken}`) return send(res, { body: { ok: false, error: 'invalid_auth' } });
    const override = overrides.find((o) => o.method === method && o.remaining > 0);
    if (override) {
      override.remaining -= 1;
      const reply = override.responder(call);
      if (reply) return send(res, reply);
    }
    send(res, { body: DEFAULT_REPLIES[method]?.(call) ?? { ok: true } });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    apiUrl: `${url}/api/`,
    calls,
    responses,
    responseUrl: (id = String(Date.now())) => `${url}/response/${id}`,
    replyTo(method, reply, times = Number.POSITIVE_INFINITY) {
      const responder = typeof reply === 'function' ? reply : () => reply;
      overrides.unshift({ method, responder, remaining: times });
    },
    callsTo: (method) => calls.filter((c) => c.method === method),
    setDelay: (ms) => {
      delayMs = ms;
    },
    reset() {
      calls.length = 0;
      responses.length = 0;
      overrides = [];
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
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

function send(res: ServerResponse, reply: FakeReply): void {
  const body = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  res.writeHead(reply.status ?? 200, { 'content-type': 'application/json; charset=utf-8', ...reply.headers });
  res.end(body);
}
