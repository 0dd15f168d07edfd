import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { onFirstUse } from '../bot-secrets.js';
import { ConfigError, loadConfig, type Config, type Env } from '../config.js';
import { createDigitalOceanClient } from '../digitalocean/client.js';
import { createLogger, type Logger } from '../logger.js';
import { createStore } from '../store.js';
import { createSpacesChecker } from '../spaces.js';
import type { ValidationDeps } from '../validation.js';
import { createMemoryLedger } from '../queue/ledger.js';
import { createJobQueue } from '../queue/queue.js';
import { createSlackApp } from './app.js';
import { backgroundSlackClient, runJob } from './job-runner.js';
import { guardSlackRequest, type LambdaHttpHandler } from './request-guard.js';

/**
 * Builds the Lambda handler for Slack's requests from the environment, once per cold start.
 * Nothing here makes a network call. With BOT_SLACK_SECRET_ID / BOT_SHARED_SECRET_ID, the signing
 * secret, bot token and fingerprint key are read from Secrets Manager on the first request and the
 * Bolt app is built then; a failed read answers 500 and is tried again on the next request.
 */
export function createSlackHandler(env: Env): LambdaHttpHandler {
  let config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return misconfiguredHandler(error);
  }
  const logger = createLogger(config.logLevel);
  const validation: ValidationDeps = {
    digitalocean: createDigitalOceanClient(config.digitalocean),
    spaces: createSpacesChecker(config.spaces),
    policy: config.scopePolicy,
    tokenInfoHedgeMs: config.digitalocean.tokenInfoHedgeMs,
    now: () => new Date(),
  };
  // With BOT_*_SECRET_ID the secrets are read on the first request; a failed read answers 500.
  return onFirstUse(config, logger, (c) => buildHandler(c, logger, validation), () => NOT_CONFIGURED);
}

function buildHandler(config: Config, logger: Logger, validation: ValidationDeps): LambdaHttpHandler {
  const store = createStore(config.store, config.slack.signingSecret, 100, { logger });
  logger.info({ event: 'store_selected', store: config.store.kind }, `credentials are stored in ${store.description}`);
  // Deployed, jobs go to SQS for the worker; locally they run here once the answer has left.
  const ledger = createMemoryLedger();
  const jobClient = backgroundSlackClient(config.slack, logger);
  const jobs = createJobQueue(config.queue, { region: config.store.region, timeoutMs: config.store.timeoutMs }, (job) =>
    runJob(job, { client: jobClient, logger, ledger }),
  );
  const { receiver } = createSlackApp({ config, logger, validation, store, jobs });
  const boltHandler = receiver.toHandler() as LambdaHttpHandler;
  return guardSlackRequest(boltHandler, { signingSecret: config.slack.signingSecret, logger });
}

const NOT_CONFIGURED: APIGatewayProxyStructuredResultV2 = { statusCode: 500, body: 'do-creds is not configured; see its logs' };

/** One clear log line at cold start; every request then gets a 500 instead of a crash. */
function misconfiguredHandler(error: ConfigError): LambdaHttpHandler {
  createLogger('info').error({ event: 'config_invalid', problems: error.problems }, 'do-creds is not configured');
  return () => Promise.resolve(NOT_CONFIGURED);
}
