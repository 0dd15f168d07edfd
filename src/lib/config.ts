import { z } from 'zod';
import type { AccessConfig } from './access.js';
import { DEFAULT_THRESHOLDS } from './expiry.js';
import { parseScopePolicy, type ScopePolicy } from './scope-policy.js';
import { CHANNEL_ID, GROUP_ID, USER_ID } from './slack-ids.js';

/**
 * Configuration is read from the environment once, at cold start. Names of missing or invalid
 * variables are reported; their values never are (some of them are secrets).
 */

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The variable that lets development mode write to the real AWS Secrets Manager: named, never implied. */
export const DEV_MODE_WITH_REAL_AWS = 'DO_CREDS_DEV_MODE_WITH_REAL_AWS';

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const booleanFlag = z
  .string()
  .trim()
  .toLowerCase()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v === '' || v === 'false' || v === '0') return false;
    if (v === 'true' || v === '1') return true;
    ctx.addIssue({ code: 'custom', message: 'must be true or false' });
    return z.NEVER;
  });

const httpUrl = z
  .string()
  .trim()
  .url('must be an http(s) URL')
  .refine((v) => /^https?:\/\//i.test(v), 'must be an http(s) URL');

const timeoutMs = (fallback: number) => z.coerce.number().int().min(50).max(10_000).default(fallback);

/** `off` disables the undocumented token-info call; empty means DigitalOcean's own address. */
const tokenInfoUrl = z
  .string()
  .trim()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v === '') return 'https://cloud.digitalocean.com/v1/oauth/token/info';
    if (v === 'off') return undefined;
    if (!httpUrl.safeParse(v).success) ctx.addIssue({ code: 'custom', message: 'must be an http(s) URL or off' });
    return v;
  });

/** Comma-separated Slack ids (users U/W, user groups S, channels C/G/D). */
const idList = (prefix: RegExp) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      const ids = (v ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
      const bad = ids.filter((id) => !prefix.test(id));
      if (bad.length > 0) ctx.addIssue({ code: 'custom', message: `has ids that are not Slack ids of the right kind: ${bad.length}` });
      return ids;
    });

/** A Secrets Manager secret id: its name or ARN. */
const secretId = optionalString.refine((v) => v === undefined || /^[A-Za-z0-9/_+=.@:-]{1,2048}$/.test(v), 'must be a Secrets Manager secret name or ARN');

