import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isReadScope, withRequired } from '../../src/lib/digitalocean/catalogue.js';

/**
 * A local DigitalOcean API on 127.0.0.1 with the real wire format, every behaviour taken from a
 * source (../shared/facts/digitalocean.md unless a comment says otherwise):
 * - `{"account": {...}}`, list bodies with `links`/`meta`, errors `{id, message, request_id}`
 *   (spec shared/models/error.yml);
 * - each endpoint's scope from the OpenAPI spec's per-operation `security`, a call outside the
 *   token's scopes answering 403 `forbidden`;
 * - alias scopes `api:read` (every read scope) and `api:write` (every scope) for Read Only and Full
 *   Access tokens, legacy `read`/`write` for older ones, and custom lists holding the scopes the
 *   control panel adds with each chosen one (per-scope docs pages, "Required Scopes");
 * - per-token limits: 250 requests a minute and 5,000 an hour, RateLimit-* headers, 429
 *   `too_many_requests` with Retry-After; `GET /v2/account/keys` 10 a minute and
 *   `/v2/cdn/endpoints` 5 per 10 seconds (spec description.yml);
 * - doctl's token-info endpoint (doctl do/oauth.go): scopes, expires_in_seconds (null: never).
 */

export interface TokenBehaviour {
  /** The scopes token info reports: ['api:write'], ['api:read'], ['read','write'], or custom ones. */
  scopes: string[];
  /** null: never expires. */
  expiresInSeconds?: number | null;
  account?: { email?: string; status?: string; teamName?: string };
  /** Every call with this token answers this way instead. */
  fault?: 'unauthorized' | 'rate_limited' | 'server_error' | 'malformed' | 'reset';
  /** The first N API calls with this token are answered 429 with Retry-After: 1. */
  rateLimitedCalls?: number;
  /** Requests already used in the current hour (the RateLimit-Remaining headers count down from 5,000). */
  usedThisHour?: number;
  /** Delay before answering, in milliseconds. */
  delayMs?: number;
  /** The token-info endpoint alone fails, is slow (`slow`: answers after tokenInfoDelayMs), hangs, or names unknown scopes. */
  tokenInfo?: 'ok' | 'server_error' | 'hang' | 'slow' | 'unrecognised';
  tokenInfoDelayMs?: number;
}

export interface FakeDigitalOcean {
  url: string;
  tokenInfoUrl: string;
  requests: { path: string; authorization: string | undefined }[];
  setToken(token: string, behaviour: TokenBehaviour): void;
  /**
   * Every answer (API and token info, errors included) leaves no sooner than `ms` after its request
   * arrived; 0, the default, adds nothing. Rate limits count a request when it arrives. This models
   * network plus service time for the benchmark; it is not a documented behaviour of DigitalOcean.
   * A token's own `delayMs` and a `slow` token info still apply; a delay longer than `ms` is not
   * shortened, nor added to.
   */
  setLatency(ms: number): void;
  close(): Promise<void>;
}

/** Scopes a Full Access / Read Only token reports (scopes docs: alias scopes). */
export const FULL_ACCESS = ['api:write'];
export const READ_ONLY = ['api:read'];
/** Tokens created before custom scopes (2024). */
export const LEGACY_FULL_ACCESS = ['read', 'write'];

/** The scope list of a custom token made by ticking `chosen`: the control panel adds the required ones. */
export function customScopes(...chosen: string[]): string[] {
  return [...withRequired(chosen)].sort();
}

/**
 * GET endpoints and the scope(s) the spec's `security` lists for them. Several granular scopes on one
 * operation are all required, as DigitalOcean's reference renders them ("Required scopes: sizes:read
 * regions:read"); an alias listed beside them is an alternative that alias tokens satisfy anyway.
 */
