import type * as Undici from 'undici';
import type { Dispatcher } from 'undici';
import { z } from 'zod';
import { transportReason } from '../transport-errors.js';

/**
 * The DigitalOcean API client: typed results for the calls validation and the expiry scan need.
 * It knows nothing of Slack. Every fault is a value, never a throw; nothing returned or logged
 * carries the token.
 */

export interface DigitalOceanOptions {
  apiUrl: string;
  /** doctl's undocumented token-info endpoint; undefined turns the call off. */
  tokenInfoUrl: string | undefined;
  timeoutMs: number;
  tokenInfoTimeoutMs: number;
  dispatcher?: Dispatcher;
}

export interface Account {
  email: string | undefined;
  teamName: string | undefined;
  status: string;
  statusMessage: string | undefined;
}

/** Why DigitalOcean gave no usable answer; each has its own message and log value. */
export type UnavailableReason = 'timeout' | 'dns' | 'network' | 'tls' | 'server_error' | 'bad_response';

/** The faults every call can end in, each with its own message upstream. */
export type Fault =
  | { kind: 'unauthorized' }
  | { kind: 'forbidden' }
  | { kind: 'rate_limited'; retryAfterSeconds: number }
  | { kind: 'unavailable'; reason: UnavailableReason };

export type Result<T> = ({ kind: 'ok' } & T) | Fault;

/** DigitalOcean's per-token budget as its RateLimit-* headers last told it. */
export interface RateLimit {
  limit: number;
  remaining: number;
}

export interface TokenInfo {
  scopes: string[];
  /** undefined: the token never expires. */
  expiresAt: Date | undefined;
  createdAt: Date | undefined;
}

const accountSchema = z.object({
  account: z.object({
    email: z.string().optional(),
    status: z.string().default('active'),
    status_message: z.string().optional(),
    team: z.object({ name: z.string().optional() }).nullish(),
  }),
});

// Doorkeeper's token info: expires_in_seconds is null for a token that never expires.
const tokenInfoSchema = z.object({
  scopes: z.array(z.string()),
  expires_in_seconds: z.number().int().nullish(),
  created_at: z.number().int().nullish(),
});

/**
 * Side-effect-free GETs that answer 403 when the token lacks the read scope (scopes from the
 * OpenAPI spec's per-operation `security`). Left out on purpose: `GET /v2/account/keys`
 * (ssh_key:read) allows only 10 requests per minute and `/v2/cdn/endpoints` 5 per 10 seconds
 * (spec description.yml), so probing them could starve the person's own Terraform runs; and
 * `/v2/sizes`, which needs regions:read as well, so a 403 there would not say which one is missing.
 */
export const READ_SCOPE_PROBES: Readonly<Record<string, string>> = {
  'account:read': '/v2/account',
  'actions:read': '/v2/actions?per_page=1',
  'regions:read': '/v2/regions?per_page=1',
  'image:read': '/v2/images?per_page=1&private=true',
  'tag:read': '/v2/tags?per_page=1',
  'project:read': '/v2/projects?per_page=1',
  'droplet:read': '/v2/droplets?per_page=1',
  'vpc:read': '/v2/vpcs?per_page=1',
  'database:read': '/v2/databases?per_page=1',
  'domain:read': '/v2/domains?per_page=1',
  'firewall:read': '/v2/firewalls?per_page=1',
  'block_storage:read': '/v2/volumes?per_page=1',
  'load_balancer:read': '/v2/load_balancers?per_page=1',
  'kubernetes:read': '/v2/kubernetes/clusters?per_page=1',
  'reserved_ip:read': '/v2/reserved_ips?per_page=1',
  'certificate:read': '/v2/certificates?per_page=1',
  'app:read': '/v2/apps?per_page=1',
  'spaces_key:read': '/v2/spaces/keys?per_page=1',
  'monitoring:read': '/v2/monitoring/alerts?per_page=1',
  'snapshot:read': '/v2/snapshots?per_page=1',
  'uptime:read': '/v2/uptime/checks?per_page=1',
};

export type ProbeResult = 'granted' | 'missing' | 'unknown';

export interface DigitalOceanClient {
  /** The account, and the token's remaining requests when DigitalOcean said. */
  getAccount(token: string): Promise<Result<{ account: Account }> & { rateLimit?: RateLimit }>;
  /** `disabled`: DO_TOKEN_INFO_URL is off, so nothing was asked. */
  getTokenInfo(token: string, now: Date): Promise<Result<{ info: TokenInfo }> | { kind: 'disabled' }>;
  probeReadScope(token: string, scope: string, signal?: AbortSignal): Promise<ProbeResult>;
}

// undici is loaded on the first call, not at cold start: help and the guide never need it.
let undici: Promise<typeof Undici> | undefined;
const loadUndici = () => (undici ??= import('undici'));

/** One kept-alive connection pool per Lambda container, reused by warm invocations. */
let sharedAgent: Promise<Dispatcher> | undefined;
function defaultDispatcher(): Promise<Dispatcher> {
  sharedAgent ??= loadUndici().then(({ Agent }) => new Agent({ keepAliveTimeout: 30_000, connections: 32 }));
  return sharedAgent;
}

