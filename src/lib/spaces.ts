import type { Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import type * as S3 from '@aws-sdk/client-s3';
import { transportReason } from './transport-errors.js';
import { spacesEndpoint, type SpacesRegion } from './regions.js';

/**
 * Checks a Spaces key pair over the S3 API. With a bucket: a one-key ListObjectsV2 on it;
 * without: ListBuckets. (HeadBucket answers with no body, so a bad key and a bad secret would look
 * alike there.) Faults are values; nothing returned carries the secret.
 */

export interface SpacesCredentials {
  accessKey: string;
  secretKey: string;
  region: SpacesRegion;
  bucket: string | undefined;
}

export type SpacesCheck =
  | { kind: 'ok'; endpoint: string }
  | { kind: 'invalid_access_key' }
  | { kind: 'signature_mismatch' }
  | { kind: 'no_such_bucket' }
  | { kind: 'access_denied'; to: 'bucket' | 'bucket_list' }
  | { kind: 'rate_limited' }
  /** Spaces refuses requests signed more than 15 minutes away from its clock. */
  | { kind: 'clock_skew' }
  | { kind: 'unavailable'; reason: 'timeout' | 'dns' | 'network' | 'tls' | 'server_error' | 'bad_response' };

export interface SpacesOptions {
  /** SPACES_ENDPOINT_URL: `https://{region}.digitaloceanspaces.com` unless configured. */
  endpointTemplate: string;
  timeoutMs: number;
}

export interface SpacesChecker {
  check(credentials: SpacesCredentials): Promise<SpacesCheck>;
}

// The S3 client is loaded on the first check, not at cold start.
let s3: Promise<typeof S3> | undefined;
const loadS3 = () => (s3 ??= import('@aws-sdk/client-s3'));

// Kept-alive sockets shared across warm invocations; the client itself is per key pair. Made on the
// first check too: node:http and node:https are not otherwise loaded at the Slack function's cold start.
let agents: Promise<{ httpAgent: HttpAgent; httpsAgent: HttpsAgent }> | undefined;
const sharedAgents = () =>
  (agents ??= Promise.all([import('node:http'), import('node:https')]).then(([http, https]) => ({
    httpAgent: new http.Agent({ keepAlive: true }),
    httpsAgent: new https.Agent({ keepAlive: true }),
  })));

export function createSpacesChecker(options: SpacesOptions): SpacesChecker {
  return {
    async check(credentials) {
      const endpoint = spacesEndpoint(credentials.region, options.endpointTemplate);
      const [{ S3Client, ListBucketsCommand, ListObjectsV2Command }, { httpAgent, httpsAgent }] = await Promise.all([loadS3(), sharedAgents()]);
      const client = new S3Client({
        endpoint,
        // Spaces takes SigV4 scoped to us-east-1 whatever the datacenter, as DigitalOcean documents.
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: credentials.accessKey, secretAccessKey: credentials.secretKey },
        // Slack waits 3 s: one attempt, bounded, and the person retries.
        maxAttempts: 1,
        requestHandler: {
          connectionTimeout: options.timeoutMs,
          requestTimeout: options.timeoutMs,
          throwOnRequestTimeout: true,
          httpAgent,
          httpsAgent,
        },
      });
      try {
        const command =
          credentials.bucket === undefined
            ? new ListBucketsCommand({})
            : new ListObjectsV2Command({ Bucket: credentials.bucket, MaxKeys: 1 });
        await client.send(command as S3.ListBucketsCommand, { abortSignal: AbortSignal.timeout(options.timeoutMs) });
        return { kind: 'ok', endpoint };
      } catch (error) {
        return classifyS3Error(error, credentials.bucket !== undefined);
      }
      // No client.destroy(): it destroys the shared agents, cutting other checks' requests and
      // throwing away the kept-alive sockets. The client holds nothing else.
    },
  };
}

interface S3ErrorShape {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

export function classifyS3Error(error: unknown, withBucket: boolean): SpacesCheck {
  const e = (error ?? {}) as S3ErrorShape;
  const status = e.$metadata?.httpStatusCode;
  switch (e.name) {
    case 'InvalidAccessKeyId':
      return { kind: 'invalid_access_key' };
    case 'SignatureDoesNotMatch':
      return { kind: 'signature_mismatch' };
    case 'NoSuchBucket':
      return { kind: 'no_such_bucket' };
    case 'AccessDenied':
      return { kind: 'access_denied', to: withBucket ? 'bucket' : 'bucket_list' };
    case 'SlowDown':
    case 'TooManyRequests':
      return { kind: 'rate_limited' };
    case 'RequestTimeTooSkewed':
      return { kind: 'clock_skew' };
    case 'RequestTimeout':
      return { kind: 'unavailable', reason: 'timeout' };
    case 'TimeoutError':
    case 'AbortError':
      return { kind: 'unavailable', reason: transportReason(error) };
  }
  if (status === 429) return { kind: 'rate_limited' };
  if (status !== undefined && status >= 500) return { kind: 'unavailable', reason: 'server_error' };
  if (status === 403) return { kind: 'access_denied', to: withBucket ? 'bucket' : 'bucket_list' };
  if (status === 404 && withBucket) return { kind: 'no_such_bucket' };
  // No HTTP status: the request never got an answer (DNS, TLS, network, timeout).
  if (status === undefined) return { kind: 'unavailable', reason: transportReason(error) };
  // A 2xx the SDK could not parse, or a status S3 does not use: not Spaces' usual XML.
  return { kind: 'unavailable', reason: status < 300 ? 'bad_response' : 'server_error' };
}
