import type { Context } from 'aws-lambda';
import type { Config } from './config.js';
import { createDigitalOceanClient } from './digitalocean/client.js';
import { alwaysInfo, type Logger } from './logger.js';
import { isScanJob, type Job, type JobQueue, type ScanJob } from './queue/jobs.js';
import type { JobLedger } from './queue/ledger.js';
import { runScanBatch } from './scan/batch.js';
import { runExpiryAlerts } from './scan/expiry-alerts.js';
import { runListing } from './scan/listing.js';
import { publishScanMetrics } from './scan/metrics.js';
import type { ScanTally } from './scan/tally.js';
import { createSlackAlertSender } from './slack/alerts.js';
import { backgroundSlackClient, JobFailed, runJob } from './slack/job-runner.js';
import type { StorePacing } from './secret-store.js';
import { createStore } from './store.js';

/**
 * Does any job, wherever it runs: the worker (from SQS) or, locally, in-process. Slack jobs post;
 * scan jobs list, check and alert. A job that fails throws, so the queue delivers it again.
 */

export interface JobDispatcher {
  run(job: Job, deadline: number): Promise<void>;
}

/** Work started in one invocation ends well inside 60 s, leaving Lambda's timeout (serverless.yml) as a backstop. */
export const JOB_BUDGET_MS = 45_000;
const LAMBDA_RESERVE_MS = 10_000;

/** When this invocation's scan work must stop starting new things (epoch ms). */
export function jobDeadline(context?: Pick<Context, 'getRemainingTimeInMillis'>): number {
  const remaining = context?.getRemainingTimeInMillis?.();
  const budget = remaining === undefined ? JOB_BUDGET_MS : Math.min(JOB_BUDGET_MS, remaining - LAMBDA_RESERVE_MS);
  return Date.now() + Math.max(1_000, budget);
}

/** The scan's pace per process; ListSecrets is one listing at a time, at half its quota of 100 a second. */
export function scanPacing(config: Config): StorePacing {
  return { tagWrites: config.scan.tagWritesPerSecond, batchReads: config.scan.batchReadsPerSecond, listPages: 50 };
}

export function createJobDispatcher(
  config: Config,
  logger: Logger,
  options: { queue: () => JobQueue; ledger: JobLedger; onTally?: (tally: ScanTally) => void },
): JobDispatcher {
  const client = backgroundSlackClient(config.slack, logger);
  // Nobody waits on the scan: a slower backoff, and bulk calls paced under AWS's account-wide quotas.
  const store = createStore(config.store, config.slack.botToken, 1_000, { pacing: scanPacing(config), logger, maxAttempts: 5 });
  const digitalocean = createDigitalOceanClient(config.digitalocean);
  const alerts = createSlackAlertSender(client, logger, { fallbackChannel: config.alertChannelId, channelIntervalMs: config.scan.alertPostIntervalMs });
  const thresholds = config.scan.thresholdsDays;

  async function runScan(job: ScanJob, deadline: number): Promise<void> {
    const queue = options.queue();
    let tally: ScanTally;
    let listingCompleted = false;
    let retry = false;
    switch (job.kind) {
      case 'scan-list': {
        const listed = await runListing(job, { store, queue, logger, thresholds, deadline });
        tally = listed.tally;
        listingCompleted = listed.complete;
        break;
      }
      case 'scan-batch':
        tally = await runScanBatch(job, {
          store,
          digitalocean,
          alerts,
          queue,
          ledger: options.ledger,
          logger,
          thresholds,
          concurrency: config.scan.healthCheckConcurrency,
          deadline,
        });
        break;
      case 'scan-alerts': {
        if (!(await options.ledger.claim(job.id))) {
          logger.info({ event: 'job_already_done', kind: job.kind }, 'job delivered again; nothing to do');
          return;
        }
        const sent = await runExpiryAlerts(job, { store, queue, alerts, logger, thresholds });
        tally = sent.tally;
        retry = sent.retry;
        if (retry) await options.ledger.release(job.id).catch(() => undefined);
        break;
      }
    }
    options.onTally?.(tally);
    alwaysInfo(logger).info({ event: 'scan_job_done', kind: job.kind, ...tally }, 'scan job finished');
    await publishScanMetrics(tally, listingCompleted);
    if (retry) throw new JobFailed('some alerts were not delivered; the job will be delivered again');
  }

  return {
    async run(job, deadline) {
      if (!isScanJob(job)) return runJob(job, { client, logger, ledger: options.ledger });
      try {
        await runScan(job, deadline);
      } catch (error) {
        if (!(error instanceof JobFailed)) {
          // The job stops here and is delivered again; the failure is counted, so the alarm sees it.
          const name = (error as Error).name;
          // Only our own errors' messages: others (the SDK's) may carry request details.
          const reason = name === 'ScanJobFailed' || name === 'ScanListingFailed' ? (error as Error).message : undefined;
          logger.error({ event: 'scan_job_failed', kind: job.kind, error: name, reason }, 'scan job failed');
          await publishScanMetrics({ listed: 0, checked: 0, alertsSent: 0, revokedFound: 0, failures: 1 }, false);
        }
        throw error;
      }
    },
  };
}
