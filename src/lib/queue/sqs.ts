import type * as SQS from '@aws-sdk/client-sqs';
import { MAX_DELAY_SECONDS, type Job, type JobQueue } from './jobs.js';

/**
 * The deployed queue: Amazon SQS, the only module that talks to it. Jobs go out in SendMessageBatch
 * calls; the worker function receives them with partial batch responses, and the queue's redrive
 * policy dead-letters what keeps failing.
 */

export interface SqsQueueOptions {
  queueUrl: string;
  region: string;
  endpoint: string | undefined;
  timeoutMs: number;
  /** Attempts per call: 2 while Slack waits; more for the scan and the worker, which nobody waits for. */
  maxAttempts: number;
}

/**
 * SendMessageBatch: "a maximum of 10 messages", and the batch's total size is limited like one
 * message's (SQS API reference, SendMessageBatch). AWS raised that to 1 MiB in 2025; 256 KiB is the
 * older, stricter limit, and what moto enforces.
 */
const MAX_ENTRIES = 10;
const MAX_BATCH_BYTES = 256 * 1024;

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
          maxAttempts: options.maxAttempts,
          requestHandler: { connectionTimeout: options.timeoutMs, requestTimeout: options.timeoutMs, throwOnRequestTimeout: true },
        }),
    ));
  return {
    description: 'Amazon SQS',
    async send(jobs, sendOptions) {
      const m = await loadSdk();
      const sqs = await connect();
      const delay = sendOptions?.delaySeconds === undefined ? undefined : Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(sendOptions.delaySeconds)));
      for (const batch of batches(jobs)) {
        const entries = batch.map((body, n) => ({ Id: String(n), MessageBody: body, ...(delay ? { DelaySeconds: delay } : {}) }));
        try {
          const res = await sqs.send(new m.SendMessageBatchCommand({ QueueUrl: options.queueUrl, Entries: entries }), sendOptions?.signal ? { abortSignal: sendOptions.signal } : {});
          if ((res.Failed ?? []).length > 0) return false;
        } catch {
          return false;
        }
      }
      return true;
    },
  };
}

/** Message bodies grouped into batches SQS accepts: at most 10, and at most 256 KiB together. */
function batches(jobs: Job[]): string[][] {
  const out: string[][] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const body of jobs.map((j) => JSON.stringify(j))) {
    const size = Buffer.byteLength(body);
    if (current.length === MAX_ENTRIES || (current.length > 0 && bytes + size > MAX_BATCH_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(body);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}
