import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { backgroundHandler } from './bot-secrets.js';
import type { Config, Env } from './config.js';
import { createJobDispatcher, jobDeadline } from './job-dispatch.js';
import type { Logger } from './logger.js';
import { createDynamoLedger } from './queue/dynamodb-ledger.js';
import { parseJob } from './queue/jobs.js';
import { createMemoryLedger, type JobLedger } from './queue/ledger.js';
import { createJobQueue } from './queue/queue.js';

export type WorkerHandler = (event: SQSEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>) => Promise<SQSBatchResponse>;

/** A job id is remembered a day: SQS keeps a message at most 14 days, but ours are dead-lettered within minutes. */
const RETAIN_SECONDS = 24 * 3600;

/**
 * The SQS worker: does each job of a batch (Slack posts, the scan's pages and alerts) and reports the
 * ones that failed (`ReportBatchItemFailures`), so only those are delivered again; a body that is not
 * a job is reported too and ends in the dead-letter queue.
 */
export function createWorkerHandler(env: Env): WorkerHandler {
  return backgroundHandler(env, 'worker', 'worker', buildWorker);
}

function buildWorker(config: Config, logger: Logger): WorkerHandler {
  const ledger: JobLedger = config.queue.jobsTable
    ? createDynamoLedger({ table: config.queue.jobsTable, region: config.store.region, endpoint: config.queue.dynamoEndpoint, retainSeconds: RETAIN_SECONDS })
    : createMemoryLedger();
  // Follow-up scan work (the rest of a listing, checks left over) goes back to the same queue.
  const queue = createJobQueue(config.queue, { region: config.store.region, timeoutMs: config.store.timeoutMs, patient: true }, (job) =>
    dispatcher.run(job, jobDeadline()),
  );
  const dispatcher = createJobDispatcher(config, logger, { queue: () => queue, ledger });
  return async (event, context) => {
    const deadline = jobDeadline(context);
    const failures: SQSBatchResponse['batchItemFailures'] = [];
    await Promise.all(
      event.Records.map(async (record) => {
        const job = parseJob(record.body);
        if (job === undefined) {
          logger.error({ event: 'job_unreadable', messageId: record.messageId }, 'a message that is not a job; it will be dead-lettered');
          failures.push({ itemIdentifier: record.messageId });
          return;
        }
        try {
          await dispatcher.run(job, deadline);
        } catch (error) {
          logger.warn({ event: 'job_failed', kind: job.kind, error: (error as Error).name }, 'job failed; SQS will deliver it again');
          failures.push({ itemIdentifier: record.messageId });
        }
      }),
    );
    return { batchItemFailures: failures };
  };
}