const envSchema = z.object({
  SLACK_SIGNING_SECRET: optionalString,
  SLACK_BOT_TOKEN: optionalString,
  /** The bot's own secret read only by the Slack function: {"signing_secret", "fingerprint_hmac_key"}. */
  BOT_SLACK_SECRET_ID: secretId,
  /** The bot's own secret read by both functions: {"bot_token"}. */
  BOT_SHARED_SECRET_ID: secretId,
  SLACK_API_URL: httpUrl.default('https://slack.com/api/'),
  SLACK_BOT_ID: optionalString,
  SLACK_BOT_USER_ID: optionalString,
  /** Slack's own request-path timeout for Web API calls, in milliseconds. */
  SLACK_API_TIMEOUT_MS: z.coerce.number().int().min(100).max(10_000).default(2_000),
  DO_API_URL: httpUrl.default('https://api.digitalocean.com'),
  DO_TOKEN_INFO_URL: tokenInfoUrl,
  DO_API_TIMEOUT_MS: timeoutMs(1_500),
  DO_TOKEN_INFO_TIMEOUT_MS: timeoutMs(1_000),
  REQUIRED_SCOPES: optionalString,
  SCOPE_POLICY: optionalString,
  /** How long validation waits for token info before it starts read probes as well. */
  DO_TOKEN_INFO_HEDGE_MS: z.coerce.number().int().min(0).max(5_000).default(400),
  SPACES_ENDPOINT_URL: z
    .string()
    .trim()
    .default('https://{region}.digitaloceanspaces.com')
    .refine((v) => httpUrl.safeParse(v.replaceAll('{region}', 'nyc3')).success, 'must be an http(s) URL, optionally with {region}'),
  SPACES_TIMEOUT_MS: timeoutMs(1_500),
  AWS_REGION: z.string().trim().min(1).default('us-east-1'),
  AWS_ENDPOINT_URL_SECRETS_MANAGER: httpUrl.optional(),
  /** The jobs queue (SQS); unset: jobs run in-process after the answer (local runs). */
  QUEUE_URL: httpUrl.optional(),
  AWS_ENDPOINT_URL_SQS: httpUrl.optional(),
  /** DynamoDB table remembering which jobs were done (the worker); unset: remembered in memory. */
  JOBS_TABLE: optionalString,
  AWS_ENDPOINT_URL_DYNAMODB: httpUrl.optional(),
  SECRETS_MANAGER_TIMEOUT_MS: timeoutMs(1_000),
  SECRET_NAME_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9/_+=.@-]{1,64}$/, 'may use letters, digits and /_+=.@- (Secrets Manager names)')
    // Without the slash, `do-creds` would also match `do-creds-bot/...` and any `do-creds…` secret,
    // in the IAM resource pattern and in ListSecrets' name filter alike.
    .refine((v) => v.endsWith('/'), 'must end with / (e.g. do-creds/)')
    .default('do-creds/'),
  KMS_KEY_ID: optionalString,
  CREDS_STORE: z.enum(['aws', 'file', 'auto']).default('auto'),
  CREDS_FILE_DIR: z.string().trim().min(1).default('.local/creds'),
  DELETE_RECOVERY_DAYS: z.coerce.number().int().min(7).max(30).default(30),
  ALERT_CHANNEL_ID: optionalString,
  AUDIT_CHANNEL_ID: optionalString,
  EXPIRY_THRESHOLDS_DAYS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return [...DEFAULT_THRESHOLDS];
      const days = v.split(',').map((d) => Number(d.trim()));
      if (days.some((d) => !Number.isInteger(d) || d < 0 || d > 365)) {
        ctx.addIssue({ code: 'custom', message: 'must be whole numbers of days from 0 to 365, comma-separated' });
      }
      return [...new Set(days)].sort((a, b) => b - a);
    }),
  HEALTH_CHECK_CONCURRENCY: z.coerce.number().int().min(1).max(20).default(4),
  /**
   * Tag writes a second from one scan worker. AWS allows 50 a second across the account, not
   * adjustable (aws.md): serverless.yml runs at most 4 workers, 4 x 8 = 32. The margin is for saves,
   * and because calls paced apart at the sender can arrive bunched (measured: 4 x 10 was throttled).
   */
  SCAN_TAG_WRITES_PER_SECOND: z.coerce.number().int().min(1).max(50).default(8),
  /** Likewise BatchGetSecretValue (100 a second per account): 4 workers x 20 = 80. */
  SCAN_BATCH_READS_PER_SECOND: z.coerce.number().int().min(1).max(100).default(20),
  /**
   * The least time between two alerts posted to one channel: Slack allows about one message a second
   * per channel; a tenth more, so network jitter never brings two within one second.
   */
  ALERT_POST_INTERVAL_MS: z.coerce.number().int().min(0).max(60_000).default(1_100),
  ALLOWED_USER_IDS: idList(USER_ID),
  ALLOWED_USERGROUP_IDS: idList(GROUP_ID),
  ALLOWED_CHANNEL_IDS: idList(CHANNEL_ID),
  VIEWER_USER_IDS: idList(USER_ID),
  VIEWER_USERGROUP_IDS: idList(GROUP_ID),
  VIEWER_CHANNEL_IDS: idList(CHANNEL_ID),
  SLACK_TEAM_ID: optionalString,
  SLACK_ENTERPRISE_ID: optionalString,
  USERGROUP_CACHE_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
  ACCESS_CONTACT: optionalString,
  FINGERPRINT_HMAC_KEY: optionalString.refine((v) => v === undefined || v.length >= 16, 'must be at least 16 characters'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  DO_CREDS_DEV_MODE: booleanFlag,
  /** The only way development mode (everyone may write) runs against the real AWS Secrets Manager. */
  [DEV_MODE_WITH_REAL_AWS]: booleanFlag,
});

