import { createServer, type IncomingMessage } from 'node:http';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';

/**
 * Serves the Lambda handler over HTTP on localhost (POST /slack/events), so a Slack app can reach
 * a developer's machine through any tunnel. Each request becomes the API Gateway event the
 * deployed function receives.
 */

const port = Number(process.env.PORT ?? 3000);
const missing = ['SLACK_SIGNING_SECRET', 'SLACK_BOT_TOKEN'].filter((name) => !process.env[name]);
if (missing.length > 0) {
  process.stderr.write(
    `do-creds needs ${missing.join(' and ')} to talk to Slack.\n` +
      'Create the Slack app from slack-app-manifest.yml (see README, "Create the Slack app"), then:\n' +
      '  export SLACK_SIGNING_SECRET=...   # Basic Information -> App Credentials\n' +
      '  export SLACK_BOT_TOKEN=...        # OAuth & Permissions -> Bot User OAuth Token\n' +
      '  npm start\n',
  );
  process.exit(1);
}

const { handler } = await import('../handlers/slack.js');

const server = createServer((req, res) => {
  void (async () => {
    if (req.method !== 'POST' || req.url?.split('?')[0] !== '/slack/events') {
      res.writeHead(404).end();
      return;
    }
    const result = await handler(await toEvent(req), localContext());
    res.writeHead(result.statusCode ?? 200, toHeaders(result.headers));
    res.end(result.body ?? '');
  })().catch(() => {
    res.writeHead(500).end();
  });
});

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`do-creds listening on http://127.0.0.1:${port}/slack/events\n`);
});

async function toEvent(req: IncomingMessage): Promise<APIGatewayProxyEventV2> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers = Object.fromEntries(
    Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(',') : (v ?? '')]),
  );
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: 'POST /slack/events',
    rawPath: '/slack/events',
    rawQueryString: '',
    headers,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method: 'POST', path: '/slack/events', protocol: 'HTTP/1.1', sourceIp: req.socket.remoteAddress ?? '', userAgent: headers['user-agent'] ?? '' },
      requestId: String(now),
      routeKey: 'POST /slack/events',
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
    },
    body: Buffer.concat(chunks).toString('utf8'),
    isBase64Encoded: false,
  };
}

function toHeaders(headers: Record<string, unknown> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k, String(v)]));
}

function localContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'do-creds-local',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'local',
    memoryLimitInMB: '512',
    awsRequestId: String(Date.now()),
    logGroupName: 'local',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
