import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
// From @slack/web-api, not @slack/bolt (the same enum, re-exported): importing a value from Bolt's index
// would bundle and evaluate all of Bolt in the scan and the worker, which never use it (npm run bench).
import { LogLevel, type Logger as SlackLogger } from '@slack/web-api';

export type Logger = PinoLogger;

/**
 * Structured JSON logs, one line per event. Fields that could ever hold a credential are
 * censored by path as a second line of defence; code must not log them in the first place.
 */
export const REDACTED_PATHS = [
  'token',
  'botToken',
  'signingSecret',
  'secret',
  'do_token',
  'do_secret_key',
  '*.token',
  '*.do_token',
  '*.do_secret_key',
  '*.secretKey',
  'headers.authorization',
  'headers["x-slack-signature"]',
];

// process.stdout (synchronous for files and pipes on Linux) rather than a raw fd, so a Lambda
// frozen right after answering loses nothing and tests can capture every line.
export function createLogger(level: string, destination: DestinationStream = process.stdout): Logger {
  return pino(
    {
      level,
      base: { service: 'do-creds' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

/** Bolt debug lines that carry request bodies or error details; never written, at any level. */
const BODY_DUMPS = ['AWS event:', 'Error details:', 'Signature verification error'];

/** Bolt's logger interface on top of pino, so Bolt's own lines share the format and the level. */
export function toBoltLogger(logger: Logger): SlackLogger {
  const child = logger.child({ component: 'bolt' });
  const join = (msg: unknown[]): string => msg.map((m) => (typeof m === 'string' ? m : String(m))).join(' ');
  return {
    // Bolt's Lambda receiver dumps whole requests (submitted credentials included) at debug.
    debug: (...msg) => {
      const text = join(msg);
      if (!BODY_DUMPS.some((prefix) => text.startsWith(prefix))) child.debug(text);
    },
    info: (...msg) => child.info(join(msg)),
    warn: (...msg) => child.warn(join(msg)),
    error: (...msg) => child.error(join(msg)),
    setLevel: () => undefined, // the level is ours, from LOG_LEVEL
    getLevel: () => toBoltLevel(logger.level),
    setName: () => undefined,
  };
}

function toBoltLevel(level: string): LogLevel {
  switch (level) {
    case 'trace':
    case 'debug':
      return LogLevel.DEBUG;
    case 'info':
      return LogLevel.INFO;
    case 'warn':
      return LogLevel.WARN;
    default:
      return LogLevel.ERROR;
  }
}

/** A logger that writes info lines whatever LOG_LEVEL says (short of silent): audit and run summaries. */
export function alwaysInfo(logger: Logger): Logger {
  return logger.level === 'silent' ? logger : logger.child({}, { level: 'info' });
}
