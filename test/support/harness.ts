import { vi } from 'vitest';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { createScanHandler } from '../../src/lib/scan-handler.js';
import { lambdaContext } from './slack-request.js';

type Handler = (event: APIGatewayProxyEventV2, context: ReturnType<typeof lambdaContext>) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * Imports the exported Lambda handler afresh with `env` in place, as a cold start would, then
 * puts the process environment back.
 */
export async function loadSlackHandler(env: Record<string, string | undefined>): Promise<Handler> {
  return withEnv(env, async () => (await import('../../src/handlers/slack.js')).handler);
}

export type ScanHandler = ReturnType<typeof createScanHandler>;

/** The exported scheduled handler, imported afresh as a cold start would. */
export async function loadScanHandler(env: Record<string, string | undefined>): Promise<ScanHandler> {
  return withEnv(env, async () => (await import('../../src/handlers/expiry-scan.js')).handler);
}

async function withEnv<T>(env: Record<string, string | undefined>, load: () => Promise<T>): Promise<T> {
  vi.resetModules();
  const saved = { ...process.env };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return await load();
  } finally {
    process.env = saved;
  }
}

export interface InvokeResult {
  statusCode: number;
  body: string;
  json: Record<string, unknown> | undefined;
  headers: Record<string, unknown>;
}

export async function invoke(handler: Handler, event: APIGatewayProxyEventV2): Promise<InvokeResult> {
  const result = await handler(event, lambdaContext());
  const body = result.body ?? '';
  let json: Record<string, unknown> | undefined;
  try {
    json = body ? (JSON.parse(body) as Record<string, unknown>) : undefined;
  } catch {
    json = undefined;
  }
  return { statusCode: result.statusCode ?? 200, body, json, headers: (result.headers ?? {}) };
}

/** Collects everything written to stdout and stderr (pino writes through process.stdout). */
export function captureOutput(): { text: () => string; lines: () => Record<string, unknown>[]; restore: () => void } {
  const chunks: string[] = [];
  const capture = (chunk: unknown): boolean => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  return {
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    restore: () => {
      out.mockRestore();
      err.mockRestore();
    },
  };
}

/** Generates a bot token of Slack's shape at run time (never a committed literal). */
export function fakeBotToken(): string {
  const digits = () => String(Math.floor(1e11 + Math.random() * 9e11));
  return `xoxb-${digits()}-${digits()}-${Math.random().toString(36).slice(2, 14)}`;
}