const ENDPOINTS: Record<string, { scopes: string[]; key: string }> = {
  '/v2/account': { scopes: ['account:read'], key: 'account' },
  '/v2/actions': { scopes: ['actions:read'], key: 'actions' },
  '/v2/regions': { scopes: ['regions:read'], key: 'regions' },
  '/v2/sizes': { scopes: ['sizes:read', 'regions:read'], key: 'sizes' },
  '/v2/images': { scopes: ['image:read'], key: 'images' },
  '/v2/account/keys': { scopes: ['ssh_key:read'], key: 'ssh_keys' },
  '/v2/tags': { scopes: ['tag:read'], key: 'tags' },
  '/v2/projects': { scopes: ['project:read'], key: 'projects' },
  '/v2/droplets': { scopes: ['droplet:read'], key: 'droplets' },
  '/v2/vpcs': { scopes: ['vpc:read'], key: 'vpcs' },
  '/v2/databases': { scopes: ['database:read'], key: 'databases' },
  '/v2/domains': { scopes: ['domain:read'], key: 'domains' },
  '/v2/firewalls': { scopes: ['firewall:read'], key: 'firewalls' },
  '/v2/volumes': { scopes: ['block_storage:read'], key: 'volumes' },
  '/v2/load_balancers': { scopes: ['load_balancer:read'], key: 'load_balancers' },
  '/v2/kubernetes/clusters': { scopes: ['kubernetes:read'], key: 'kubernetes_clusters' },
  '/v2/reserved_ips': { scopes: ['reserved_ip:read'], key: 'reserved_ips' },
  '/v2/certificates': { scopes: ['certificate:read'], key: 'certificates' },
  '/v2/cdn/endpoints': { scopes: ['cdn:read'], key: 'endpoints' },
  '/v2/apps': { scopes: ['app:read'], key: 'apps' },
  '/v2/spaces/keys': { scopes: ['spaces_key:read'], key: 'keys' },
  '/v2/monitoring/alerts': { scopes: ['monitoring:read'], key: 'policies' },
  '/v2/snapshots': { scopes: ['snapshot:read'], key: 'snapshots' },
  '/v2/uptime/checks': { scopes: ['uptime:read'], key: 'checks' },
};

const MINUTE_LIMIT = 250;
const HOUR_LIMIT = 5_000;
/** Endpoints with their own, lower limits: [requests, window in ms]. */
const SPECIAL_LIMITS: Record<string, [number, number]> = {
  '/v2/account/keys': [10, 60_000],
  '/v2/cdn/endpoints': [5, 10_000],
};

/** Whether a token reporting `reported` holds `scope`. */
export function tokenHolds(reported: readonly string[], scope: string): boolean {
  const has = new Set(reported);
  if (has.has('api:write') || has.has('write')) return true;
  if ((has.has('api:read') || has.has('read')) && isReadScope(scope)) return true;
  return has.has(scope);
}

