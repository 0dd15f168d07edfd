import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from '../../src/local/http.js';

/**
 * A local S3-compatible Spaces endpoint on 127.0.0.1 that really verifies AWS Signature V4
 * (canonical request, string to sign, derived signing key), so a wrong secret fails exactly as
 * Spaces fails it. Path-style only. Supports ListBuckets and ListObjectsV2, S3 XML errors, keys
 * limited to some buckets, objects (HEAD/GET/PUT/DELETE, enough for Terraform's s3 backend),
 * RequestTimeTooSkewed beyond 15 minutes, and per-server faults.
 */

export interface SpacesKey {
  secret: string;
  /** undefined: full access; otherwise the only buckets this key may use. */
  buckets?: string[];
  /**
   * A limited key's permission on its buckets (DigitalOcean's manage-access docs, March 2026: read,
   * readwrite or fullaccess; facts digitalocean.md). Read keys may not write or delete objects.
   */
  permission?: 'read' | 'readwrite' | 'fullaccess';
}

export interface FakeSpaces {
  url: string;
  requests: { method: string; path: string; accessKey: string | undefined }[];
  addKey(accessKey: string, key: SpacesKey): void;
  addBucket(name: string): void;
  /** Every request is delayed, answered with this status, or its connection reset. */
  setFault(fault: { delayMs?: number; status?: number; reset?: boolean } | undefined): void;
  close(): Promise<void>;
}

