import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord, SQSRecordAttributes } from 'aws-lambda';
import { lambdaContext } from '../../src/local/api-gateway.js';

/**
 * A stand-in for AWS Lambda's SQS event source mapping (standard queues, `FunctionResponseTypes:
 * [ReportBatchItemFailures]`, as serverless.yml configures the worker), driving a handler from a
 * real-protocol SQS server (moto, see ./moto.ts). SQS itself (visibility timeout, receive count,
 * redrive to the dead-letter queue, DelaySeconds) is the server's; only Lambda's side is copied here:
 *
 * - Polling: "Lambda polls the queue and invokes your function synchronously with an event that
 *   contains queue messages. Lambda reads messages in batches and invokes your function once for each
 *   batch. When your function successfully processes a batch, Lambda deletes its messages from the
 *   queue." (Lambda developer guide, "Using Lambda with Amazon SQS",
 *   https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html). Batch size: at most 10 for a
 *   standard queue without a batching window; ReceiveMessage's MaxNumberOfMessages is 1-10 and
 *   WaitTimeSeconds 0-20 (SQS API reference, ReceiveMessage). Lambda long-polls with 20 s; we use 1 s
 *   so stop() and the tests stay quick.
 * - Concurrency: `ScalingConfig.MaximumConcurrency` is 2-1000 ("Configuring maximum concurrency for
 *   Amazon SQS event sources", https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html).
 *   Modelled as that many pollers, each invoking the function with what it received before polling
 *   again, so no more than that many invocations run at once.
 * - Event shape: the example event in "Using Lambda with Amazon SQS" (messageId, receiptHandle, body,
 *   attributes with ApproximateReceiveCount/SentTimestamp/SenderId/ApproximateFirstReceiveTimestamp,
 *   messageAttributes, md5OfBody, eventSource "aws:sqs", eventSourceARN, awsRegion). Message
 *   attributes arrive camel-cased, binary values base64-encoded, with the (reserved, always empty)
 *   stringListValues/binaryListValues arrays.
 * - Errors ("Handling errors for an SQS event source in Lambda",
 *   https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html): if the function
 *   returns an error (throws, or runs past its timeout) nothing is deleted and every message of the
 *   batch "will again reappear in the queue" after the queue's visibility timeout. With partial batch
 *   responses, Lambda treats the batch as a complete success for an empty or null `batchItemFailures`
 *   list and an empty or null response; as a complete failure for invalid JSON, an empty-string or null
 *   `itemIdentifier`, an `itemIdentifier` with a bad key name, or one naming a message ID not in the
 *   batch. Otherwise the listed messages are left in the queue (they reappear after the visibility
 *   timeout; SQS dead-letters them once their receive count passes the redrive policy's
 *   maxReceiveCount) and the rest are deleted with DeleteMessageBatch (at most 10 entries, Ids unique,
 *   alphanumeric/hyphen/underscore: SQS API reference, DeleteMessageBatch).
 * - Lambda refuses a mapping whose queue visibility timeout is shorter than the function timeout:
 *   "InvalidParameterValueException: Queue visibility timeout: 30 seconds is less than Function
 *   timeout: 60 seconds" (as reported by users, e.g. winglang/wing#1507). We check the same when we start.
 *
 * Not copied: Lambda's poller scaling and back-off after failures, batching windows, FIFO queues,
 * event filtering. And a handler that times out here is abandoned, not killed: its promise runs on.
 */

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

export interface EventSourceOptions {
  queueUrl: string;
  /** From @aws-sdk/client-sqs, pointed at moto. */
  sqs: SQSClient;
  handler: SqsHandler;
  /** Messages per invocation, 1-10 (default 10, the most a standard queue allows without a batching window). */
  batchSize?: number;
  /** Invocations at once, 2-1000 as AWS allows (default 2, as serverless.yml has it). */
  maximumConcurrency?: number;
  /**
   * The queue's VisibilityTimeout, which the mapping reads from the queue itself (a failed message
   * becomes visible again after it). Optional: if given, start fails unless the queue says the same.
   */
  visibilityTimeoutSeconds?: number;
  /** The function timeout (default 60 s): `context.getRemainingTimeInMillis()` counts down from it; past it the invocation fails. */
  functionTimeoutMs?: number;
  /** The Lambda context's function name (default `worker`). */
  functionName?: string;
}