export async function startFakeDigitalOcean(): Promise<FakeDigitalOcean> {
  const tokens = new Map<string, TokenBehaviour & { expiresAt?: number | undefined }>();
  const calls = new Map<string, { at: number; path: string }[]>();
  const requests: FakeDigitalOcean['requests'] = [];
  let latencyMs = 0;
  const server = createServer((req, res) => {
    // setLatency: the answer leaves no sooner than `latencyMs` after the request arrived.
    const due = Date.now() + latencyMs;
    void handle(req, res).then(async (answer) => {
      if (answer === undefined) return;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      if (res.destroyed) return;
      answer();
    });
  });

  /** Writes the answer to one request, when called; undefined: no answer (hung, or the client left). */
  type Answer = (() => void) | undefined;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<Answer> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push({ path: url.pathname + url.search, authorization: req.headers.authorization });
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const behaviour = token === undefined ? undefined : tokens.get(token);
    if (behaviour?.delayMs) await sleep(behaviour.delayMs);
    if (res.destroyed) return undefined;
    if (behaviour === undefined || token === undefined) return () => sendError(res, 401, 'unauthorized', 'Unable to authenticate you');
    // An expired token stops working (create-personal-access-token docs: it disappears).
    if (behaviour.expiresAt !== undefined && Date.now() >= behaviour.expiresAt) return () => sendError(res, 401, 'unauthorized', 'Unable to authenticate you');

    const now = Date.now();
    const history = calls.get(token) ?? [];
    calls.set(token, history);
    const limits = rateHeaders(history, behaviour, now);
    if (behaviour.rateLimitedCalls) {
      behaviour.rateLimitedCalls -= 1;
      return () => sendError(res, 429, 'too_many_requests', 'API rate limit exceeded.', { ...limits, 'retry-after': '1' });
    }
    const refusal = overLimit(history, url.pathname, behaviour, now);
    if (refusal) return () => sendError(res, 429, 'too_many_requests', 'API rate limit exceeded.', { ...limits, 'retry-after': String(refusal) });
    history.push({ at: now, path: url.pathname });
    // Token info lives on cloud.digitalocean.com and is undocumented; whether it counts against the
    // token's API limits is unknown, so it is counted (the stricter answer), without RateLimit headers.
    if (url.pathname === '/v1/oauth/token/info') return tokenInfo(req, res, behaviour);
    const after = rateHeaders(history, behaviour, now);
    const tokenFault = behaviour.fault;
    if (tokenFault) return () => fault(req, res, tokenFault, after);
    const endpoint = ENDPOINTS[url.pathname];
    if (endpoint === undefined || req.method !== 'GET') return () => sendError(res, 404, 'not_found', 'The resource you were accessing could not be found.', after);
    if (!endpoint.scopes.every((s) => tokenHolds(behaviour.scopes, s))) {
      return () => sendError(res, 403, 'forbidden', 'You are not authorized to perform this operation', after);
    }
    if (url.pathname === '/v2/account') return () => send(res, 200, accountBody(behaviour), after);
    return () => send(res, 200, { [endpoint.key]: [], links: {}, meta: { total: 0 } }, after);
  }

  async function tokenInfo(req: IncomingMessage, res: ServerResponse, b: TokenBehaviour & { expiresAt?: number | undefined }): Promise<Answer> {
    // A token-wide fault hits token info too: it is the same token at the same company.
    const tokenFault = b.fault;
    if (tokenFault) return () => fault(req, res, tokenFault, {});
    if (b.tokenInfo === 'hang') return undefined; // never answers
    if (b.tokenInfo === 'slow') await sleep(b.tokenInfoDelayMs ?? 600);
    if (b.tokenInfo === 'server_error') return () => sendError(res, 500, 'server_error', 'Unexpected server-side error');
    // expires_in_seconds is counted when the answer is made, before any latency.
    const body = {
      resource_owner_id: 1234567,
      // A scheme do-creds has never seen: what an unrecognised answer looks like to it.
      scopes: b.tokenInfo === 'unrecognised' ? ['compute:manage', 'storage:manage'] : b.scopes,
      expires_in_seconds: b.expiresAt === undefined ? null : Math.max(0, Math.round((b.expiresAt - Date.now()) / 1000)),
      application: { uid: null },
      created_at: Math.floor(Date.now() / 1000) - 3600,
    };
    return () => send(res, 200, body);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    tokenInfoUrl: `${url}/v1/oauth/token/info`,
    requests,
    setToken: (token, behaviour) =>
      tokens.set(token, {
        ...behaviour,
        expiresAt: typeof behaviour.expiresInSeconds === 'number' ? Date.now() + behaviour.expiresInSeconds * 1000 : undefined,
      }),
    setLatency: (ms) => {
      latencyMs = Math.max(0, ms);
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Seconds to wait when a call would pass a limit, else undefined. */
function overLimit(history: { at: number; path: string }[], path: string, b: TokenBehaviour, now: number): number | undefined {
  const inWindow = (ms: number, p?: string) => history.filter((c) => now - c.at < ms && (p === undefined || c.path === p));
  const special = SPECIAL_LIMITS[path];
  if (special && inWindow(special[1], path).length >= special[0]) return Math.ceil(special[1] / 1000);
  if (inWindow(60_000).length >= MINUTE_LIMIT) return 60;
  if (inWindow(3_600_000).length + (b.usedThisHour ?? 0) >= HOUR_LIMIT) return 3600;
  return undefined;
}

function rateHeaders(history: { at: number }[], b: TokenBehaviour, now: number): Record<string, string> {
  const hour = history.filter((c) => now - c.at < 3_600_000);
  const oldest = hour[0]?.at ?? now;
  return {
    'ratelimit-limit': String(HOUR_LIMIT),
    'ratelimit-remaining': String(Math.max(0, HOUR_LIMIT - hour.length - (b.usedThisHour ?? 0))),
    'ratelimit-reset': String(Math.floor((oldest + 3_600_000) / 1000)),
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
      // The spec's account model has status_message; its text for a locked account is not documented.
      status_message: b.account?.status && b.account.status !== 'active' ? 'Account locked.' : '',
      team: { uuid: '5df3e3004a17e242b7c20ca6c9fc25b701a47ece', name: b.account?.teamName ?? 'Platform' },
    },
  };
}

function fault(req: IncomingMessage, res: ServerResponse, kind: NonNullable<TokenBehaviour['fault']>, headers: Record<string, string>): void {
  switch (kind) {
    case 'unauthorized':
      return sendError(res, 401, 'unauthorized', 'Unable to authenticate you');
    case 'rate_limited':
      // A 429 carries Retry-After (spec shared/headers.yml) as well as the RateLimit-* headers.
      return sendError(res, 429, 'too_many_requests', 'API rate limit exceeded.', {
        'ratelimit-limit': '5000',
        'ratelimit-remaining': '0',
        'ratelimit-reset': String(Math.floor(Date.now() / 1000) + 42),
        'retry-after': '42',
      });
    case 'server_error':
      return sendError(res, 500, 'server_error', 'Unexpected server-side error', headers);
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
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
