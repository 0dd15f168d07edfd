import type { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError, loadConfig, type BotSecretSources, type Config, type Env } from './config.js';
import { createLogger, type Logger } from './logger.js';

/**
 * The bot's own secrets (Slack signing secret, bot token, fingerprint HMAC key) read from AWS Secrets
 * Manager on first use and kept for the life of the container, with Powertools for AWS Lambda's
 * Parameters utility (`SecretsProvider`) on our own `SecretsManagerClient` (region, endpoint and
 * timeouts from the configuration). Nothing is loaded or fetched until `read()` is first called.
 *
 * Two secrets, because IAM grants `GetSecretValue` per secret, not per JSON key:
 * - the Slack secret `{"signing_secret", "fingerprint_hmac_key"}`, readable by the Slack function only;
 * - the shared secret `{"bot_token"}`, readable by both functions (the scan posts alerts).
 *
 * A failed read or a value that does not pass the checks is not kept: the next `read()` asks Secrets
 * Manager again. Problems name the secret and the field, never a value.
 */

export interface BotSecrets {
  signingSecret?: string;
  fingerprintKey?: string;
  botToken?: string;
}

export interface BotSecretsOptions extends BotSecretSources {
  region: string;
  endpoint: string | undefined;
  /** Per-attempt timeout of each Secrets Manager call. */
  timeoutMs: number;
  client?: SecretsManagerClient;
}

export class BotSecretsError extends Error {
  constructor(readonly problems: string[]) {
    super(`the bot's secrets could not be read: ${problems.join('; ')}`);
    this.name = 'BotSecretsError';
  }
}

export interface BotSecretsReader {
  read(): Promise<BotSecrets>;
}

/**
 * Powertools caches a value for `maxAge` seconds; a year outlives any Lambda execution environment,
 * so a container reads each secret once. A rotated value reaches new containers (README, "Package
 * and deploy", says how to start them).
 */
const FOR_THE_CONTAINER_S = 365 * 24 * 3600;
/** In Slack's 3-second budget: one retry at most. */
const MAX_ATTEMPTS = 2;

const SLACK_BOT_TOKEN = /^xoxb-[A-Za-z0-9-]+$/;
const MIN_HMAC_KEY_LENGTH = 16;

export function createBotSecretsReader(options: BotSecretsOptions): BotSecretsReader {
  let provider: Promise<SecretsProvider> | undefined;
  const connect = () =>
    (provider ??= Promise.all([import('@aws-lambda-powertools/parameters/secrets'), import('@aws-sdk/client-secrets-manager')]).then(
      ([{ SecretsProvider }, { SecretsManagerClient }]) =>
        new SecretsProvider({
          awsSdkV3Client:
            options.client ??
            new SecretsManagerClient({
              region: options.region,
              ...(options.endpoint ? { endpoint: options.endpoint } : {}),
              maxAttempts: MAX_ATTEMPTS,
              requestHandler: { connectionTimeout: options.timeoutMs, requestTimeout: options.timeoutMs, throwOnRequestTimeout: true },
            }),
        }),
    ));
  // After a value failed the checks, Powertools' cache holds it: ask Secrets Manager again.
  let refetch = false;

  async function fetchObject(variable: string, id: string, problems: string[]): Promise<Record<string, unknown> | undefined> {
    let raw: unknown;
    try {
      raw = await (await connect()).get(id, { maxAge: FOR_THE_CONTAINER_S, forceFetch: refetch });
    } catch (error) {
      problems.push(`${variable} ${id} could not be read: ${errorLabel(error)}`);
      return undefined;
    }
    const text = typeof raw === 'string' ? raw : raw instanceof Uint8Array ? Buffer.from(raw).toString('utf8') : undefined;
    let value: unknown;
    try {
      // Parsed here rather than by Powertools' transform: JSON.parse's error message quotes the input.
      value = text === undefined ? undefined : JSON.parse(text);
    } catch {
      value = undefined;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problems.push(`${variable} ${id} is not a JSON object`);
      return undefined;
    }
    return value as Record<string, unknown>;
  }

  return {
    async read() {
      const problems: string[] = [];
      const [slack, shared] = await Promise.all([
        options.slackSecretId ? fetchObject('BOT_SLACK_SECRET_ID', options.slackSecretId, problems) : undefined,
        options.sharedSecretId ? fetchObject('BOT_SHARED_SECRET_ID', options.sharedSecretId, problems) : undefined,
      ]);
      const secrets: BotSecrets = {};
      if (slack) {
        const where = `BOT_SLACK_SECRET_ID ${options.slackSecretId}`;
        const signing = slack.signing_secret;
        if (typeof signing !== 'string' || signing.trim() === '') problems.push(`${where}: signing_secret is missing or empty`);
        else secrets.signingSecret = signing.trim();
        const key = slack.fingerprint_hmac_key;
        if (typeof key !== 'string' || key === '') {
          problems.push(`${where}: fingerprint_hmac_key is missing (keep the generated key when putting the signing secret)`);
        } else if (key.length < MIN_HMAC_KEY_LENGTH) {
          problems.push(`${where}: fingerprint_hmac_key must be at least ${MIN_HMAC_KEY_LENGTH} characters`);
        } else {
          secrets.fingerprintKey = key;
        }
      }
      if (shared) {
        const token = shared.bot_token;
        if (typeof token !== 'string' || !SLACK_BOT_TOKEN.test(token.trim())) {
          problems.push(`BOT_SHARED_SECRET_ID ${options.sharedSecretId}: bot_token is missing or not a bot token (xoxb-…)`);
        } else {
          secrets.botToken = token.trim();
        }
      }
      refetch = problems.length > 0;
      if (problems.length > 0) throw new BotSecretsError(problems);
      return secrets;
    },
  };
}

