import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local DigitalOcean API on 127.0.0.1 with the real wire format: `{"account": {...}}`, list
 * bodies with `links`/`meta`, error bodies `{"id": "...", "message": "..."}`, RateLimit-* headers,
 * and doctl's token-info endpoint. Behaviour is set per token.
 */

export interface TokenBehaviour {
  /** Granted scopes; a call outside them gets 403 forbidden. */
  scopes: string[];
  /** null: never expires. */
  expiresInSeconds?: number | null;
  account?: { email?: string; status?: string; teamName?: string };
  /** Every call with this token answers this way instead. */
  fault?: 'unauthorized' | 'rate_limited' | 'server_error' | 'malformed' | 'reset';
  /** The first N API calls with this token are answered 429 with Retry-After: 1. */
  rateLimitedCalls?: number;
  /** Delay before answering, in milliseconds. */
  delayMs?: number;
  /** The token-info endpoint alone fails or is slow. */
  tokenInfo?: 'ok' | 'server_error' | 'hang';
}

export interface FakeDigitalOcean {
  url: string;
  tokenInfoUrl: string;
  requests: { path: string; authorization: string | undefined }[];
  setToken(token: string, behaviour: TokenBehaviour): void;
  close(): Promise<void>;
}

// Each list endpoint and the read scope DigitalOcean requires for it.
const LIST_ENDPOINTS: Record<string, { scope: string; key: string }> = {
  '/v2/actions': { scope: 'actions:read', key: 'actions' },
  '/v2/regions': { scope: 'regions:read', key: 'regions' },
  '/v2/sizes': { scope: 'sizes:read', key: 'sizes' },
  '/v2/images': { scope: 'image:read', key: 'images' },
  '/v2/account/keys': { scope: 'ssh_key:read', key: 'ssh_keys' },
  '/v2/tags': { scope: 'tag:read', key: 'tags' },
  '/v2/projects': { scope: 'project:read', key: 'projects' },
  '/v2/droplets': { scope: 'droplet:read', key: 'droplets' },
  '/v2/vpcs': { scope: 'vpc:read', key: 'vpcs' },
  '/v2/databases': { scope: 'database:read', key: 'databases' },
  '/v2/domains': { scope: 'domain:read', key: 'domains' },
  '/v2/firewalls': { scope: 'firewall:read', key: 'firewalls' },
  '/v2/volumes': { scope: 'block_storage:read', key: 'volumes' },
};

export const ALL_TERRAFORM_SCOPES = [
  'account:read', 'actions:read', 'regions:read', 'sizes:read', 'image:read', 'ssh_key:read', 'tag:read', 'tag:create',
  'project:read', 'project:update', 'droplet:read', 'droplet:create', 'droplet:update', 'droplet:delete', 'vpc:read',
  'vpc:create', 'vpc:update', 'vpc:delete', 'database:read', 'database:create', 'database:update', 'database:delete',
  'database:view_credentials', 'domain:read', 'domain:create', 'domain:update', 'domain:delete',
];

export async function startFakeDigitalOcean(): Promise<FakeDigitalOcean> {
  const tokens = new Map<string, TokenBehaviour>();
  const requests: FakeDigitalOcean['requests'] = [];
  const server = createServer((req, res) => void handle(req, res));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push({ path: url.pathname + url.search, authorization: req.headers.authorization });
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const behaviour = token === undefined ? undefined : tokens.get(token);
    if (behaviour?.delayMs) await sleep(behaviour.delayMs);
    if (res.destroyed) return;
    if (behaviour === undefined) return sendError(res, 401, 'unauthorized', 'Unable to authenticate you');

    if (url.pathname === '/v1/oauth/token/info') return tokenInfo(res, behaviour);
    if (behaviour.rateLimitedCalls) {
      behaviour.rateLimitedCalls -= 1;
      return sendError(res, 429, 'too_many_requests', 'API Rate limit exceeded.', { 'retry-after': '1', 'ratelimit-remaining': '0' });
    }
    if (behaviour.fault) return fault(req, res, behaviour.fault);
    const required = url.pathname === '/v2/account' ? 'account:read' : LIST_ENDPOINTS[url.pathname]?.scope;
    if (required === undefined) return sendError(res, 404, 'not_found', 'The resource you were accessing could not be found.');
    if (!behaviour.scopes.includes(required)) {
      return sendError(res, 403, 'forbidden', 'You are not authorized to perform this operation');
    }
    if (url.pathname === '/v2/account') return send(res, 200, accountBody(behaviour));
    const list = LIST_ENDPOINTS[url.pathname];
    return send(res, 200, { [list?.key ?? 'items']: [], links: {}, meta: { total: 0 } });
  }

  function tokenInfo(res: ServerResponse, b: TokenBehaviour): void {
    if (b.fault === 'unauthorized') return sendError(res, 401, 'unauthorized', 'Unable to authenticate you');
    if (b.tokenInfo === 'hang') return; // never answers
    if (b.tokenInfo === 'server_error' || b.fault === 'server_error') return sendError(res, 500, 'server_error', 'Unexpected server-side error');
    send(res, 200, {
      resource_owner_id: 1234567,
      scopes: b.scopes,
      expires_in_seconds: b.expiresInSeconds === undefined ? null : b.expiresInSeconds,
      application: { uid: null },
      created_at: Math.floor(Date.now() / 1000) - 3600,
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    tokenInfoUrl: `${url}/v1/oauth/token/info`,
    requests,
    setToken: (token, behaviour) => tokens.set(token, behaviour),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function accountBody(b: TokenBehaviour): object {
  return {
    account: {
      droplet_limit: 25,
      floating_ip_limit: 3,
      volume_limit: 100,
      email: b.account?.email ?? 'platform@example.test',
      name: 'Platform Team',
      uuid: 'b6fr89dbf6d9156cace5f3c78dc9851d957381ef',
      email_verified: true,
      status: b.account?.status ?? 'active',
      status_message: b.account?.status && b.account.status !== 'active' ? 'Please update your billing details.' : '',
      team: { uuid: '5df3e3004a17e242b7c20ca6c9fc25b701a47ece', name: b.account?.teamName ?? 'Platform' },
    },
  };
}

function fault(req: IncomingMessage, res: ServerResponse, kind: NonNullable<TokenBehaviour['fault']>): void {
  switch (kind) {
    case 'unauthorized':
      return sendError(res, 401, 'unauthorized', 'Unable to authenticate you');
    case 'rate_limited':
      return sendError(res, 429, 'too_many_requests', 'API Rate limit exceeded.', {
        'ratelimit-limit': '5000',
        'ratelimit-remaining': '0',
        'ratelimit-reset': String(Math.floor(Date.now() / 1000) + 42),
      });
    case 'server_error':
      return sendError(res, 500, 'server_error', 'Unexpected server-side error');
    case 'malformed':
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end('<html><body>502 Bad Gateway</body></html>');
    case 'reset':
      return void req.socket.destroy();
  }
}

function sendError(res: ServerResponse, status: number, id: string, message: string, headers: Record<string, string> = {}): void {
  send(res, status, { id, message, request_id: 'req-fake' }, headers);
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'ratelimit-limit': '5000',
    'ratelimit-remaining': '4999',
    'ratelimit-reset': String(Math.floor(Date.now() / 1000) + 60),
    ...headers,
  });
  res.end(JSON.stringify(body));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
