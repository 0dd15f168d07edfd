import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { inProcessJobsDone } from '../src/lib/queue/in-process.js';
import type { Job } from '../src/lib/queue/jobs.js';
import { createSqsQueue } from '../src/lib/queue/sqs.js';
import { createWorkerHandler } from '../src/lib/worker-handler.js';
import { fakeBotToken, invoke, loadSlackHandler } from './support/harness.js';
import { motoStatus, startMoto, type Moto } from './support/moto.js';
import { CHANNEL_ID, interactionBody, signedEvent, USER_ID } from './support/slack-request.js';
import { fillForm, startWorld, type World } from './support/world.js';

/**
 * Work Slack does not wait for goes through a queue: SQS deployed (tested against moto's SQS, a real
 * implementation of the protocol), in-process locally. A job delivered twice posts once (the ledger,
 * against moto's DynamoDB); a failed job is reported for redelivery.
 */

const moto = motoStatus();
let server: Moto | undefined;
let world: World;
const aws = { region: 'us-east-1', credentials: { accessKeyId: 'AKIATESTQUEUE', secretAccessKey: 'test' } };

beforeAll(async () => {
  world = await startWorld({ AUDIT_CHANNEL_ID: 'C0AUDIT' });
  if (moto.ok) server = await startMoto();
}, 30_000);
afterAll(async () => {
  await world.close();
  await server?.stop();
});
beforeEach(async () => {
  world.slack.reset();
  await server?.reset();
});

async function makeQueue(): Promise<{ url: string; sqs: SQSClient }> {
  const sqs = new SQSClient({ ...aws, endpoint: server!.url });
  const made = await sqs.send(new CreateQueueCommand({ QueueName: `jobs-${Date.now()}` }));
  return { url: made.QueueUrl!, sqs };
}

async function makeTable(): Promise<string> {
  const ddb = new DynamoDBClient({ ...aws, endpoint: server!.url });
  const name = `jobs-${Date.now()}`;
  await ddb.send(
    new CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  return name;
}

/** What SQS hands the worker (Lambda's SQS event shape). */
function sqsEvent(bodies: { id: string; body: string }[]): SQSEvent {
  return { Records: bodies.map(({ id, body }) => ({ messageId: id, body }) as SQSEvent['Records'][number]) };
}

const tell = (id: string): Job => ({ kind: 'tell', id, user: USER_ID, channel: CHANNEL_ID, message: { text: 'Saved', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Saved: prod' } }] } });

describe.skipIf(!moto.ok)('the SQS queue and the worker, against moto', () => {
  it('sends jobs in one batch, and the worker posts each once however often it is delivered', async () => {
    const { url, sqs } = await makeQueue();
    const table = await makeTable();
    const queue = createSqsQueue({ queueUrl: url, region: 'us-east-1', endpoint: server!.url, timeoutMs: 2000, maxAttempts: 2 });
    expect(await queue.send([tell('tell:a'), { kind: 'audit', id: 'audit:a', channel: 'C0AUDIT', message: { text: 'audit', blocks: [] } }])).toBe(true);
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    const bodies = (received.Messages ?? []).map((m) => ({ id: m.MessageId!, body: m.Body! }));
    expect(bodies).toHaveLength(2);

    const worker = createWorkerHandler({ ...world.env, JOBS_TABLE: table, AWS_ENDPOINT_URL_DYNAMODB: server!.url });
    // Delivered twice (SQS delivers at least once): posted once.
    expect(await worker(sqsEvent(bodies))).toEqual({ batchItemFailures: [] });
    expect(await worker(sqsEvent(bodies))).toEqual({ batchItemFailures: [] });
    expect(world.slack.callsTo('chat.postEphemeral')).toHaveLength(1);
    expect(world.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === 'C0AUDIT')).toHaveLength(1);
  });

  it('reports a job that failed, and a body that is no job, so only those come back', async () => {
    const table = await makeTable();
    const worker = createWorkerHandler({ ...world.env, JOBS_TABLE: table, AWS_ENDPOINT_URL_DYNAMODB: server!.url });
    world.slack.replyTo('chat.postMessage', { status: 200, body: { ok: false, error: 'channel_not_found' } }, 10);
    const audit: Job = { kind: 'audit', id: 'audit:b', channel: 'C0GONE', message: { text: 'audit', blocks: [] } };
    const res = await worker(sqsEvent([{ id: 'm1', body: JSON.stringify(audit) }, { id: 'm2', body: '{"not":"a job"}' }, { id: 'm3', body: JSON.stringify(tell('tell:b')) }]));
    expect(res.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['m1', 'm2']);
    // Released: the redelivery does the work once Slack takes it.
    world.slack.reset();
    world.slack.join('C0GONE');
    expect(await worker(sqsEvent([{ id: 'm1', body: JSON.stringify(audit) }]))).toEqual({ batchItemFailures: [] });
    expect(world.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === 'C0GONE')).toHaveLength(1);
  });

  it('the submission only validates, saves and enqueues before it answers: no Slack call in the request', async () => {
    const { url, sqs } = await makeQueue();
    const handler = await loadSlackHandler({ ...world.env, QUEUE_URL: url, AWS_ENDPOINT_URL_SQS: server!.url });
    const view = await world.openModal();
    world.slack.reset();
    const res = await invoke(handler, signedEvent({ secret: world.secret, body: interactionBody(fillForm(view, { ...world.validCredentials(), environment: 'queued' })) }));
    expect(res.json?.response_action).toBe('clear');
    expect(world.slack.calls).toHaveLength(0);
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    expect((received.Messages ?? []).map((m) => (JSON.parse(m.Body!) as Job).kind).sort()).toEqual(['audit', 'tell']);
  });
});

describe('nothing slow while Slack waits', () => {
  it('answers within 2.5 s of arrival while every Slack call takes 1.5 s, and the confirmation follows', async () => {
    const view = await world.openModal();
    world.slack.setDelay(1500);
    try {
      const started = Date.now();
      const res = await invoke(world.handler, signedEvent({ secret: world.secret, body: interactionBody(fillForm(view, { ...world.validCredentials(), environment: 'slow-slack' })) }));
      expect(Date.now() - started).toBeLessThan(2500);
      expect(res.json?.response_action).toBe('clear');
      expect(world.secretsManager.currentValue('do-creds/slow-slack')).toBeDefined();
      await inProcessJobsDone();
      expect(world.slack.callsTo('chat.postEphemeral').length).toBeGreaterThanOrEqual(1);
    } finally {
      world.slack.setDelay(0);
    }
  });

  it('a worker given an empty batch reports no failure', async () => {
    const worker = createWorkerHandler({ ...world.env, SLACK_BOT_TOKEN: fakeBotToken() });
    expect(await worker({ Records: [] })).toEqual({ batchItemFailures: [] });
  });
});
