import './require-node-22.js';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, DEV_MODE_WITH_REAL_AWS, isLoopbackHost, loadConfig, usesRealAws, type Config, type Env, type StoreConfig } from '../lib/config.js';
import { inProcessJobsDone } from '../lib/queue/in-process.js';
import { createScanHandler, type ScanHandler, type ScanSummary } from '../lib/scan-handler.js';
import { createSlackHandler } from '../lib/slack/handler.js';
import { apiGatewayEvent, lambdaContext, slackSignature } from './api-gateway.js';
import { awsCredentialSource, lookUpAwsIdentity, type AwsIdentity } from './aws-identity.js';
import { BodyTooLargeError, MAX_BODY_BYTES, readBody } from './http.js';
import { createSlackStub, type OutboxEntry } from './slack-stub.js';

/**
 * `npm start`: the Lambda handler served over HTTP on 127.0.0.1 (POST /slack/events). With the
 * Slack app's SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN it serves real Slack (through any tunnel).
 * Without them it runs in terminal mode: a development signing secret, development mode, and a
 * built-in stand-in for Slack's API, driven with `npm run slack -- "/do-creds setup"`.
 *
 * Whatever reaches it (a tunnel makes it public): bodies are counted as they arrive and refused
 * with 413 past 256 KiB, slow requests are cut off after a few seconds, and it holds a bounded
 * number of connections. It stores in the embedded file store unless CREDS_STORE=aws says otherwise
 * (src/lib/config.ts), and then says loudly which AWS account, region and names it writes to.
 */

export interface ServerLimits {
  /** Bodies over this get 413, counted while they stream in. */
  maxBodyBytes: number;
  /** Time to receive a request's headers. */
  headersTimeoutMs: number;
  /** Time to receive a whole request (headers and body); not the time to answer it. */
  requestTimeoutMs: number;
  /** Connections held at once; more are closed as they arrive. */
  maxConnections: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxBodyBytes: MAX_BODY_BYTES,
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  maxConnections: 32,
};

export const DEFAULT_HOST = '127.0.0.1';

export interface LocalServerOptions {
  port: number;
  /** The address to listen on: 127.0.0.1 unless told otherwise (DO_CREDS_HOST). */
  host?: string;
  env: Env;
  /** Where terminal mode keeps its signing secret and the file store keeps its data. */
  dataDir: string;
  print?: (line: string) => void;
  limits?: Partial<ServerLimits>;
  /** Who the AWS credentials belong to (STS GetCallerIdentity), asked only for the real AWS store. */
  awsIdentity?: (store: StoreConfig, env: Env) => Promise<AwsIdentity>;
}

export interface LocalServer {
  url: string;
  mode: 'slack' | 'terminal';
  outbox: OutboxEntry[];
  close(): Promise<void>;
}

/** Why the server did not start, in one sentence for the person who ran `npm start`. */
export class LocalServerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalServerError';
  }
}

