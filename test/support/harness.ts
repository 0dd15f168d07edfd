import { vi } from 'vitest';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { createScanHandler } from '../../src/lib/scan-handler.js';
import { blockKitProblems } from '../../src/lib/slack/limits.js';
import { runningFakeSlacks } from './fake-slack.js';
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

/**
 * Delivers `event` to the handler as Slack would: every running fake Slack learns what the request
 * carries (its trigger id, issued now, and the acting user), and the answer is checked as Slack
 * checks it. An answer Slack would refuse (a message or view breaking Block Kit's limits) throws.
 */
export async function invoke(handler: Handler, event: APIGatewayProxyEventV2): Promise<InvokeResult> {
  const delivered = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
  const contentType = Object.entries(event.headers ?? {}).find(([k]) => k.toLowerCase() === 'content-type')?.[1];
  for (const slack of runningFakeSlacks()) slack.learn(delivered, contentType);
  const result = await handler(event, lambdaContext());
  const body = result.body ?? '';
  let json: Record<string, unknown> | undefined;
  try {
    json = body ? (JSON.parse(body) as Record<string, unknown>) : undefined;
  } catch {
    json = undefined;
  }
  const refused = answerProblems(json);
  if (refused.length > 0) throw new Error(`Slack would refuse this answer:\n${refused.join('\n')}`);
  return { statusCode: result.statusCode ?? 200, body, json, headers: (result.headers ?? {}) };
}

/**
 * What Slack refuses in an HTTP answer: a view given with `response_action` update / push, or the
 * message of a slash command's answer (blocks and text), checked against Block Kit's limits.
 */
export function answerProblems(json: Record<string, unknown> | undefined): string[] {
  if (json === undefined) return [];
  const action = json.response_action;
  if (action === 'update' || action === 'push') return blockKitProblems('modal', json.view);
  if (action === 'errors') {
    const errors = json.errors;
    if (typeof errors !== 'object' || errors === null) return ['errors: must be an object of block id to message'];
    return Object.entries(errors).filter(([, m]) => typeof m !== 'string' || m.length === 0).map(([k]) => `errors.${k}: must be a non-empty string`);
  }
  if (action !== undefined) return [];
  if (json.blocks !== undefined || json.text !== undefined) return blockKitProblems('message', { text: json.text, blocks: json.blocks });
  return [];
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
