import { createHash } from 'node:crypto';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { motoStatus, startMoto, type Moto } from './support/moto.js';
import { DrainTimeoutError, startEventSource, type EventSourceOptions } from './support/lambda-sqs.js';

/**
 * The stand-in for Lambda's SQS event source mapping (test/support/lambda-sqs.ts), against moto's
 * SQS: delivery and deletion, partial batch responses with redelivery and dead-lettering, a failed
 * invocation, and delayed messages.
 */

const moto = motoStatus();
let server: Moto | undefined;
let sqs: SQSClient;
const aws = { region: 'us-east-1', credentials: { accessKeyId: 'AKIATESTLAMBDASQS', secretAccessKey: 'test' } };

beforeAll(async () => {
  if (!moto.ok) return;
  server = await startMoto();
  sqs = new SQSClient({ ...aws, endpoint: server!.url });
}, 30_000);
afterAll(async () => {
  sqs?.destroy();
  await server?.stop();
});

let queues = 0;
/** A queue with a 1 s visibility timeout and, unless told otherwise, a dead-letter queue after 2 receives. */
async function makeQueue({ dlq = true } = {}): Promise<{ url: string; arn: string; dlqUrl?: string }> {
  const name = `lambda-sqs-${Date.now()}-${(queues += 1)}`;
  const attributes: Record<string, string> = { VisibilityTimeout: '1' };
  let dlqUrl: string | undefined;
  if (dlq) {
    dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }))).QueueUrl!;
    attributes.RedrivePolicy = JSON.stringify({ deadLetterTargetArn: await arnOf(dlqUrl), maxReceiveCount: 2 });
  }
  const url = (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl!;
  return { url, arn: await arnOf(url), dlqUrl };
}