export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const host = options.host ?? DEFAULT_HOST;
  // The bot's secrets come from the environment, or from Secrets Manager when their ids are set.
  const fromSecretsManager = Boolean(options.env.BOT_SLACK_SECRET_ID);
  const terminal = !fromSecretsManager && (!options.env.SLACK_SIGNING_SECRET || !options.env.SLACK_BOT_TOKEN);

  const env: Env = { CREDS_FILE_DIR: join(options.dataDir, 'creds'), ...options.env };
  if (terminal) {
    Object.assign(env, {
      SLACK_SIGNING_SECRET: await devSigningSecret(options.dataDir),
      SLACK_BOT_TOKEN: 'xoxb-terminal-mode',
      // Set to the server's own address once it listens.
      SLACK_API_URL: 'http://127.0.0.1/api/',
    });
    // Terminal mode turns development mode on (everyone may write), but never by itself for the real AWS.
    if (options.env.DO_CREDS_DEV_MODE === undefined && !usesRealAws(storeOf(env))) env.DO_CREDS_DEV_MODE = 'true';
  }
  // A configuration that cannot work is refused now, not answered with 500 on every request.
  const config = checkedConfig(env);
  const realAws = usesRealAws(config.store);
  const identity = realAws ? await (options.awsIdentity ?? lookUpAwsIdentity)(config.store, env) : undefined;
  if (identity?.kind === 'refused') {
    throw new LocalServerError(
      `CREDS_STORE=aws, but ${identity.reason}. Fix that, or leave CREDS_STORE unset to store in the local file store.`,
    );
  }

  const stub = createSlackStub();
  // The handler needs the server's own address (terminal mode's Slack API), known once listening.
  const state: { handle?: ReturnType<typeof createSlackHandler> } = {};
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      // How often those two are checked (Node's default is every 30 s).
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 2))),
    },
    (req, res) => {
      void serve(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500, { connection: 'close' });
        res.end();
      });
    },
  );
  server.maxConnections = limits.maxConnections;
  // `Expect: 100-continue` with a declared body over the limit: refused before the body is sent.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (Number(req.headers['content-length'] ?? 0) > limits.maxBodyBytes) tooLarge(req, res, limits.maxBodyBytes);
    else {
      res.writeContinue();
      server.emit('request', req, res);
    }
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url?.split('?')[0] ?? '/';
    let raw: Buffer;
    try {
      raw = await readBody(req, limits.maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return tooLarge(req, res, limits.maxBodyBytes);
      throw error;
    }
    const body = raw.toString('utf8');
    if (req.method === 'POST' && path === '/slack/events' && state.handle) {
      const result = await state.handle(toEvent(req, body), lambdaContext());
      res.writeHead(result.statusCode ?? 200, stringHeaders(result.headers));
      res.end(result.body ?? '');
    } else if (terminal && req.method === 'POST' && (path.startsWith('/api/') || path.startsWith('/response/'))) {
      stub.handle(path, req, res, body);
    } else if (terminal && req.method === 'GET' && path === '/_local/outbox') {
      // Confirmations and audit posts run after the answer (in-process jobs): show them once done.
      await inProcessJobsDone();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(stub.outbox));
    } else if (terminal && req.method === 'POST' && path === '/_local/scan') {
      const answer = await localScan(req, body);
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    } else {
      res.writeHead(404).end();
    }
  }

  /**
   * `npm run slack -- scan [--in 7d]`: the scheduled scan's own handler, run here as of now plus N days
   * (its jobs in-process, alerts to the stand-in's outbox). Terminal mode only, from this machine only,
   * signed with the development signing secret; one scan at a time.
   */
  const scan: { handler?: ScanHandler; running: Promise<unknown> } = { running: Promise.resolve() };
  async function localScan(req: IncomingMessage, body: string): Promise<{ status: number; body: object }> {
    if (!isLoopbackHost(req.socket.remoteAddress ?? '')) return { status: 403, body: { error: 'The local scan is only run from this machine.' } };
    if (!signedLocally(req, body, env.SLACK_SIGNING_SECRET ?? '')) return { status: 401, body: { error: 'Not signed with the development signing secret.' } };
    let inDays: unknown;
    try {
      inDays = (JSON.parse(body || '{}') as { inDays?: unknown }).inDays ?? 0;
    } catch {
      inDays = undefined;
    }
    if (typeof inDays !== 'number' || !Number.isInteger(inDays) || inDays < 0 || inDays > MAX_SCAN_DAYS) {
      return { status: 400, body: { error: `inDays is a whole number of days from 0 to ${MAX_SCAN_DAYS}.` } };
    }
    const at = new Date(Date.now() + inDays * 86_400_000).toISOString();
    // Powertools writes CloudWatch's metric lines to stdout; locally they are noise in the terminal.
    process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
    scan.handler ??= createScanHandler(env);
    const run = scan.running.then(() => (scan.handler as ScanHandler)({ time: at }));
    scan.running = run.catch(() => undefined);
    const summary: ScanSummary = await run;
    return { status: 200, body: { at, inDays, summary } };
  }

  await listen(server, options.port, host);
  const port = (server.address() as AddressInfo).port;
  const url = `http://${urlHost(host)}:${port}`;
  if (terminal) env.SLACK_API_URL = `${url}/api/`;
  state.handle = createSlackHandler(env);

  print(`do-creds listening on ${url}/slack/events`);
  if (!isLoopbackHost(host)) {
    print(`Listening on ${host}, not only on this machine: anyone who can reach it can send requests (DO_CREDS_HOST).`);
  }
  for (const line of describeStore(config, env, identity)) print(line);
  if (terminal) print('No Slack app configured (SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN): terminal mode.');
  print(describeDevMode(config, terminal));
  if (terminal) {
    const target = port === 3000 && isLoopbackHost(host) ? '' : port !== 3000 && isLoopbackHost(host) ? `PORT=${port} ` : `DO_CREDS_URL=${url} `;
    print(`In another terminal, try:  ${target}npm run slack -- "/do-creds setup"`);
  }
  return {
    url,
    mode: terminal ? 'terminal' : 'slack',
    outbox: stub.outbox,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const MAX_SCAN_DAYS = 3_650;

/** Signed as the driver signs every request (Slack's scheme), within five minutes. */
function signedLocally(req: IncomingMessage, body: string, secret: string): boolean {
  const timestamp = Number(req.headers['x-slack-request-timestamp']);
  if (secret === '' || !Number.isInteger(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > 300) return false;
  const given = Buffer.from(String(req.headers['x-slack-signature'] ?? ''));
  const expected = Buffer.from(slackSignature(secret, timestamp, body));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** How long the connection of a refused body stays open (unread) for the client to read the 413. */
const LINGER_MS = 1_000;

/**
 * 413, and the connection closes. The answer goes out at once and nothing more is read: the
 * connection stays open for at most LINGER_MS so that the client reads the 413 rather than a
 * connection reset, then closes whether the client has finished sending or not.
 */
function tooLarge(req: IncomingMessage, res: ServerResponse, limit: number): void {
  const text = `Request body over ${Math.round(limit / 1024)} KiB.\n`;
  res.writeHead(413, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), connection: 'close' });
  res.write(text);
  const finish = () => {
    clearTimeout(timer);
    if (!res.writableEnded) res.end();
  };
  const timer = setTimeout(() => {
    finish();
    req.socket.destroy();
  }, LINGER_MS);
  req.on('end', finish);
  req.on('close', finish);
  req.on('error', () => undefined);
}

function listen(server: ReturnType<typeof createServer>, port: number, host: string): Promise<void> {
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    return Promise.reject(new LocalServerError(`PORT must be a port number from 1 to 65535 (e.g. PORT=3001), not ${JSON.stringify(String(port))}.`));
  }
  return new Promise((resolvePromise, reject) => {
    const onError = (error: NodeJS.ErrnoException) => reject(listenError(error, port, host));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolvePromise();
    });
  });
}