export async function startFakeSpaces(): Promise<FakeSpaces> {
  const keys = new Map<string, SpacesKey>();
  const buckets = new Set<string>();
  const objects = new Map<string, { body: Buffer; etag: string }>();
  const requests: FakeSpaces['requests'] = [];
  let fault: { delayMs?: number; status?: number; reset?: boolean } | undefined;

  const server = createServer((req, res) => void handle(req, res));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const auth = parseAuthorization(req.headers.authorization);
    requests.push({ method: req.method ?? '', path: req.url ?? '/', accessKey: auth?.accessKey });
    if (fault?.delayMs) await sleep(fault.delayMs);
    if (res.destroyed) return;
    if (fault?.reset) return void req.socket.destroy();
    if (fault?.status) return s3Error(res, fault.status, fault.status === 503 ? 'SlowDown' : 'InternalError', 'Injected fault');

    if (auth === undefined) return s3Error(res, 403, 'AccessDenied', 'Access Denied');
    const key = keys.get(auth.accessKey);
    if (key === undefined) return s3Error(res, 403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
    if (!signatureMatches(req, body, auth, key.secret)) {
      return s3Error(res, 403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
    }

    // Spaces, like S3, refuses a request signed more than 15 minutes from its clock (facts: digitalocean.md).
    const signedAt = parseAmzDate(header(req, 'x-amz-date'));
    if (signedAt === undefined || Math.abs(Date.now() - signedAt) > 15 * 60_000) {
      return s3Error(res, 403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.');
    }

    const url = new URL(req.url ?? '/', 'http://localhost');
    const [, rawBucket = '', ...rest] = url.pathname.split('/');
    const bucket = decodeURIComponent(rawBucket);
    const objectKey = decodeURIComponent(rest.join('/'));
    if (req.method === 'GET' && bucket === '') return listBuckets(res, key);
    if (!buckets.has(bucket)) return s3Error(res, 404, 'NoSuchBucket', 'The specified bucket does not exist.', req.method === 'HEAD');
    if (key.buckets && !key.buckets.includes(bucket)) return s3Error(res, 403, 'AccessDenied', 'Access Denied', req.method === 'HEAD');
    if (req.method === 'GET' && objectKey === '' && url.searchParams.get('list-type') === '2') return listObjects(res, bucket, url);
    const writes = req.method === 'PUT' || req.method === 'DELETE';
    if (objectKey !== '' && writes && key.buckets && key.permission === 'read') return s3Error(res, 403, 'AccessDenied', 'Access Denied');
    if (objectKey !== '') return object(req, res, `${bucket}/${objectKey}`, body);
    return s3Error(res, 501, 'NotImplemented', 'Not implemented by the fake');
  }

  /** ListObjectsV2 with a prefix (S3 API reference: ListObjectsV2), one page. */
  function listObjects(res: ServerResponse, bucket: string, url: URL): void {
    const prefix = url.searchParams.get('prefix') ?? '';
    const found = [...objects.entries()].filter(([k]) => k.startsWith(`${bucket}/${prefix}`)).map(([k, o]) => ({ key: k.slice(bucket.length + 1), ...o }));
    const contents = found.map((o) => `<Contents><Key>${escapeXml(o.key)}</Key><ETag>"${o.etag}"</ETag><Size>${o.body.length}</Size></Contents>`).join('');
    xml(res, 200, `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${bucket}</Name><Prefix>${escapeXml(prefix)}</Prefix><KeyCount>${found.length}</KeyCount><MaxKeys>${url.searchParams.get('max-keys') ?? '1000'}</MaxKeys><IsTruncated>false</IsTruncated>${contents}</ListBucketResult>`);
  }

  /**
   * HeadObject, GetObject, PutObject and DeleteObject (S3 API reference): a missing key is 404
   * NoSuchKey, and a HEAD answer carries no body. Enough for Terraform's s3 backend.
   */
  function object(req: IncomingMessage, res: ServerResponse, path: string, body: Buffer): void {
    const found = objects.get(path);
    switch (req.method) {
      case 'HEAD':
      case 'GET':
        if (!found) return s3Error(res, 404, 'NoSuchKey', 'The specified key does not exist.', req.method === 'HEAD');
        res.writeHead(200, { etag: `"${found.etag}"`, 'content-length': String(found.body.length), 'content-type': 'application/octet-stream' });
        return void res.end(req.method === 'GET' ? found.body : undefined);
      case 'PUT': {
        const etag = createHash('md5').update(body).digest('hex');
        objects.set(path, { body, etag });
        res.writeHead(200, { etag: `"${etag}"` });
        return void res.end();
      }
      case 'DELETE':
        objects.delete(path);
        res.writeHead(204);
        return void res.end();
      default:
        return s3Error(res, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
    }
  }

  function listBuckets(res: ServerResponse, key: SpacesKey): void {
    if (key.buckets) return s3Error(res, 403, 'AccessDenied', 'Access Denied');
    const items = [...buckets].map((b) => `<Bucket><Name>${b}</Name><CreationDate>2025-01-01T00:00:00.000Z</CreationDate></Bucket>`).join('');
    xml(res, 200, `<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>1234567</ID><DisplayName>1234567</DisplayName></Owner><Buckets>${items}</Buckets></ListAllMyBucketsResult>`);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    addKey: (accessKey, key) => keys.set(accessKey, key),
    addBucket: (name) => buckets.add(name),
    setFault: (f) => {
      fault = f;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface ParsedAuth {
  accessKey: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

function parseAuthorization(header: string | undefined): ParsedAuth | undefined {
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(header ?? '');
  if (!m) return undefined;
  return { accessKey: m[1]!, date: m[2]!, region: m[3]!, service: m[4]!, signedHeaders: m[5]!.split(';'), signature: m[6]! };
}

function signatureMatches(req: IncomingMessage, body: Buffer, auth: ParsedAuth, secret: string): boolean {
  const amzDate = header(req, 'x-amz-date');
  if (!amzDate?.startsWith(auth.date)) return false;
  const payloadHash = header(req, 'x-amz-content-sha256') ?? sha256(body);
  if (payloadHash !== 'UNSIGNED-PAYLOAD' && payloadHash !== sha256(body)) return false;
  const [path = '/', query = ''] = (req.url ?? '/').split('?');
  const canonicalRequest = [
    req.method,
    path,
    canonicalQuery(query),
    auth.signedHeaders.map((h) => `${h}:${(header(req, h) ?? '').trim().replace(/\s+/g, ' ')}\n`).join(''),
    auth.signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  let key: Buffer = hmac(`AWS4${secret}`, auth.date);
  for (const part of [auth.region, auth.service, 'aws4_request']) key = hmac(key, part);
  const expected = hmac(key, stringToSign);
  const given = Buffer.from(auth.signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function canonicalQuery(query: string): string {
  if (query === '') return '';
  return query
    .split('&')
    .map((pair) => {
      const [k = '', v = ''] = pair.split('=');
      return [rfc3986(decodeURIComponent(k)), rfc3986(decodeURIComponent(v))] as const;
    })
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** S3's XML error; an answer to HEAD has the status alone, no body (S3 API reference: HeadObject). */
function s3Error(res: ServerResponse, status: number, code: string, message: string, head = false): void {
  if (head) {
    res.writeHead(status, { 'x-amz-request-id': 'tx-fake' });
    return void res.end();
  }
  xml(res, status, `<Error><Code>${code}</Code><Message>${message}</Message><RequestId>tx-fake</RequestId><HostId>fake</HostId></Error>`);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** `20261124T101500Z` as epoch milliseconds. */
function parseAmzDate(value: string | undefined): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value ?? '');
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) : undefined;
}

function xml(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/xml', 'x-amz-request-id': 'tx-fake' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>${body}`);
}


function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
