import { isValidSlackRequest } from '@slack/bolt';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { Logger } from '../logger.js';

/**
 * Checks done before Bolt's receiver sees a request: body size, signature, a timestamp within five
 * minutes in either direction (the receiver only refuses old ones), and a body it can parse (it
 * throws on malformed JSON, which would crash the invocation instead of answering 400).
 *
 * Slack's `ssl_check` (it checks a slash command's certificate) is answered 200 with an empty body
 * before any of that, as Bolt's AwsLambdaReceiver does (`toHandler`: "ssl_check (for Slash Commands)"
 * comes before "request signature verification"): it does nothing, and Slack does not promise to sign it.
 */

export type LambdaHttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

export interface GuardOptions {
  signingSecret: string;
  logger: Logger;
  now?: () => number;
  maxBodyBytes?: number;
}

const MAX_SKEW_SECONDS = 5 * 60;
const DEFAULT_MAX_BODY_BYTES = 256 * 1024;

export function guardSlackRequest(inner: LambdaHttpHandler, options: GuardOptions): LambdaHttpHandler {
  const now = options.now ?? Date.now;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return async (event, context) => {
    const rawBody = event.body ?? '';
    if (rawBody.length > maxBodyBytes * 2) return refuse(options.logger, 413, 'body_too_large');
    const body = event.isBase64Encoded ? Buffer.from(rawBody, 'base64').toString('utf8') : rawBody;
    if (Buffer.byteLength(body) > maxBodyBytes) return refuse(options.logger, 413, 'body_too_large');

    const headers = lowercaseHeaders(event.headers);
    if (isSslCheck(body, mediaType(headers['content-type']))) return { statusCode: 200, body: '' };
    const timestamp = Number(headers['x-slack-request-timestamp']);
    const signature = headers['x-slack-signature'];
    if (!Number.isInteger(timestamp) || Math.abs(now() / 1000 - timestamp) > MAX_SKEW_SECONDS) {
      return refuse(options.logger, 401, 'timestamp_out_of_window');
    }
    if (
      signature === undefined ||
      !isValidSlackRequest({
        signingSecret: options.signingSecret,
        body,
        headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp },
        nowMilliseconds: now(),
      })
    ) {
      return refuse(options.logger, 401, 'bad_signature');
    }

    const contentType = mediaType(headers['content-type']);
    const parseProblem = checkParsable(body, contentType);
    if (parseProblem !== undefined) return refuse(options.logger, parseProblem.status, parseProblem.reason);

    headers['content-type'] = contentType;
    return inner({ ...event, headers, body, isBase64Encoded: false }, context);
  };
}

function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** A body carrying `ssl_check`, where Bolt's receiver looks for it (a form field, or a JSON property). */
function isSslCheck(body: string, contentType: string): boolean {
  if (contentType === 'application/x-www-form-urlencoded') {
    const form = new URLSearchParams(body);
    return form.get('payload') === null && form.has('ssl_check');
  }
  if (contentType === 'application/json') {
    try {
      const value: unknown = JSON.parse(body);
      return typeof value === 'object' && value !== null && !Array.isArray(value) && (value as Record<string, unknown>).ssl_check != null;
    } catch {
      return false;
    }
  }
  return false;
}

function lowercaseHeaders(headers: APIGatewayProxyEventV2['headers'] | undefined): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
}

function checkParsable(body: string, contentType: string): { status: number; reason: string } | undefined {
  // Slack sends interactivity as a form with a JSON `payload`, slash commands as a form with `command`,
  // and the Events API as JSON with a `type`. Anything else is not Slack's, and Bolt must not see it:
  // it reads a stray `name` field as an options request and throws (found by the property test).
  if (contentType === 'application/x-www-form-urlencoded') {
    const form = new URLSearchParams(body);
    const payload = form.get('payload');
    if (payload === null) return form.get('command') ? undefined : { status: 400, reason: 'not_a_slack_request' };
    return isJsonObject(payload) ? undefined : { status: 400, reason: 'malformed_payload' };
  }
  if (contentType === 'application/json') {
    if (!isJsonObject(body)) return { status: 400, reason: 'malformed_json' };
    return typeof (JSON.parse(body) as Record<string, unknown>).type === 'string' ? undefined : { status: 400, reason: 'not_a_slack_request' };
  }
  return { status: 415, reason: 'unsupported_content_type' };
}

function isJsonObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

function refuse(logger: Logger, statusCode: number, reason: string): APIGatewayProxyStructuredResultV2 {
  logger.warn({ event: 'request_refused', status: statusCode, reason }, 'request refused before processing');
  return { statusCode, body: '' };
}
