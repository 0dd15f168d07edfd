import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createScanHandler } from '../src/lib/scan-handler.js';
import { createWorkerHandler } from '../src/lib/worker-handler.js';
import { fakeDoToken } from '../test/support/credentials.js';
import { startFakeDigitalOcean } from '../test/support/fake-digitalocean.js';
import { startFakeSecretsManager } from '../test/support/fake-secrets-manager.js';
import { startFakeSlack } from '../test/support/fake-slack.js';
import { startEventSource } from '../test/support/lambda-sqs.js';
import { motoStatus, startMoto } from '../test/support/moto.js';

/**
 * The expiry scan at scale, as deployed: the scheduled function lists and queues into SQS (moto), a
 * stand-in for Lambda's SQS event source runs the worker with serverless.yml's concurrency and batch
 * size, against stand-ins that enforce AWS's per-operation quotas (Secrets Manager) and Slack's one
 * message a second per channel, every call taking LATENCY_MS. Wall time is real time on this machine.
 */

const LATENCY_MS = 20;
const CHANNELS = 20;
const NOW = Date.parse('2026-11-24T09:00:00Z');
/** serverless.yml: the worker's event source and timeout. */
const WORKER = { maximumConcurrency: 4, batchSize: 10, functionTimeoutMs: 60_000 };

type Record3 = (what: string, value: string, goal: string, met?: boolean) => void;