export function createDigitalOceanClient(options: DigitalOceanOptions): DigitalOceanClient {
  const dispatcher = options.dispatcher ? Promise.resolve(options.dispatcher) : undefined;
  const apiUrl = options.apiUrl.replace(/\/+$/, '');
  const get = async (url: string, token: string, timeoutMs: number, signal?: AbortSignal) =>
    getJson(await (dispatcher ?? defaultDispatcher()), url, token, timeoutMs, signal);

  return {
    async getAccount(token) {
      const res = await get(`${apiUrl}/v2/account`, token, options.timeoutMs);
      const rateLimit = res.rateLimit ? { rateLimit: res.rateLimit } : {};
      if (res.kind !== 'ok') return { ...res.fault, ...rateLimit };
      const parsed = accountSchema.safeParse(res.body);
      if (!parsed.success) return { kind: 'unavailable', reason: 'bad_response', ...rateLimit };
      const a = parsed.data.account;
      return {
        kind: 'ok',
        account: { email: a.email, teamName: a.team?.name ?? undefined, status: a.status, statusMessage: a.status_message || undefined },
        ...rateLimit,
      };
    },

    async getTokenInfo(token, now) {
      if (options.tokenInfoUrl === undefined) return { kind: 'disabled' };
      const res = await get(options.tokenInfoUrl, token, options.tokenInfoTimeoutMs);
      if (res.kind !== 'ok') return res.fault;
      const parsed = tokenInfoSchema.safeParse(res.body);
      if (!parsed.success) return { kind: 'unavailable', reason: 'bad_response' };
      const { scopes, expires_in_seconds: expiresIn, created_at: createdAt } = parsed.data;
      return {
        kind: 'ok',
        info: {
          scopes,
          expiresAt: expiresIn == null ? undefined : new Date(now.getTime() + expiresIn * 1000),
          createdAt: createdAt == null ? undefined : new Date(createdAt * 1000),
        },
      };
    },

    async probeReadScope(token, scope, signal) {
      const path = READ_SCOPE_PROBES[scope];
      if (path === undefined) return 'unknown';
      const res = await get(`${apiUrl}${path}`, token, options.timeoutMs, signal);
      if (res.kind === 'ok') return 'granted';
      return res.fault.kind === 'forbidden' ? 'missing' : 'unknown';
    },
  };
}

type JsonResult = ({ kind: 'ok'; body: unknown } | { kind: 'fault'; fault: Fault }) & { rateLimit?: RateLimit };

async function getJson(dispatcher: Dispatcher, url: string, token: string, timeoutMs: number, signal?: AbortSignal): Promise<JsonResult> {
  const { request } = await loadUndici();
  const unavailable = (error: unknown): JsonResult => ({ kind: 'fault', fault: { kind: 'unavailable', reason: transportReason(error) } });
  let res: Dispatcher.ResponseData;
  try {
    const timeout = AbortSignal.timeout(timeoutMs);
    res = await request(url, {
      method: 'GET',
      dispatcher,
      headers: { authorization: `Bearer ${token}`, accept: 'application/json', 'user-agent': 'do-creds' },
      signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  } catch (error) {
    return unavailable(error);
  }
  const rateLimit = readRateLimit(res.headers);
  let text: string;
  try {
    text = await res.body.text();
  } catch (error) {
    return { ...unavailable(error), ...(rateLimit ? { rateLimit } : {}) };
  }
  const body = parseJson(text);
  const ok = res.statusCode >= 200 && res.statusCode < 300;
  const result: JsonResult =
    ok && body !== undefined
      ? { kind: 'ok', body }
      : { kind: 'fault', fault: ok ? { kind: 'unavailable', reason: 'bad_response' } : classifyError(res.statusCode, body, res.headers) };
  return rateLimit ? { ...result, rateLimit } : result;
}

function readRateLimit(headers: Dispatcher.ResponseData['headers']): RateLimit | undefined {
  const limit = Number(headerValue(headers, 'ratelimit-limit'));
  const remaining = Number(headerValue(headers, 'ratelimit-remaining'));
  return Number.isFinite(limit) && Number.isFinite(remaining) && headerValue(headers, 'ratelimit-remaining') !== undefined
    ? { limit, remaining }
    : undefined;
}

function headerValue(headers: Dispatcher.ResponseData['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Errors are matched on the body's `id`, falling back to the status when the body has none. */
function classifyError(status: number, body: unknown, headers: Dispatcher.ResponseData['headers']): Fault {
  const id = typeof body === 'object' && body !== null && 'id' in body ? String((body).id) : undefined;
  if (id === 'unauthorized' || (id === undefined && status === 401)) return { kind: 'unauthorized' };
  if (id === 'forbidden' || (id === undefined && status === 403)) return { kind: 'forbidden' };
  if (id === 'too_many_requests' || status === 429) return { kind: 'rate_limited', retryAfterSeconds: retryAfter(headers) };
  if (status === 401) return { kind: 'unauthorized' };
  if (status === 403) return { kind: 'forbidden' };
  return { kind: 'unavailable', reason: status >= 500 ? 'server_error' : 'bad_response' };
}

/** Seconds until DigitalOcean's limit resets: Retry-After, else RateLimit-Reset (epoch seconds). */
export function retryAfter(headers: Dispatcher.ResponseData['headers'], nowMs = Date.now()): number {
  const retry = Number(headerValue(headers, 'retry-after'));
  if (Number.isFinite(retry) && retry > 0) return Math.ceil(retry);
  const reset = Number(headerValue(headers, 'ratelimit-reset'));
  if (Number.isFinite(reset) && reset > 0) return Math.max(1, Math.ceil(reset - nowMs / 1000));
  return 60;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