export interface EventSourceStats {
  /** Handler invocations started. */
  invocations: number;
  /** Records handed to the handler, redeliveries included. */
  messages: number;
  longestInvocationMs: number;
  /** Records not deleted after their invocation: reported in batchItemFailures, or in a batch that failed as a whole. */
  failedItems: number;
  /** Invocations that failed as a whole: the handler threw, timed out or answered an invalid response. */
  failedInvocations: number;
  /** The most invocations running at once. */
  peakConcurrency: number;
  /** SQS calls the mapping made (drain()'s GetQueueAttributes calls are the observer's and are not counted). */
  receiveCalls: number;
  deleteCalls: number;
  /** ReceiveMessage/DeleteMessageBatch calls that failed, and DeleteMessageBatch entries SQS refused. */
  sqsErrors: number;
}

export interface DrainOptions {
  /** How often to look at the queue (default 200 ms). */
  idleMs?: number;
  /** Give up after this long (default 10 minutes). */
  timeoutMs?: number;
}

export interface EventSource {
  /**
   * Resolves once no invocation is running and the queue holds nothing (visible, in flight or
   * delayed) at two looks `idleMs` apart; rejects with a DrainTimeoutError carrying the stats so far
   * after `timeoutMs`, or with the start error (bad options, a queue Lambda would refuse).
   */
  drain(options?: DrainOptions): Promise<EventSourceStats>;
  /** Stops polling: each poller finishes its receive in flight (and invokes what it got), then running invocations end. */
  stop(): Promise<void>;
  stats(): EventSourceStats;
}

export class DrainTimeoutError extends Error {
  constructor(
    message: string,
    readonly stats: EventSourceStats,
  ) {
    super(message);
    this.name = 'DrainTimeoutError';
  }
}

/** What Lambda would answer CreateEventSourceMapping with for this configuration. */
export class InvalidParameterValueError extends Error {
  override name = 'InvalidParameterValueException';
}

const POLL_WAIT_SECONDS = 1;
const ERROR_BACKOFF_MS = 200;