function listenError(error: NodeJS.ErrnoException, port: number, host: string): Error {
  switch (error.code) {
    case 'EADDRINUSE':
      return new LocalServerError(
        `Port ${port} on ${host} is already in use (another \`npm start\`?): stop that, or pick another port, e.g. \`PORT=${port === 65_535 ? 3001 : port + 1} npm start\` (and the same PORT for \`npm run slack\`).`,
      );
    case 'EACCES':
      return new LocalServerError(`Port ${port} needs privileges this user does not have: pick a port above 1023, e.g. \`PORT=3001 npm start\`.`);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new LocalServerError(`${host} is not an address of this machine: fix DO_CREDS_HOST, or leave it unset to listen on ${DEFAULT_HOST}.`);
    default:
      return error;
  }
}

/** The address for URLs: a wildcard listens on loopback too, IPv6 needs brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

function checkedConfig(env: Env): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) throw new LocalServerError(`do-creds is not configured: ${error.problems.join('; ')}.`);
    throw error;
  }
}

/** The store the environment selects, before the rest is checked (terminal mode's development mode depends on it). */
function storeOf(env: Env): Pick<StoreConfig, 'kind' | 'endpoint'> {
  try {
    return loadConfig({ ...env, DO_CREDS_DEV_MODE: undefined, LOG_LEVEL: undefined }).store;
  } catch {
    // Invalid anyway: checkedConfig says why. Assume the riskier store meanwhile.
    return { kind: 'aws', endpoint: undefined };
  }
}