/** True when some of the bot's secrets are to be read from Secrets Manager. */
export function hasBotSecretIds(sources: BotSecretSources): boolean {
  return sources.slackSecretId !== undefined || sources.sharedSecretId !== undefined;
}

/** The configuration with the values read from Secrets Manager in place of the empty ones. */
export function withBotSecrets(config: Config, secrets: BotSecrets): Config {
  return {
    ...config,
    slack: {
      ...config.slack,
      signingSecret: secrets.signingSecret ?? config.slack.signingSecret,
      botToken: secrets.botToken ?? config.slack.botToken,
    },
    fingerprintKey: secrets.fingerprintKey ?? config.fingerprintKey,
  };
}

/** One clear line per failed read, naming the secret and the problem, never a value. */
export function logBotSecretsFailure(logger: Logger, error: unknown): void {
  const problems = error instanceof BotSecretsError ? error.problems : [`unexpected ${errorLabel(error)}`];
  logger.error(
    { event: 'bot_secrets_unavailable', problems },
    "do-creds could not read its own secrets from Secrets Manager; it tries again on the next request",
  );
}

/**
 * Names and codes only: an AWS SDK error can carry request details. Powertools wraps the SDK's
 * error in a GetParameterError whose `cause` is the original.
 */
function errorLabel(error: unknown): string {
  const inner = (error as { cause?: unknown } | undefined)?.cause ?? error;
  const e = inner as { name?: unknown; $metadata?: { httpStatusCode?: unknown } } | undefined;
  const name = typeof e?.name === 'string' ? e.name : 'Error';
  const status = typeof e?.$metadata?.httpStatusCode === 'number' ? ` (HTTP ${e.$metadata.httpStatusCode})` : '';
  return `${name}${status}`;
}

/**
 * A handler that needs the bot's secrets: built at once from the environment, or, with secret ids,
 * on the first invocation once they are read; a failed read fails that invocation (logged) and the
 * next one reads again.
 */
export function onFirstUse<A extends unknown[], R>(
  config: Config,
  logger: Logger,
  build: (config: Config) => (...args: A) => Promise<R>,
  whenUnavailable: () => R = () => {
    throw new Error('do-creds is not configured; see its logs');
  },
): (...args: A) => Promise<R> {
  if (!hasBotSecretIds(config.botSecrets)) return build(config);
  const reader = createBotSecretsReader({ ...config.botSecrets, region: config.store.region, endpoint: config.store.endpoint, timeoutMs: config.store.timeoutMs });
  let ready: Promise<(...args: A) => Promise<R>> | undefined;
  return async (...args) => {
    const attempt = (ready ??= reader.read().then((secrets) => build(withBotSecrets(config, secrets))));
    let handle: (...args: A) => Promise<R>;
    try {
      handle = await attempt;
    } catch (error) {
      if (ready === attempt) ready = undefined; // not kept: the next invocation reads again
      logBotSecretsFailure(logger, error);
      return whenUnavailable();
    }
    return handle(...args);
  };
}

/**
 * A background function (the scan, the worker) from the environment: configured as the scan is (the
 * bot token only), built on first use when its secrets live in Secrets Manager. A bad configuration
 * is one log line at cold start, and every invocation then fails.
 */
export function backgroundHandler<A extends unknown[], R>(
  env: Env,
  role: 'worker' | 'lister',
  component: string,
  build: (config: Config, logger: Logger) => (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  let config: Config;
  try {
    config = loadConfig(env, role);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    createLogger('info').error({ event: 'config_invalid', problems: error.problems }, 'do-creds is not configured');
    return () => Promise.reject(new Error('do-creds is not configured; see its logs'));
  }
  const logger = createLogger(config.logLevel).child({ component });
  return onFirstUse(config, logger, (c) => build(c, logger));
}