export async function scanAtScale(record: Record3, sets: number): Promise<void> {
  const moto = motoStatus();
  if (!moto.ok) {
    record(`expiry scan over ${sets.toLocaleString('en')} sets`, `not run: ${moto.reason}`, '');
    return;
  }
  const botToken = 'xoxb-bench-scale';
  const channels = Array.from({ length: CHANNELS }, (_, i) => `C0BENCH${String(i).padStart(2, '0')}`);
  const [slack, digitalocean, sm, aws] = await Promise.all([
    startFakeSlack(botToken, { channels, postWindowMs: 1_000 }),
    startFakeDigitalOcean(),
    startFakeSecretsManager(),
    startMoto(),
  ]);
  if (!aws) throw new Error('moto did not start');
  // SQS and DynamoDB through a counting proxy that adds the same latency as the other stand-ins.
  const proxy = await countingProxy(aws.url, LATENCY_MS);
  seed(sets, { slack, digitalocean, sm });
  sm.enforceQuotas(true);
  sm.setLatency(LATENCY_MS);
  digitalocean.setLatency(LATENCY_MS);
  slack.setDelay(LATENCY_MS);

  const credentials = { accessKeyId: 'AKIABENCHSCALE', secretAccessKey: 'bench' };
  const sqs = new SQSClient({ region: 'us-east-1', endpoint: aws.url, credentials });
  const queueUrl = await makeQueue(sqs);
  const table = await makeTable(aws.url, credentials);
  const env = {
    DO_API_URL: digitalocean.url,
    SLACK_API_URL: slack.apiUrl,
    SLACK_BOT_TOKEN: botToken,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.url,
    AWS_ENDPOINT_URL_SQS: proxy.url,
    AWS_ENDPOINT_URL_DYNAMODB: proxy.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    QUEUE_URL: queueUrl,
    JOBS_TABLE: table,
    LOG_LEVEL: 'silent',
    // serverless.yml's worker settings.
    SCAN_TAG_WRITES_PER_SECOND: '8',
    SCAN_BATCH_READS_PER_SECOND: '20',
  };
  const scan = createScanHandler(env);
  // One handler per concurrent invocation, as Lambda runs each in its own execution environment (its own pacing).
  const idle = Array.from({ length: WORKER.maximumConcurrency }, () => createWorkerHandler(env));
  const handler: ReturnType<typeof createWorkerHandler> = async (event, context) => {
    const environment = idle.pop();
    if (!environment) throw new Error('more invocations at once than maximumConcurrency');
    try {
      return await environment(event, context);
    } finally {
      idle.push(environment);
    }
  };
  // `--trace`: each worker invocation's jobs and time, on stderr.
  const worker: typeof handler = process.argv.includes('--trace')
    ? async (event, context) => {
        const t = performance.now();
        const out = await handler(event, context);
        const kinds = countBy(event.Records.map((r) => (JSON.parse(r.body) as { kind: string }).kind));
        process.stderr.write(`invocation ${((performance.now() - t) / 1000).toFixed(1)} s: ${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}\n`);
        return out;
      }
    : handler;

  const run = async (label: string, at: number) => {
    sm.calls.length = 0;
    proxy.calls.length = 0;
    slack.reset();
    digitalocean.requests.length = 0;
    const throttledBefore = sm.throttled;
    const metrics = captureMetrics();
    const started = performance.now();
    let listingMs: number;
    let events;
    try {
      const t = performance.now();
      await scan({ time: new Date(at).toISOString() }, { getRemainingTimeInMillis: () => 60_000 });
      listingMs = performance.now() - t;
      const source = startEventSource({ queueUrl, sqs, handler: worker, ...WORKER });
      events = await source.drain({ timeoutMs: 30 * 60_000 });
      await source.stop();
      if (process.argv.includes('--trace')) process.stderr.write(`event source: ${JSON.stringify(source.stats())}\n`);
    } finally {
      metrics.restore();
    }
    const wall = (performance.now() - started) / 1000;
    const awsCalls = [...sm.calls.map((c) => c.operation), ...proxy.calls];
    const byOp = countBy(awsCalls);
    const m = metrics.sum();
    const posts = slack.accepted('chat.postMessage');
    record(`${label}: wall time (scheduled function, then the worker until the queue is empty)`, `${wall.toFixed(0)} s`, label.includes('first') ? 'bounded by AWS\'s 50 tag writes a second' : '');
    record(
      `${label}: longest invocation`,
      `${(Math.max(listingMs, events.longestInvocationMs) / 1000).toFixed(1)} s (scheduled function ${(listingMs / 1000).toFixed(1)} s; ${events.invocations} worker invocations, at most ${events.peakConcurrency} at once)`,
      'at most 60 s',
      Math.max(listingMs, events.longestInvocationMs) <= 60_000,
    );
    record(
      `${label}: AWS calls per set`,
      `${(awsCalls.length / sets).toFixed(3)} (${[...byOp.entries()].sort((a, b) => b[1] - a[1]).map(([op, n]) => `${op} ${n}`).join(', ')})`,
      label.includes('quiet') ? 'at most 0.07' : '',
      label.includes('quiet') ? awsCalls.length / sets <= 0.07 : undefined,
    );
    record(
      `${label}: results`,
      `${m.SetsScanned} listed, ${m.SetsChecked} checked, ${m.AlertsSent} alerts in ${posts.length} Slack messages, ${m.RevokedFound} revoked, ${m.ScanFailures} failures; throttled by AWS ${sm.throttled - throttledBefore}; DigitalOcean calls ${digitalocean.requests.length}`,
      '0 failures, none throttled',
      (m.ScanFailures ?? 0) === 0 && sm.throttled === throttledBefore,
    );
    const busiest = busiestSecond(posts);
    record(`${label}: Slack messages per channel per second (most in any one second)`, `${busiest}; refused by Slack: ${slack.refusals.filter((r) => r.error === 'ratelimited').length}`, 'at most 1', busiest <= 1);
  };

  await run(`expiry scan of ${sets.toLocaleString('en')} sets, first run`, NOW);
  await run(`expiry scan of ${sets.toLocaleString('en')} sets, a quiet day (nothing changed)`, NOW + 3_600_000);
  sqs.destroy();
  await Promise.all([slack.close(), digitalocean.close(), sm.close(), aws.stop(), new Promise<void>((r) => proxy.server.close(() => r()))]);
}