const AWS_SHELL_VARIABLES = ['AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_DEFAULT_PROFILE', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_FULL_URI'];

function describeStore(config: Config, env: Env, identity: AwsIdentity | undefined): string[] {
  const store = config.store;
  if (store.kind === 'file') {
    const lines = [`Credentials go to the encrypted local file store in ${resolve(store.fileDir)} (CREDS_STORE=file).`];
    const shell = AWS_SHELL_VARIABLES.filter((name) => (env[name] ?? '').trim() !== '');
    if (shell.length > 0 && (env.CREDS_STORE ?? '').trim() !== 'file') {
      lines.push(`AWS credentials are set (${shell.join(', ')}), but local runs never use them unless CREDS_STORE=aws is set.`);
    }
    return lines;
  }
  if (!usesRealAws(store)) {
    return [`Credentials go to the Secrets Manager stand-in at ${store.endpoint ?? ''} (region ${store.region}, names ${store.prefix}<environment>).`];
  }
  const account =
    identity?.kind === 'known'
      ? `${identity.account} (${identity.arn})`
      : `not checked: ${identity?.kind === 'unknown' ? identity.reason : 'not asked'}`;
  const rule = '='.repeat(78);
  return [
    rule,
    'REAL AWS: credentials submitted to this bot are written to AWS Secrets Manager.',
    `  account   ${account}`,
    `  region    ${store.region} (AWS_REGION)`,
    `  names     ${store.prefix}<environment> (SECRET_NAME_PREFIX)`,
    ...(store.endpoint ? [`  endpoint  ${store.endpoint} (AWS_ENDPOINT_URL_SECRETS_MANAGER)`] : []),
    `  identity  ${awsCredentialSource(env)}`,
    'CREDS_STORE=aws asked for this; without it, local runs use the encrypted local file store.',
    rule,
  ];
}

function describeDevMode(config: Config, terminal: boolean): string {
  if (config.devMode) {
    return usesRealAws(config.store)
      ? `Development mode ON with the real AWS (${DEV_MODE_WITH_REAL_AWS}=true): with no access lists, everyone may write.`
      : 'Development mode on (DO_CREDS_DEV_MODE): with no access lists, everyone may write.';
  }
  if (terminal && usesRealAws(config.store)) {
    return 'Development mode off (never implied with the real AWS): only ALLOWED_USER_IDS may write; `npm run slack` acts as ULOCALDEV unless given --user.';
  }
  return 'Development mode off: ALLOWED_USER_IDS and the other access lists decide who may write.';
}

/** Terminal mode's signing secret: generated once into a 0600 file, shared with the driver. */
export async function devSigningSecret(dataDir: string): Promise<string> {
  const path = join(dataDir, 'dev-signing-secret');
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    const secret = randomBytes(24).toString('hex');
    await writeFile(path, `${secret}\n`, { mode: 0o600 });
    return secret;
  }
}

function toEvent(req: IncomingMessage, body: string) {
  const headers = Object.fromEntries(
    Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(',') : (v ?? '')]),
  );
  return apiGatewayEvent(headers, body, false, req.socket.remoteAddress ?? '');
}

function stringHeaders(headers: Record<string, unknown> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k, String(v)]));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = (process.env.PORT ?? '').trim() === '' ? 3000 : Number(process.env.PORT);
  const host = (process.env.DO_CREDS_HOST ?? '').trim() || DEFAULT_HOST;
  try {
    await startLocalServer({ port, host, env: process.env, dataDir: '.local' });
  } catch (error) {
    if (!(error instanceof LocalServerError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}
