import type { ScheduledEvent } from 'aws-lambda';
import { backgroundHandler } from './bot-secrets.js';
import type { Config, Env } from './config.js';
import { createDigitalOceanClient } from './digitalocean/client.js';
import { runExpiryScan, type ScanSummary } from './expiry-scan.js';
import { publishScanMetrics } from './scan-metrics.js';
import type { Logger } from './logger.js';
import { createStore } from './store.js';
import { createSlackAlertSender } from './slack/alerts.js';
import { backgroundSlackClient } from './slack/job-runner.js';

export type ScanHandler = (event: Pick<ScheduledEvent, 'time'> & Partial<ScheduledEvent>) => Promise<ScanSummary>;

/**
 * Builds the scheduled Lambda from the environment, once per cold start. The scan's clock is the
 * schedule's own time (`event.time`), so a retried event judges expiry as of its schedule.
 */
export function createScanHandler(env: Env): ScanHandler {
  // With BOT_SHARED_SECRET_ID the bot token is read on the first run (loadConfig never names the
  // Slack-only secret for the scan): a failed read fails this run, and the next run reads again.
  return backgroundHandler(env, 'expiry-scan', buildScan);
}

function buildScan(cfg: Config, logger: Logger): ScanHandler {
  // The scan never saves a version, so the idempotency key is unused here; the slower backoff suits a batch job.
  const store = createStore(cfg.store, cfg.slack.botToken, 1_000);
  const digitalocean = createDigitalOceanClient(cfg.digitalocean);
  // Not in Slack's 3-second path: ride out rate limits (Retry-After) and retry faults a few times.
  const slack = backgroundSlackClient(cfg.slack, logger);
  const alerts = createSlackAlertSender(slack, logger, cfg.alertChannelId);

  return async (event) => {
    const time = event.time ? new Date(event.time) : new Date();
    const now = Number.isNaN(time.getTime()) ? new Date() : time;
    const summary = await runExpiryScan({
      store,
      digitalocean,
      alerts,
      logger,
      now,
      thresholds: cfg.scan.thresholdsDays,
      healthCheckConcurrency: cfg.scan.healthCheckConcurrency,
    });
    await publishScanMetrics(summary);
    return summary;
  };
}
