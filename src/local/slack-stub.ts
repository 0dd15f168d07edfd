import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Terminal mode's stand-in for Slack's Web API and response URLs: answers like Slack, and keeps
 * what Slack would have shown (modals opened, messages posted) in an outbox the driver prints.
 */

export interface OutboxEntry {
  n: number;
  kind: 'api' | 'response_url';
  method: string;
  args: Record<string, unknown>;
}

export interface SlackStub {
  outbox: OutboxEntry[];
  handle(path: string, req: IncomingMessage, res: ServerResponse, body: string): void;
}

export function createSlackStub(): SlackStub {
  const outbox: OutboxEntry[] = [];
  return {
    outbox,
    handle(path, req, res, body) {
      const responseUrl = path.startsWith('/response/');
      const method = responseUrl ? 'response_url' : path.replace(/^\/api\//, '');
      const args = decode(req.headers['content-type'], body);
      outbox.push({ n: outbox.length, kind: responseUrl ? 'response_url' : 'api', method, args });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(responseUrl ? { ok: true } : reply(method, args)));
    },
  };
}

function reply(method: string, args: Record<string, unknown>): object {
  switch (method) {
    case 'views.open':
    case 'views.publish':
    case 'views.update':
      return { ok: true, view: { id: `VLOCAL${Date.now()}` } };
    case 'chat.postMessage':
      return { ok: true, channel: args.channel, ts: `${Date.now() / 1000}` };
    case 'chat.postEphemeral':
      return { ok: true, message_ts: `${Date.now() / 1000}` };
    case 'usergroups.users.list':
      return { ok: true, users: [] };
    default:
      return { ok: true };
  }
}

function decode(contentType: string | undefined, body: string): Record<string, unknown> {
  if (contentType?.startsWith('application/json')) return JSON.parse(body || '{}') as Record<string, unknown>;
  const args: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(body)) {
    try {
      args[k] = /^[[{]/.test(v) ? JSON.parse(v) : v;
    } catch {
      args[k] = v;
    }
  }
  return args;
}
