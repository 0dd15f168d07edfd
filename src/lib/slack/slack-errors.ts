/**
 * Classifies errors thrown by Slack's WebClient into the cases a person is told about.
 * Only codes are kept, never request details.
 */

export type SlackFault =
  | { kind: 'platform'; error: string }
  | { kind: 'rate_limited'; retryAfterSeconds: number }
  | { kind: 'http'; statusCode: number }
  | { kind: 'network' }
  | { kind: 'unknown' };

interface WebApiErrorShape {
  code?: unknown;
  data?: { error?: unknown };
  retryAfter?: unknown;
  statusCode?: unknown;
}

export function classifySlackError(error: unknown): SlackFault {
  const e = (typeof error === 'object' && error !== null ? error : {}) as WebApiErrorShape;
  switch (e.code) {
    case 'slack_webapi_platform_error':
      return { kind: 'platform', error: typeof e.data?.error === 'string' ? e.data.error : 'unknown_error' };
    case 'slack_webapi_rate_limited_error':
      return { kind: 'rate_limited', retryAfterSeconds: typeof e.retryAfter === 'number' ? e.retryAfter : 1 };
    case 'slack_webapi_http_error':
      return { kind: 'http', statusCode: typeof e.statusCode === 'number' ? e.statusCode : 0 };
    case 'slack_webapi_request_error':
      return { kind: 'network' };
    default:
      return { kind: 'unknown' };
  }
}

/** A log-safe one-word description of a fault. */
export function faultLabel(fault: SlackFault): string {
  switch (fault.kind) {
    case 'platform':
      return fault.error;
    case 'rate_limited':
      return 'ratelimited';
    case 'http':
      return `http_${fault.statusCode}`;
    default:
      return fault.kind;
  }
}