/** 10% never expire; the rest spread from 20 days past to 380 days ahead; 1 in 1,000 revoked; 20 channels. */
function seed(sets: number, up: { slack: Awaited<ReturnType<typeof startFakeSlack>>; digitalocean: Awaited<ReturnType<typeof startFakeDigitalOcean>>; sm: Awaited<ReturnType<typeof startFakeSecretsManager>> }) {
  const entries = [];
  for (let i = 0; i < sets; i += 1) {
    const token = fakeDoToken();
    up.digitalocean.setToken(token, { scopes: ['api:write'], ...(i % 1000 === 7 ? { fault: 'unauthorized' as const } : {}) });
    const user = `UBENCH${i}`;
    up.slack.addUser(user);
    const days = i % 10 === 0 ? undefined : (i % 400) - 20;
    const expiry = days === undefined ? 'never' : new Date(NOW + days * 86_400_000).toISOString().slice(0, 10);
    entries.push({
      name: `do-creds/env-${i}`,
      value: JSON.stringify({ do_token: token, do_access_key: 'DO00BENCHBENCHBENCH1', do_secret_key: 'x', spaces_region: 'nyc3', spaces_endpoint: 'https://nyc3.digitaloceanspaces.com' }),
      tags: [
        { Key: 'do-creds:environment', Value: `env-${i}` },
        { Key: 'do-creds:token-expiry', Value: expiry },
        { Key: 'do-creds:token-fingerprint', Value: token.slice(-4) },
        { Key: 'do-creds:submitted-by', Value: user },
        { Key: 'do-creds:alert-channel', Value: `C0BENCH${String(i % CHANNELS).padStart(2, '0')}` },
        { Key: 'do-creds:validation', Value: 'ok' },
      ],
    });
  }
  up.sm.seedMany(entries);
  // As do-creds writes them: the tags say which version they describe, so no repair is due.
  for (let i = 0; i < sets; i += 1) {
    const secret = up.sm.secret(`do-creds/env-${i}`);
    secret?.tags.push({ Key: 'do-creds:metadata-version', Value: secret.versions[0]?.id ?? '' });
  }
}

async function makeQueue(sqs: SQSClient): Promise<string> {
  const dlq = (await sqs.send(new CreateQueueCommand({ QueueName: 'jobs-dlq' }))).QueueUrl!;
  const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  // serverless.yml's JobsQueue.
  const attributes = { VisibilityTimeout: '360', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 5 }) };
  return (await sqs.send(new CreateQueueCommand({ QueueName: 'jobs', Attributes: attributes }))).QueueUrl!;
}

async function makeTable(endpoint: string, credentials: { accessKeyId: string; secretAccessKey: string }): Promise<string> {
  const ddb = new DynamoDBClient({ region: 'us-east-1', endpoint, credentials });
  await ddb.send(
    new CreateTableCommand({
      TableName: 'jobs',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  ddb.destroy();
  return 'jobs';
}

/** Forwards to moto after `latencyMs`, recording each call's operation (X-Amz-Target, e.g. AmazonSQS.SendMessageBatch). */
async function countingProxy(target: string, latencyMs: number): Promise<{ url: string; calls: string[]; server: Server }> {
  const calls: string[] = [];
  const to = new URL(target);
  const server = createServer((req: IncomingMessage, res) => {
    const op = String(req.headers['x-amz-target'] ?? req.method ?? '?').split('.').pop() ?? '?';
    calls.push(op);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      setTimeout(() => {
        const upstream = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        upstream.on('error', () => res.writeHead(502).end());
        upstream.end(Buffer.concat(chunks));
      }, latencyMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls, server };
}

/** The scan's EMF lines (Powertools writes them to stdout), kept from the terminal and added up. */
function captureMetrics(): { sum(): Record<string, number>; restore(): void } {
  const write = process.stdout.write.bind(process.stdout);
  let buffer = '';
  const totals: Record<string, number> = {};
  process.stdout.write = ((chunk: string | Uint8Array) => {
    buffer += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (!line.includes('"_aws"')) continue;
      const parsed = JSON.parse(line) as Record<string, unknown>;
      for (const [k, v] of Object.entries(parsed)) if (typeof v === 'number') totals[k] = (totals[k] ?? 0) + v;
    }
    return true;
  });
  return {
    sum: () => totals,
    restore: () => {
      process.stdout.write = write;
    },
  };
}

function countBy(items: string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of items) out.set(item, (out.get(item) ?? 0) + 1);
  return out;
}

/** The most messages any one channel took within one second. */
function busiestSecond(posts: { args: Record<string, unknown>; at: number }[]): number {
  const byChannel = new Map<string, number[]>();
  for (const p of posts) {
    const times = byChannel.get(String(p.args.channel)) ?? [];
    if (times.length === 0) byChannel.set(String(p.args.channel), times);
    times.push(p.at);
  }
  let most = 0;
  for (const times of byChannel.values()) {
    times.sort((a, b) => a - b);
    for (let i = 0, j = 0; j < times.length; j += 1) {
      while (times[j]! - times[i]! >= 1000) i += 1;
      most = Math.max(most, j - i + 1);
    }
  }
  return most;
}
