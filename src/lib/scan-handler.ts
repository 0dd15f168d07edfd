import { randomUUID } from 'node:crypto';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { backgroundHandler } from './bot-secrets.js';
import type { Config, Env } from './config.js';
import { createJobDispatcher, jobDeadline, scanPacing } from './job-dispatch.js';
import { alwaysInfo, type Logger } from './logger.js';
import { inProcessJobsDone } from './queue/in-process.js';
import { createMemoryLedger } from './queue/ledger.js';
import { createJobQueue } from './queue/queue.js';
import { runListing } from './scan/listing.js';
import { publishScanMetrics } from './scan/metrics.js';
import { addTally, emptyTally, type ScanTally } from './scan/tally.js';
import { createStore } from './store.js';

export interface ScanSummary extends ScanTally {
  /** Batch jobs queued for the health check. */
  batches: number;
  /** `queued`: the worker does the rest (deployed); `done`: it was done here, and the figures are the run's (locally). */
  jobs: 'queued' | 'done';
}

export type ScanHandler = (
  event: Pick<ScheduledEvent, 'time'> & Partial<ScheduledEvent>,
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
) => Promise<ScanSummary>;

/**
 * The scheduled scan: lists the sets and queues the work (scan/listing.ts). Deployed, the worker does
 * the rest from SQS; locally (no QUEUE_URL) the same jobs run in this process and the figures are the
 * whole run's. The scan's clock is the schedule's own time (`event.time`), so a retried event, and
 * every job of the run, judges expiry as of its schedule.
 */
export function createScanHandler(env: Env): ScanHandler {
  return backgroundHandler(env, 'lister', 'expiry-scan', buildScan);
}

function buildScan(config: Config, logger: Logger): ScanHandler {
  const store = createStore(config.store, config.slack.botToken, 1_000, { pacing: scanPacing(config), logger });
  const local = config.queue.url === undefined;
  let runTally: ScanTally = emptyTally();
  const ledger = createMemoryLedger();
  // The jobs run here only locally (no QUEUE_URL); deployed, the worker runs them and the lister never posts.
  const dispatcher = local ? createJobDispatcher(config, logger, { queue: () => queue, ledger, onTally: (t) => addTally(runTally, t) }) : undefined;
  const queue = createJobQueue(config.queue, { region: config.store.region, timeoutMs: config.store.timeoutMs, patient: true }, (job) =>
    dispatcher ? dispatcher.run(job, jobDeadline()) : Promise.reject(new Error('no local jobs with a queue')),
  );

  return async (event, context) => {
    const time = event.time ? new Date(event.time) : new Date();
    const runAt = (Number.isNaN(time.getTime()) ? new Date() : time).toISOString();
    const started = Date.now();
    runTally = emptyTally();
    const listed = await runListing({ runAt, run: `${runAt.slice(0, 10)}-${randomUUID().slice(0, 8)}`, part: 1 }, { store, queue, logger, thresholds: config.scan.thresholdsDays, deadline: jobDeadline(context) });
    await publishScanMetrics(listed.tally, listed.complete);
    alwaysInfo(logger).info({ event: 'scan_listed', listed: listed.tally.listed, batches: listed.batches, complete: listed.complete }, 'sets listed; work queued');
    if (!local) return { ...listed.tally, batches: listed.batches, jobs: 'queued' };
    await inProcessJobsDone();
    const total = { ...runTally };
    addTally(total, listed.tally);
    alwaysInfo(logger).info({ event: 'expiry_scan_done', ...total, durationMs: Date.now() - started }, 'expiry scan finished');
    return { ...total, batches: listed.batches, jobs: 'done' };
  };
}