export function startEventSource(o: EventSourceOptions): EventSource {
  const batchSize = o.batchSize ?? 10;
  const maximumConcurrency = o.maximumConcurrency ?? 2;
  const functionTimeoutMs = o.functionTimeoutMs ?? 60_000;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10) throw new InvalidParameterValueError(`BatchSize must be 1-10 for a standard queue without a batching window, not ${batchSize}`);
  if (!Number.isInteger(maximumConcurrency) || maximumConcurrency < 2 || maximumConcurrency > 1000) throw new InvalidParameterValueError(`MaximumConcurrency must be 2-1000, not ${maximumConcurrency}`);
  if (!(functionTimeoutMs > 0)) throw new InvalidParameterValueError(`the function timeout must be positive, not ${functionTimeoutMs}`);

  const counts: EventSourceStats = { invocations: 0, messages: 0, longestInvocationMs: 0, failedItems: 0, failedInvocations: 0, peakConcurrency: 0, receiveCalls: 0, deleteCalls: 0, sqsErrors: 0 };
  const stats = (): EventSourceStats => ({ ...counts });
  let running = 0;
  let stopped = false;

  // What Lambda reads from the queue when the mapping is created: its ARN (the records'
  // eventSourceARN) and its visibility timeout (checked against the function timeout).
  const queue = (async () => {
    const got = await o.sqs.send(new GetQueueAttributesCommand({ QueueUrl: o.queueUrl, AttributeNames: ['QueueArn', 'VisibilityTimeout'] }));
    const arn = got.Attributes?.QueueArn;
    const visibility = Number(got.Attributes?.VisibilityTimeout);
    if (!arn || !Number.isFinite(visibility)) throw new Error(`GetQueueAttributes on ${o.queueUrl} answered without QueueArn or VisibilityTimeout`);
    if (o.visibilityTimeoutSeconds !== undefined && o.visibilityTimeoutSeconds !== visibility) {
      throw new InvalidParameterValueError(`visibilityTimeoutSeconds is ${o.visibilityTimeoutSeconds} but the queue's VisibilityTimeout is ${visibility}`);
    }
    if (visibility * 1000 < functionTimeoutMs) {
      throw new InvalidParameterValueError(`Queue visibility timeout: ${visibility} seconds is less than Function timeout: ${functionTimeoutMs / 1000} seconds`);
    }
    return { arn, region: arn.split(':')[3] ?? '' };
  })();
  // drain() reports a start failure; until then, keep it from counting as unhandled.
  queue.catch(() => undefined);

  async function poll(): Promise<void> {
    const { arn, region } = await queue;
    while (!stopped) {
      let messages: Message[];
      try {
        counts.receiveCalls += 1;
        const res = await o.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: o.queueUrl,
            MaxNumberOfMessages: batchSize,
            WaitTimeSeconds: POLL_WAIT_SECONDS,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
        );
        messages = res.Messages ?? [];
      } catch {
        counts.sqsErrors += 1;
        if (stopped) return;
        await sleep(ERROR_BACKOFF_MS);
        continue;
      }
      if (messages.length > 0) await invoke(messages.map((m) => toRecord(m, arn, region)));
    }
  }

  async function invoke(records: SQSRecord[]): Promise<void> {
    running += 1;
    counts.peakConcurrency = Math.max(counts.peakConcurrency, running);
    counts.invocations += 1;
    counts.messages += records.length;
    try {
      const started = Date.now();
      const outcome = await runHandler(o.handler, { Records: records }, context(started));
      counts.longestInvocationMs = Math.max(counts.longestInvocationMs, Date.now() - started);
      const failed = outcome.ok ? failedIds(outcome.response, records) : undefined;
      if (failed === undefined) {
        counts.failedInvocations += 1;
        counts.failedItems += records.length;
        return;
      }
      counts.failedItems += failed.size;
      await remove(records.filter((r) => !failed.has(r.messageId)));
    } finally {
      running -= 1;
    }
  }

  function context(started: number): Context {
    const deadline = started + functionTimeoutMs;
    return { ...lambdaContext(o.functionName ?? 'worker'), awsRequestId: randomUUID(), getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) };
  }

  /** The function's answer as Lambda gets it: serialized to JSON, or an error (thrown, or the timeout). */
  async function runHandler(handler: SqsHandler, event: SQSEvent, ctx: Context): Promise<{ ok: true; response: unknown } | { ok: false }> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<{ ok: false }>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false }), functionTimeoutMs);
    });
    const ran = (async () => {
      try {
        const response = await handler(event, ctx);
        // Lambda serializes the response; `undefined` becomes null.
        return { ok: true as const, response: response === undefined ? null : (JSON.parse(JSON.stringify(response)) as unknown) };
      } catch {
        return { ok: false as const };
      }
    })();
    try {
      return await Promise.race([ran, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function remove(records: SQSRecord[]): Promise<void> {
    if (records.length === 0) return;
    try {
      counts.deleteCalls += 1;
      const res = await o.sqs.send(
        new DeleteMessageBatchCommand({ QueueUrl: o.queueUrl, Entries: records.map((r, i) => ({ Id: `m${i}`, ReceiptHandle: r.receiptHandle })) }),
      );
      counts.sqsErrors += res.Failed?.length ?? 0;
    } catch {
      counts.sqsErrors += 1;
    }
  }

  const pollers = Array.from({ length: maximumConcurrency }, () => poll().catch(() => undefined));

  async function isEmpty(): Promise<boolean> {
    if (running > 0) return false;
    const got = await o.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: o.queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
      }),
    );
    const a = got.Attributes ?? {};
    const total = Number(a.ApproximateNumberOfMessages ?? NaN) + Number(a.ApproximateNumberOfMessagesNotVisible ?? NaN) + Number(a.ApproximateNumberOfMessagesDelayed ?? NaN);
    return total === 0 && running === 0;
  }

  return {
    async drain({ idleMs = 200, timeoutMs = 10 * 60_000 }: DrainOptions = {}) {
      await queue;
      const deadline = Date.now() + timeoutMs;
      // AWS's counts are approximate (GetQueueAttributes: they "may not achieve consistency until at
      // least 1 minute after the producers stop sending messages"); moto's are exact. Two empty
      // looks in a row guard against a look taken between a receive and its invocation.
      let emptyLooks = 0;
      for (;;) {
        emptyLooks = (await isEmpty()) ? emptyLooks + 1 : 0;
        if (emptyLooks >= 2) return stats();
        if (Date.now() + idleMs > deadline) {
          const now = stats();
          throw new DrainTimeoutError(`the queue was not drained within ${timeoutMs} ms: ${JSON.stringify(now)}`, now);
        }
        await sleep(idleMs);
      }
    },
    async stop() {
      // Not aborted: a long poll cut off on this side still completes on the server and hides what it
      // took for the visibility timeout. Each poller's last receive (at most POLL_WAIT_SECONDS) is invoked.
      stopped = true;
      await Promise.all(pollers);
    },
    stats,
  };
}

