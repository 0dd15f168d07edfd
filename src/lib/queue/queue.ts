import type { QueueConfig } from '../config.js';
import { createInProcessQueue } from './in-process.js';
import type { Job, JobQueue } from './jobs.js';
import { createSqsQueue } from './sqs.js';

/**
 * The configured queue: SQS when QUEUE_URL is set (deployed), else in-process after the answer (local
 * runs). `patient`: nobody is waiting on the hand-over (the scan, the worker), so it may retry more.
 */
export function createJobQueue(
  config: QueueConfig,
  aws: { region: string; timeoutMs: number; patient?: boolean },
  runLocally: (job: Job) => Promise<void>,
): JobQueue {
  if (config.url === undefined) return createInProcessQueue(runLocally);
  return createSqsQueue({ queueUrl: config.url, region: aws.region, endpoint: config.endpoint, timeoutMs: aws.timeoutMs, maxAttempts: aws.patient ? 4 : 2 });
}
