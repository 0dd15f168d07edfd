import type * as SQS from '@aws-sdk/client-sqs';
import type { JobQueue } from './jobs.js';

/**
 * The deployed queue: Amazon SQS, the only module that talks to it. Jobs go out in one
 * SendMessageBatch (up to 10 entries per call, SQS API reference); the worker function receives
 * them with partial batch responses, and the queue's redrive policy dead-letters what keeps failing.
 */

export interface SqsQueueOptions {
  queueUrl: string;
  region: string;
  endpoint: string | undefined;
  timeoutMs: number;
}

let sdk: Promise<typeof SQS> | undefined;
const loadSdk = () => (sdk ??= import('@aws-sdk/client-sqs'));

export function createSqsQueue(options: SqsQueueOptions): JobQueue {
  let client: Promise<SQS.SQSClient> | undefined;
  const connect = () =>
    (client ??= loadSdk().then(
      (m) =>
        new m.SQSClient({
          region: options.region,
          ...(options.endpoint ? { endpoint: options.endpoint } : {}),
          // Sent while Slack waits: one quick retry at most.
          maxAttempts: 2,
          requestHandler: { connectionTimeout: options.timeoutMs, requestTimeout: options.timeoutMs, throwOnRequestTimeout: true },
        }),
    ));
  return {
    description: 'Amazon SQS',
    async send(jobs, signal) {
      const m = await loadSdk();
      const sqs = await connect();
      for (let i = 0; i < jobs.length; i += 10) {
        const entries = jobs.slice(i, i + 10).map((job, n) => ({ Id: String(n), MessageBody: JSON.stringify(job) }));
        try {
          const res = await sqs.send(new m.SendMessageBatchCommand({ QueueUrl: options.queueUrl, Entries: entries }), signal ? { abortSignal: signal } : {});
          if ((res.Failed ?? []).length > 0) return false;
        } catch {
          return false;
        }
      }
      return true;
    },
  };
}