export type Env = Record<string, string | undefined>;

export interface SlackConfig {
  signingSecret: string;
  botToken: string;
  apiUrl: string;
  botId: string | undefined;
  botUserId: string | undefined;
  apiTimeoutMs: number;
}

export interface DigitalOceanConfig {
  apiUrl: string;
  tokenInfoUrl: string | undefined;
  timeoutMs: number;
  tokenInfoTimeoutMs: number;
  tokenInfoHedgeMs: number;
}

export interface SpacesConfig {
  endpointTemplate: string;
  timeoutMs: number;
}

export interface StoreConfig {
  kind: 'aws' | 'file';
  fileDir: string;
  region: string;
  endpoint: string | undefined;
  timeoutMs: number;
  prefix: string;
  kmsKeyId: string | undefined;
  recoveryDays: number;
}

export interface QueueConfig {
  url: string | undefined;
  endpoint: string | undefined;
  jobsTable: string | undefined;
  dynamoEndpoint: string | undefined;
}

export interface ScanConfig {
  thresholdsDays: number[];
  healthCheckConcurrency: number;
  tagWritesPerSecond: number;
  batchReadsPerSecond: number;
  alertPostIntervalMs: number;
}

/**
 * Where the bot's own secrets come from when they are not environment variables: Secrets Manager
 * ids, read on the first request (src/lib/bot-secrets.ts). Undefined means the environment.
 */
export interface BotSecretSources {
  /** `{"signing_secret", "fingerprint_hmac_key"}`: the Slack function only. */
  slackSecretId: string | undefined;
  /** `{"bot_token"}`: both functions. */
  sharedSecretId: string | undefined;
}

