import { createHmac } from 'node:crypto';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';

/** What API Gateway (HTTP API, payload 2.0) and Slack put around a request: for the local server, the terminal driver and the tests. */

export function apiGatewayEvent(headers: Record<string, string>, body: string, base64: boolean, sourceIp = '127.0.0.1'): APIGatewayProxyEventV2 {
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
      http: { method: 'POST', path: '/slack/events', protocol: 'HTTP/1.1', sourceIp, userAgent: headers['user-agent'] ?? '' },
      requestId: `req-${now}`,
      routeKey: 'POST /slack/events',
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
    },
    body: base64 ? Buffer.from(body, 'utf8').toString('base64') : body,
    isBase64Encoded: base64,
  };
}

export function lambdaContext(functionName = 'do-creds-local'): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: `aws-${Date.now()}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Slack's request signature: `v0=` + HMAC-SHA256 of `v0:{timestamp}:{body}` with the signing secret. */
export function slackSignature(secret: string, timestamp: number, body: string): string {
  return 'v0=' + createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex');
}
