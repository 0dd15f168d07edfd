import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { backgroundHandler } from './bot-secrets.js';
import type { Config, Env } from './config.js';
import type { Logger } from './logger.js';
import { createDynamoLedger } from './queue/dynamodb-ledger.js';
import { parseJob } from './queue/jobs.js';
import { createMemoryLedger, type JobLedger } from './queue/ledger.js';
import { backgroundSlackClient, runJob } from './slack/job-runner.js';

export type WorkerHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

/** A job id is remembered a day: SQS keeps a message at most 14 days, but ours are dead-lettered within minutes. */
const RETAIN_SECONDS = 24 * 3600;

/**
 * The SQS worker: does each job of a batch and reports the ones that failed
 * (`ReportBatchItemFailures`), so only those are delivered again; a body that is not a job is
 * reported too and ends in the dead-letter queue. Configuration as the scan's (the bot token only).
 */
export function createWorkerHandler(env: Env): WorkerHandler {
  return backgroundHandler(env, 'worker', buildWorker);
}

function buildWorker(config: Config, logger: Logger): WorkerHandler {
  const client = backgroundSlackClient(config.slack, logger);
  const ledger: JobLedger = config.queue.jobsTable
    ? createDynamoLedger({ table: config.queue.jobsTable, region: config.store.region, endpoint: config.queue.dynamoEndpoint, retainSeconds: RETAIN_SECONDS })
    : createMemoryLedger();
  return async (event) => {
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
          await runJob(job, { client, logger, ledger });
        } catch (error) {
          logger.warn({ event: 'job_failed', kind: job.kind, error: (error as Error).name }, 'job failed; SQS will deliver it again');
          failures.push({ itemIdentifier: record.messageId });
        }
      }),
    );
    return { batchItemFailures: failures };
  };
}
