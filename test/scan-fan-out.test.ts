import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createWorkerHandler } from '../src/lib/worker-handler.js';
import { captureOutput, loadScanHandler } from './support/harness.js';
import { startEventSource } from './support/lambda-sqs.js';
import { motoStatus, startMoto, type Moto } from './support/moto.js';
import { seedSet } from './support/seed-sets.js';
import { startWorld, type World } from './support/world.js';

/**
 * The scan as deployed: the scheduled function lists and queues (SQS, moto's), Lambda's SQS event
 * source (test/support/lambda-sqs.ts) feeds the worker, which checks, alerts and records. Listings cut
 * off by their deadline, and checks a 429 leaves undone, resume as jobs of their own.
 */

const moto = motoStatus();
const NOW = Date.parse('2026-11-24T09:00:00Z');
const aws = { region: 'us-east-1', credentials: { accessKeyId: 'AKIATESTFANOUT', secretAccessKey: 'test' } };
const at = (ms: number) => ({ time: new Date(ms).toISOString() });

let server: Moto | undefined;
let world: World;
let sqs: SQSClient;

beforeAll(async () => {
  world = await startWorld({ ALERT_CHANNEL_ID: 'C0ALERTS' });
  world.slack.join('C0PLATFORM');
  world.slack.setPostWindow(0);
  if (moto.ok) {
    server = await startMoto();
    sqs = new SQSClient({ ...aws, endpoint: server!.url });
  }
}, 30_000);
afterAll(async () => {
  sqs?.destroy();
  await world.close();
  await server?.stop();
});
beforeEach(async () => {
  world.slack.reset();
  world.secretsManager.clear();
  world.digitalocean.requests.length = 0;
  await server?.reset();
});