async function arnOf(url: string): Promise<string> {
  return (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
}

async function bodiesIn(url: string): Promise<string[]> {
  const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
  return (got.Messages ?? []).map((m) => m.Body!).sort();
}

/** Runs the mapping until the queue is drained, recording every invocation's records. */
async function run(url: string, handler: (records: SQSRecord[], call: number) => SQSBatchResponse | void, options: Partial<EventSourceOptions> = {}) {
  const calls: SQSRecord[][] = [];
  const source = startEventSource({
    queueUrl: url,
    sqs,
    functionTimeoutMs: 1000,
    ...options,
    handler: (event) => {
      calls.push(event.Records);
      // Like an async handler: a throw becomes a rejection.
      return Promise.resolve().then(() => handler(event.Records, calls.length));
    },
  });
  try {
    const stats = await source.drain({ idleMs: 100, timeoutMs: 12_000 });
    return { stats, calls, records: calls.flat() };
  } finally {
    await source.stop();
  }
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

describe.skipIf(!moto.ok)('Lambda SQS event source stand-in, against moto', () => {
  it('delivers batches of at most batchSize in the shape Lambda gives, and deletes what succeeded', async () => {
    const { url, arn } = await makeQueue();
    const bodies = Array.from({ length: 13 }, (_, i) => `job-${i}`);
    for (const chunk of [bodies.slice(0, 10), bodies.slice(10)]) {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: chunk.map((body, i) => ({ Id: `e${i}`, MessageBody: body, MessageAttributes: { kind: { DataType: 'String', StringValue: 'tell' } } })),
        }),
      );
    }
    const remaining: number[] = [];
    const seen: SQSRecord[] = [];
    const source = startEventSource({
      queueUrl: url,
      sqs,
      batchSize: 4,
      functionTimeoutMs: 1000,
      handler: async (event, context) => {
        remaining.push(context.getRemainingTimeInMillis());
        seen.push(...event.Records);
        await new Promise((r) => setTimeout(r, 20));
      },
    });
    const stats = await source.drain({ idleMs: 100, timeoutMs: 10_000 });
    await source.stop();

    expect(seen.map((r) => r.body).sort()).toEqual([...bodies].sort());
    expect(stats).toMatchObject({ messages: 13, failedItems: 0, failedInvocations: 0, sqsErrors: 0 });
    expect(stats.invocations).toBeGreaterThanOrEqual(4);
    expect(stats.deleteCalls).toBe(stats.invocations);
    expect(stats.peakConcurrency).toBeLessThanOrEqual(2);
    expect(stats.longestInvocationMs).toBeGreaterThanOrEqual(15);
    expect(remaining.every((ms) => ms > 0 && ms <= 1000)).toBe(true);
    const record = seen[0]!;
    expect(record).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: arn,
      awsRegion: 'us-east-1',
      md5OfBody: md5(record.body),
      messageAttributes: { kind: { dataType: 'String', stringValue: 'tell', stringListValues: [], binaryListValues: [] } },
    });
    expect(record.attributes.ApproximateReceiveCount).toBe('1');
    expect(Number(record.attributes.SentTimestamp)).toBeGreaterThan(Date.now() - 60_000);
    expect(record.attributes.ApproximateFirstReceiveTimestamp).toMatch(/^\d+$/);
    expect(record.attributes.SenderId).toBeTruthy();
    expect(record.receiptHandle).toBeTruthy();
    expect(await bodiesIn(url)).toEqual([]);
  });

  it('leaves a reported item failure in the queue: redelivered with ApproximateReceiveCount 2, then dead-lettered', async () => {
    const { url, dlqUrl } = await makeQueue();
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'ok' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'bad' }));
    const { stats, records } = await run(url, (batch) => ({ batchItemFailures: batch.filter((r) => r.body === 'bad').map((r) => ({ itemIdentifier: r.messageId })) }));

    expect(records.filter((r) => r.body === 'ok').map((r) => r.attributes.ApproximateReceiveCount)).toEqual(['1']);
    expect(records.filter((r) => r.body === 'bad').map((r) => r.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
    expect(stats).toMatchObject({ messages: 3, failedItems: 2, failedInvocations: 0 });
    expect(await bodiesIn(dlqUrl!)).toEqual(['bad']);
  });

  it('redelivers the whole batch when the handler throws or names a message not in the batch', async () => {
    const { url } = await makeQueue({ dlq: false });
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: ['a', 'b', 'c'].map((body) => ({ Id: body, MessageBody: body })) }));
    const { stats, calls, records } = await run(url, (_batch, call) => {
      if (call === 1) throw new Error('boom');
      // AWS: an itemIdentifier naming no message of the batch fails the batch as a whole.
      if (call === 2) return { batchItemFailures: [{ itemIdentifier: 'not-in-this-batch' }] };
    });

    const failed = [...calls[0]!, ...calls[1]!];
    for (const r of failed) {
      const deliveries = records.filter((x) => x.messageId === r.messageId).map((x) => Number(x.attributes.ApproximateReceiveCount));
      expect(deliveries.length).toBeGreaterThan(1);
      expect(deliveries).toEqual([...deliveries].sort());
      expect(deliveries.at(-1)).toBeGreaterThan(1);
    }
    expect(new Set(records.map((r) => r.body))).toEqual(new Set(['a', 'b', 'c']));
    expect(stats.failedInvocations).toBe(2);
    expect(stats.failedItems).toBe(failed.length);
    expect(await bodiesIn(url)).toEqual([]);
  });

  it('drain() waits for messages sent with DelaySeconds', async () => {
    const { url } = await makeQueue();
    const sentAt = Date.now();
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'now' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'later', DelaySeconds: 2 }));
    const handledAt = new Map<string, number>();
    const { stats } = await run(url, (batch) => {
      for (const r of batch) handledAt.set(r.body, Date.now());
    });

    expect(stats.messages).toBe(2);
    expect(handledAt.get('now')! - sentAt).toBeLessThan(1500);
    expect(handledAt.get('later')! - sentAt).toBeGreaterThanOrEqual(1900);
  });

  it('refuses what Lambda refuses: a function timeout over the visibility timeout, concurrency under 2', async () => {
    const { url } = await makeQueue({ dlq: false });
    const handler = () => Promise.resolve();
    expect(() => startEventSource({ queueUrl: url, sqs, handler, maximumConcurrency: 1 })).toThrow(/MaximumConcurrency/);
    const source = startEventSource({ queueUrl: url, sqs, handler, functionTimeoutMs: 5000 });
    await expect(source.drain()).rejects.toThrow('Queue visibility timeout: 1 seconds is less than Function timeout: 5 seconds');
    await source.stop();
  });

  it('drain() rejects with the stats so far when the queue does not empty in time', async () => {
    const { url } = await makeQueue({ dlq: false });
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'stuck' }));
    const source = startEventSource({ queueUrl: url, sqs, functionTimeoutMs: 1000, handler: () => Promise.reject(new Error('always')) });
    const error = await source.drain({ idleMs: 50, timeoutMs: 300 }).catch((e: unknown) => e);
    await source.stop();
    expect(error).toBeInstanceOf(DrainTimeoutError);
    expect((error as DrainTimeoutError).stats.failedInvocations).toBeGreaterThanOrEqual(1);
  });
});
