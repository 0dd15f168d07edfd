import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ConfigError, loadConfig, type Env } from '../config.js';
import { createDigitalOceanClient } from '../digitalocean/client.js';
import { createLogger } from '../logger.js';
import { createStore } from '../store.js';
import { createSpacesChecker } from '../spaces.js';
import { createSlackApp } from './app.js';
import { guardSlackRequest, type LambdaHttpHandler } from './request-guard.js';

/**
 * Builds the Lambda handler for Slack's requests from the environment, once per cold start.
 * Nothing here makes a network call.
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
  const validation = {
    digitalocean: createDigitalOceanClient(config.digitalocean),
    spaces: createSpacesChecker(config.spaces),
    policy: config.scopePolicy,
    tokenInfoHedgeMs: config.digitalocean.tokenInfoHedgeMs,
    now: () => new Date(),
  };
  const store = createStore(config.store, config.slack.signingSecret, 100);
  logger.info({ event: 'store_selected', store: config.store.kind }, `credentials are stored in ${store.description}`);
  const { receiver } = createSlackApp({ config, logger, validation, store });
  const boltHandler = receiver.toHandler() as LambdaHttpHandler;
  return guardSlackRequest(boltHandler, { signingSecret: config.slack.signingSecret, logger });
}

/** One clear log line at cold start; every request then gets a 500 instead of a crash. */
function misconfiguredHandler(error: ConfigError): LambdaHttpHandler {
  createLogger('info').error({ event: 'config_invalid', problems: error.problems }, 'do-creds is not configured');
  const answer: APIGatewayProxyStructuredResultV2 = { statusCode: 500, body: 'do-creds is not configured; see its logs' };
  return () => Promise.resolve(answer);
}