/**
 * Lambda's reading of a partial batch response: the message IDs to leave in the queue, or
 * undefined when the batch failed as a whole.
 */
function failedIds(response: unknown, records: SQSRecord[]): Set<string> | undefined {
  if (response === null) return new Set();
  if (typeof response !== 'object' || Array.isArray(response)) return undefined;
  const list = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (list === undefined || list === null) return new Set();
  if (!Array.isArray(list)) return undefined;
  const inBatch = new Set(records.map((r) => r.messageId));
  const ids = new Set<string>();
  for (const item of list as unknown[]) {
    const id = typeof item === 'object' && item !== null ? (item as { itemIdentifier?: unknown }).itemIdentifier : undefined;
    if (typeof id !== 'string' || id === '' || !inBatch.has(id)) return undefined;
    ids.add(id);
  }
  return ids;
}

function toRecord(m: Message, eventSourceARN: string, awsRegion: string): SQSRecord {
  const attributes = (m.Attributes ?? {}) as Partial<SQSRecordAttributes>;
  const record: SQSRecord = {
    messageId: m.MessageId ?? '',
    receiptHandle: m.ReceiptHandle ?? '',
    body: m.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '',
      SentTimestamp: attributes.SentTimestamp ?? '',
      SenderId: attributes.SenderId ?? '',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? '',
      ...attributes,
    },
    messageAttributes: messageAttributes(m.MessageAttributes ?? {}),
    md5OfBody: m.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN,
    awsRegion,
  };
  if (m.MD5OfMessageAttributes) record.md5OfMessageAttributes = m.MD5OfMessageAttributes;
  return record;
}

function messageAttributes(attrs: Record<string, MessageAttributeValue>): SQSMessageAttributes {
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
  const out: SQSMessageAttributes = {};
  for (const [name, v] of Object.entries(attrs)) {
    out[name] = {
      ...(v.StringValue !== undefined ? { stringValue: v.StringValue } : {}),
      ...(v.BinaryValue !== undefined ? { binaryValue: b64(v.BinaryValue) } : {}),
      stringListValues: v.StringListValues ?? [],
      binaryListValues: (v.BinaryListValues ?? []).map(b64),
      dataType: v.DataType ?? 'String',
    };
  }
  return out;
}
