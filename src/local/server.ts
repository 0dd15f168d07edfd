import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig, type Env } from '../lib/config.js';
import { inProcessJobsDone } from '../lib/queue/in-process.js';
import { createSlackHandler } from '../lib/slack/handler.js';
import { apiGatewayEvent, lambdaContext } from './api-gateway.js';
import { createSlackStub, type OutboxEntry } from './slack-stub.js';
import { readBody } from './http.js';

/**
 * `npm start`: the Lambda handler served over HTTP on localhost (POST /slack/events). With the
 * Slack app's SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN it serves real Slack (through any tunnel).
 * Without them it runs in terminal mode: a development signing secret, development mode, and a
 * built-in stand-in for Slack's API, driven with `npm run slack -- "/do-creds setup"`.
 */

export interface LocalServerOptions {
  port: number;
  env: Env;
  /** Where terminal mode keeps its signing secret and the file store keeps its data. */
  dataDir: string;
  print?: (line: string) => void;
}

export interface LocalServer {
  url: string;
  mode: 'slack' | 'terminal';
  outbox: OutboxEntry[];
  close(): Promise<void>;
}

export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  // The bot's secrets come from the environment, or from Secrets Manager when their ids are set.
  const fromSecretsManager = Boolean(options.env.BOT_SLACK_SECRET_ID);
  const terminal = !fromSecretsManager && (!options.env.SLACK_SIGNING_SECRET || !options.env.SLACK_BOT_TOKEN);
  const stub = createSlackStub();
  // The handler needs the server's own address (terminal mode's Slack API), known once listening.
  const state: { handle?: ReturnType<typeof createSlackHandler> } = {};

  const server = createServer((req, res) => {
    void (async () => {
      const path = req.url?.split('?')[0] ?? '/';
      const body = (await readBody(req)).toString('utf8');
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
      } else {
        res.writeHead(404).end();
      }
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(options.port, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const env: Env = { CREDS_FILE_DIR: join(options.dataDir, 'creds'), ...options.env };
  if (terminal) {
    Object.assign(env, {
      SLACK_SIGNING_SECRET: await devSigningSecret(options.dataDir),
      SLACK_BOT_TOKEN: 'xoxb-terminal-mode',
      SLACK_API_URL: `${url}/api/`,
      DO_CREDS_DEV_MODE: options.env.DO_CREDS_DEV_MODE ?? 'true',
    });
  }
  state.handle = createSlackHandler(env);

  print(`do-creds listening on ${url}/slack/events`);
  print(describeStore(env));
  if (terminal) {
    print('No Slack app configured (SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN): terminal mode, development mode on.');
    print('In another terminal, try:  npm run slack -- "/do-creds setup"');
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

function describeStore(env: Env): string {
  try {
    const store = loadConfig(env).store;
    return store.kind === 'file'
      ? `Credentials go to the encrypted local file store in ${resolve(store.fileDir)} (CREDS_STORE=file).`
      : `Credentials go to AWS Secrets Manager in ${store.region} (CREDS_STORE=aws).`;
  } catch {
    return 'The configuration is not valid: see the log line above.';
  }
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
  await startLocalServer({ port: Number(process.env.PORT ?? 3000), env: process.env, dataDir: '.local' });
}