/** The deployment's queue (with its dead-letter queue and jobs table), and its two functions pointed at it. */
async function deploy(o: { visibilitySeconds?: number } = {}) {
  const name = `jobs-${Date.now()}`;
  const dlq = (await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }))).QueueUrl!;
  const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  const url = (
    await sqs.send(
      new CreateQueueCommand({
        QueueName: name,
        Attributes: { VisibilityTimeout: String(o.visibilitySeconds ?? 60), RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 5 }) },
      }),
    )
  ).QueueUrl!;
  const table = `jobs-${Date.now()}`;
  await new DynamoDBClient({ ...aws, endpoint: server!.url }).send(
    new CreateTableCommand({
      TableName: table,
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  const env = { ...world.env, QUEUE_URL: url, AWS_ENDPOINT_URL_SQS: server!.url, ALERT_POST_INTERVAL_MS: '0', AWS_ACCESS_KEY_ID: 'AKIATESTFANOUT', AWS_SECRET_ACCESS_KEY: 'test' };
  const scan = await loadScanHandler(env);
  const worker = createWorkerHandler({ ...env, JOBS_TABLE: table, AWS_ENDPOINT_URL_DYNAMODB: server!.url });
  return { url, scan, worker };
}

function seed(env: string, expiresInDays: number | undefined, o: Omit<Parameters<typeof seedSet>[2], 'now' | 'expiresInDays'> = {}) {
  return seedSet({ ...world, spacesUrl: world.spaces.url }, env, { now: NOW, expiresInDays, ...o });
}

const operations = () => world.secretsManager.calls.map((c) => c.operation);
const count = (ops: string[], op: string) => ops.filter((o) => o === op).length;
const tag = (env: string, key: string) => world.secretsManager.secret(`do-creds/${env}`)?.tags.find((t) => t.Key === key)?.Value;

describe.skipIf(!moto.ok)('the scan through SQS and the worker', () => {
  it('lists tags only and queues; the worker checks every token, alerts once (a digest for a busy channel) and writes tags only for changes', async () => {
    const { url, scan, worker } = await deploy();
    for (let i = 0; i < 5; i += 1) seed(`soon-${i}`, 7);
    seed('broken', undefined, { behaviour: { fault: 'unauthorized' } });
    for (let i = 0; i < 244; i += 1) seed(`far-${String(i).padStart(3, '0')}`, 200);

    const listed = await scan(at(NOW));
    expect(listed).toMatchObject({ listed: 250, batches: 3, jobs: 'queued', alertsSent: 0 });
    // The scheduled function read no value and posted nothing.
    expect(new Set(operations())).toEqual(new Set(['ListSecrets']));
    expect(world.slack.callsTo('chat.postMessage')).toHaveLength(0);

    const events = startEventSource({ queueUrl: url, sqs, handler: worker, maximumConcurrency: 4 });
    const stats = await events.drain();
    const posts = world.slack.callsTo('chat.postMessage');
    // Five expiring in one channel: one digest; the rejected token: its own alert.
    expect(posts.map((c) => c.args.channel).sort()).toEqual(['C0PLATFORM', 'C0PLATFORM']);
    expect(posts.some((c) => String(c.args.text).startsWith('5 DigitalOcean tokens'))).toBe(true);
    expect(tag('soon-3', 'do-creds:alerted-threshold')).toBe('7');
    expect(tag('broken', 'do-creds:validation')).toBe('revoked');
    const ops = operations();
    expect(count(ops, 'ListSecrets')).toBe(3);
    expect(count(ops, 'BatchGetSecretValue')).toBe(13);
    expect(count(ops, 'TagResource')).toBe(6);
    expect(world.digitalocean.requests.filter((r) => r.path === '/v2/account')).toHaveLength(250);
    expect(stats.failedItems).toBe(0);

    // A quiet day: nothing changed, nothing posted, nothing written; ListSecrets and BatchGetSecretValue only.
    world.secretsManager.calls.length = 0;
    world.slack.reset();
    await scan(at(NOW + 60_000));
    await events.drain();
    await events.stop();
    expect(world.slack.callsTo('chat.postMessage')).toHaveLength(0);
    const quiet = operations();
    expect(new Set(quiet)).toEqual(new Set(['ListSecrets', 'BatchGetSecretValue']));
    expect(quiet.length / 250).toBeLessThanOrEqual(0.07);
  }, 60_000);

  it('a listing cut off at its deadline hands the rest, from its cursor, to the worker; every set is still checked', async () => {
    const { url, scan, worker } = await deploy();
    for (let i = 0; i < 350; i += 1) seed(`env-${String(i).padStart(3, '0')}`, 200);
    // Each page takes 400 ms, and the invocation has about 1 s of work in it (10 s are kept back).
    world.secretsManager.fail('ListSecrets', { delayMs: 400 }, 100);
    const output = captureOutput();
    let listed;
    try {
      listed = await scan(at(NOW), { getRemainingTimeInMillis: () => 11_000 });
      const events = startEventSource({ queueUrl: url, sqs, handler: worker, maximumConcurrency: 2 });
      await events.drain();
      await events.stop();
    } finally {
      output.restore();
    }
    expect(output.lines().some((l) => l.event === 'scan_listing_continues')).toBe(true);
    expect(listed.listed).toBeLessThan(350);
    expect(count(operations(), 'ListSecrets')).toBe(4);
    expect(new Set(world.digitalocean.requests.filter((r) => r.path === '/v2/account').map((r) => r.authorization)).size).toBe(350);
    const emf = output.lines().filter((l) => typeof l._aws === 'object');
    expect(emf.reduce((n, l) => n + Number(l.ScanCompleted ?? 0), 0)).toBe(1);
    expect(emf.reduce((n, l) => n + Number(l.SetsScanned ?? 0), 0)).toBe(350);
  }, 60_000);

  it('checks a 429 leaves past the deadline are queued again, delayed until the limit resets, and done', async () => {
    const { url, scan, worker } = await deploy({ visibilitySeconds: 11 });
    seed('limited', undefined, { behaviour: { rateLimitedCalls: 1 } });
    seed('fine', undefined);
    await scan(at(NOW));
    const output = captureOutput();
    try {
      // About 1 s of work per invocation: the token's limit resets after it (Retry-After: 1).
      const events = startEventSource({ queueUrl: url, sqs, handler: worker, functionTimeoutMs: 10_900 });
      await events.drain();
      await events.stop();
    } finally {
      output.restore();
    }
    expect(output.lines().find((l) => l.event === 'scan_batch_continues')).toMatchObject({ left: 1 });
    const checks = world.digitalocean.requests.filter((r) => r.path === '/v2/account');
    expect(checks).toHaveLength(3); // limited twice (429, then ok), fine once
    expect(output.lines().filter((l) => l.event === 'scan_job_done').reduce((n, l) => n + Number(l.failures), 0)).toBe(0);
  }, 60_000);

  it('an alert job whose post failed is delivered again by SQS, and the alert goes out once', async () => {
    const { url, scan, worker } = await deploy({ visibilitySeconds: 2 });
    seed('prod', 7);
    world.slack.replyTo('chat.postMessage', { body: { ok: false, error: 'internal_error' } }, 1);
    await scan(at(NOW));
    const output = captureOutput();
    let stats;
    try {
      const events = startEventSource({ queueUrl: url, sqs, handler: worker, functionTimeoutMs: 2_000 });
      stats = await events.drain();
      await events.stop();
    } finally {
      output.restore();
    }
    expect(stats.failedItems).toBe(1);
    expect(world.slack.accepted('chat.postMessage')).toHaveLength(1);
    expect(tag('prod', 'do-creds:alerted-threshold')).toBe('7');
  }, 60_000);
});