export interface Config {
  /** Until the bot secrets are read, `slack.signingSecret`, `slack.botToken` and `fingerprintKey` are empty. */
  botSecrets: BotSecretSources;
  slack: SlackConfig;
  access: AccessConfig;
  /** Who to ask for access, as shown to a refused person (free text; may contain mentions). */
  accessContact: string | undefined;
  /** Keys the audit trail's token fingerprints; undefined leaves them out. */
  fingerprintKey: string | undefined;
  scan: ScanConfig;
  queue: QueueConfig;
  store: StoreConfig;
  alertChannelId: string | undefined;
  auditChannelId: string | undefined;
  digitalocean: DigitalOceanConfig;
  scopePolicy: ScopePolicy;
  spaces: SpacesConfig;
  logLevel: (typeof LOG_LEVELS)[number];
  devMode: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses the environment; throws ConfigError naming every variable that is missing or invalid.
 * The Slack function verifies requests and needs the signing secret; the scheduled scan does not.
 * Each of the bot's secrets comes either from its variable or from a Secrets Manager secret named by
 * BOT_SLACK_SECRET_ID / BOT_SHARED_SECRET_ID, never both (which one would win is not obvious).
 */
/**
 * - `slack`: the Slack function (signing secret and bot token);
 * - `worker`: the jobs worker (the bot token, to post);
 * - `lister`: the scheduled scan, which only lists and queues: no bot token when deployed with a queue,
 *   but run without one (locally) it does the jobs itself and posts alerts, so it needs the bot token.
 */
export type Role = 'slack' | 'worker' | 'lister';

export function loadConfig(env: Env, role: Role = 'slack'): Config {
  const parsed = envSchema.safeParse(env);
  const problems = [
    ...botSecretProblems(env, role),
    ...(parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')} ${describeIssue(issue)}`)),
  ];
  const policy = parseScopePolicy(env.SCOPE_POLICY, env.REQUIRED_SCOPES);
  if (!policy.ok) problems.push(...policy.problems);
  // Lambda freezes the process once it has answered: in-process jobs (confirmations, audit posts) would be lost.
  if (role !== 'worker' && (env.AWS_LAMBDA_FUNCTION_NAME ?? '') !== '' && !(env.QUEUE_URL ?? '').trim()) {
    problems.push(
      role === 'slack'
        ? 'QUEUE_URL is required on Lambda (without it confirmations and audit posts would be lost after the answer)'
        : 'QUEUE_URL is required on Lambda (the scan hands its work to the worker through it)',
    );
  }
  if (!parsed.success || !policy.ok || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  if ((e.LOG_LEVEL === 'debug' || e.LOG_LEVEL === 'trace') && !e.DO_CREDS_DEV_MODE) {
    // Bolt's Lambda receiver logs whole request bodies (submitted credentials included) at debug.
    throw new ConfigError([
      `LOG_LEVEL ${e.LOG_LEVEL} is only allowed with DO_CREDS_DEV_MODE=true (debug logs carry request bodies)`,
    ]);
  }
  const store: StoreConfig = {
    kind: e.CREDS_STORE === 'auto' ? autoStoreKind(env) : e.CREDS_STORE,
    fileDir: e.CREDS_FILE_DIR,
    region: e.AWS_REGION,
    endpoint: e.AWS_ENDPOINT_URL_SECRETS_MANAGER,
    timeoutMs: e.SECRETS_MANAGER_TIMEOUT_MS,
    prefix: e.SECRET_NAME_PREFIX,
    kmsKeyId: e.KMS_KEY_ID,
    recoveryDays: e.DELETE_RECOVERY_DAYS,
  };
  if (e.DO_CREDS_DEV_MODE && usesRealAws(store) && !e[DEV_MODE_WITH_REAL_AWS]) {
    // Development mode lets everyone write: never by accident where real credentials live.
    throw new ConfigError([
      `DO_CREDS_DEV_MODE=true (everyone may write) is refused with the real AWS Secrets Manager (region ${store.region}${store.endpoint ? `, endpoint host ${new URL(store.endpoint).host}` : ''}): ` +
        `use CREDS_STORE=file, or turn development mode off and name the writers in ALLOWED_USER_IDS, or set ${DEV_MODE_WITH_REAL_AWS}=true if you mean it`,
    ]);
  }
  return {
    botSecrets: { slackSecretId: role === 'slack' ? e.BOT_SLACK_SECRET_ID : undefined, sharedSecretId: needsBotToken(env, role) ? e.BOT_SHARED_SECRET_ID : undefined },
    slack: {
      signingSecret: e.SLACK_SIGNING_SECRET ?? '',
      botToken: e.SLACK_BOT_TOKEN ?? '',
      apiUrl: withTrailingSlash(e.SLACK_API_URL),
      botId: e.SLACK_BOT_ID,
      botUserId: e.SLACK_BOT_USER_ID,
      apiTimeoutMs: e.SLACK_API_TIMEOUT_MS,
    },
    store,
    access: {
      writers: { userIds: e.ALLOWED_USER_IDS, usergroupIds: e.ALLOWED_USERGROUP_IDS, channelIds: e.ALLOWED_CHANNEL_IDS },
      viewers: { userIds: e.VIEWER_USER_IDS, usergroupIds: e.VIEWER_USERGROUP_IDS, channelIds: e.VIEWER_CHANNEL_IDS },
      teamId: e.SLACK_TEAM_ID,
      enterpriseId: e.SLACK_ENTERPRISE_ID,
      devMode: e.DO_CREDS_DEV_MODE,
      groupCacheMs: e.USERGROUP_CACHE_SECONDS * 1000,
    },
    accessContact: e.ACCESS_CONTACT,
    fingerprintKey: e.FINGERPRINT_HMAC_KEY,
    scan: {
      thresholdsDays: e.EXPIRY_THRESHOLDS_DAYS,
      healthCheckConcurrency: e.HEALTH_CHECK_CONCURRENCY,
      tagWritesPerSecond: e.SCAN_TAG_WRITES_PER_SECOND,
      batchReadsPerSecond: e.SCAN_BATCH_READS_PER_SECOND,
      alertPostIntervalMs: e.ALERT_POST_INTERVAL_MS,
    },
    queue: { url: e.QUEUE_URL, endpoint: e.AWS_ENDPOINT_URL_SQS, jobsTable: e.JOBS_TABLE, dynamoEndpoint: e.AWS_ENDPOINT_URL_DYNAMODB },
    alertChannelId: e.ALERT_CHANNEL_ID,
    auditChannelId: e.AUDIT_CHANNEL_ID,
    digitalocean: {
      apiUrl: e.DO_API_URL,
      tokenInfoUrl: e.DO_TOKEN_INFO_URL,
      timeoutMs: e.DO_API_TIMEOUT_MS,
      // The token-info call must never be what keeps Slack waiting.
      tokenInfoTimeoutMs: Math.min(e.DO_TOKEN_INFO_TIMEOUT_MS, e.DO_API_TIMEOUT_MS),
      tokenInfoHedgeMs: e.DO_TOKEN_INFO_HEDGE_MS,
    },
    scopePolicy: policy.policy,
    spaces: { endpointTemplate: e.SPACES_ENDPOINT_URL, timeoutMs: e.SPACES_TIMEOUT_MS },
    logLevel: e.LOG_LEVEL,
    devMode: e.DO_CREDS_DEV_MODE,
  };
}

const isSet = (v: string | undefined) => (v ?? '').trim() !== '';

/** Each bot secret from exactly one place: its variable, or the Secrets Manager secret that holds it. */
/** The lister with a queue posts nothing: it hands everything to the worker. */
function needsBotToken(env: Env, role: Role): boolean {
  return role !== 'lister' || !isSet(env.QUEUE_URL);
}

function botSecretProblems(env: Env, role: Role): string[] {
  const problems: string[] = [];
  const fromSecret = { slack: role === 'slack' && isSet(env.BOT_SLACK_SECRET_ID), shared: isSet(env.BOT_SHARED_SECRET_ID) };
  if (role === 'slack') {
    if (fromSecret.slack) {
      for (const name of ['SLACK_SIGNING_SECRET', 'FINGERPRINT_HMAC_KEY']) {
        if (isSet(env[name])) problems.push(`${name} must not be set with BOT_SLACK_SECRET_ID (that secret holds it)`);
      }
    } else if (!isSet(env.SLACK_SIGNING_SECRET)) {
      problems.push('SLACK_SIGNING_SECRET is required');
    }
  }
  if (!needsBotToken(env, role)) return problems;
  if (fromSecret.shared) {
    if (isSet(env.SLACK_BOT_TOKEN)) problems.push('SLACK_BOT_TOKEN must not be set with BOT_SHARED_SECRET_ID (that secret holds it)');
  } else if (!isSet(env.SLACK_BOT_TOKEN)) {
    problems.push('SLACK_BOT_TOKEN is required');
  }
  return problems;
}

/**
 * `CREDS_STORE=auto`: Secrets Manager on Lambda, or when a Secrets Manager endpoint is named (a local
 * stand-in, as in the tests); otherwise the embedded file store. AWS credentials in the shell
 * (AWS_PROFILE, AWS_ACCESS_KEY_ID...) never choose the real AWS by themselves: only CREDS_STORE=aws does.
 */
function autoStoreKind(env: Env): StoreConfig['kind'] {
  return isSet(env.AWS_LAMBDA_FUNCTION_NAME) || isSet(env.AWS_ENDPOINT_URL_SECRETS_MANAGER) ? 'aws' : 'file';
}

/** Whether the store is AWS Secrets Manager itself, rather than the file store or a stand-in on this machine. */
export function usesRealAws(store: Pick<StoreConfig, 'kind' | 'endpoint'>): boolean {
  return store.kind === 'aws' && !(store.endpoint !== undefined && isLoopbackUrl(store.endpoint));
}

/** An http(s) URL whose host is this machine: localhost, 127.0.0.0/8 or ::1. */
export function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  return isLoopbackHost(host);
}

/** localhost (and *.localhost), 127.0.0.0/8 or ::1, with or without brackets. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || /^127(\.\d{1,3}){3}$/.test(h) || h === '::1' || h === '::ffff:127.0.0.1';
}

function describeIssue(issue: z.ZodIssue): string {
  // A missing variable arrives as "expected string, received undefined": say it plainly.
  if (issue.code === 'invalid_type' && issue.received === 'undefined') return 'is required';
  return issue.message;
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
