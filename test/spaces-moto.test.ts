import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSpacesChecker, type SpacesChecker, type SpacesCredentials } from '../src/lib/spaces.js';
import { createIamAccessKey, motoStatus, startMoto, type IamAccessKey, type Moto } from './support/moto.js';

/**
 * The product's Spaces check (createSpacesChecker, src/lib/spaces.ts) against moto's S3 with
 * signature checking on: the server starts with INITIAL_NO_AUTH_ACTION_COUNT=0, and the access keys
 * are created through moto's IAM API in a short unauthenticated window (POST /moto-api/reset-auth),
 * so moto really verifies each request's SigV4 signature against them (/work/shared/facts/aws.md).
 * This is a second opinion on the S3 wire protocol next to test/support/fake-spaces.ts.
 *
 * Where moto's answers differ from what Spaces/S3 document, MOTO_S3_DEVIATES says so and the test
 * asserts moto's answer, so that a change in moto shows up here.
 */

const MOTO_S3_DEVIATES = {
  'clock-skew': {
    source:
      'S3 API reference, Error responses: RequestTimeTooSkewed (403), "The difference between the request time and the server\'s time is too large" (15 minutes); Spaces answers the same (the product\'s clock_skew, src/lib/spaces.ts); aws.md: moto "does not check clock skew"',
    spaces: { kind: 'clock_skew' },
    moto: { kind: 'ok' },
  },
} as const;

const MOTO = motoStatus();
const BUCKET = 'do-creds-terraform-state';

describe.skipIf(!MOTO.ok)(`Spaces check against moto S3 with signature checking${MOTO.ok ? '' : ` (skipped: ${MOTO.reason})`}`, () => {
  let moto: Moto;
  let key: IamAccessKey;
  let checker: SpacesChecker;
  const creds = (over: Partial<SpacesCredentials> = {}): SpacesCredentials => ({
    accessKey: key.accessKeyId,
    secretKey: key.secretAccessKey,
    region: 'nyc3',
    bucket: BUCKET,
    ...over,
  });

  beforeAll(async () => {
    const started = await startMoto({ auth: true });
    if (!started) throw new Error('moto did not start');
    moto = started;
    key = await createIamAccessKey(moto, { userName: 'spaces-checker' });
    // The bucket is made with the new key: signed, and allowed by its s3:* policy.
    const s3 = new S3Client({
      endpoint: moto.url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
      maxAttempts: 1,
    });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    s3.destroy();
    // The endpoint template without {region}: every region's endpoint is this one server.
    checker = createSpacesChecker({ endpointTemplate: moto.url, timeoutMs: 5000 });
  }, 30_000);
  afterAll(async () => {
    await moto?.stop();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a good key and secret on an existing bucket is ok', async () => {
    expect(await checker.check(creds())).toEqual({ kind: 'ok', endpoint: moto.url });
  });

  it('without a bucket, the key is checked with ListBuckets', async () => {
    expect(await checker.check(creds({ bucket: undefined }))).toEqual({ kind: 'ok', endpoint: moto.url });
  });

  it('a wrong secret is signature_mismatch (SignatureDoesNotMatch): moto really checks the signature', async () => {
    const wrong = `${key.secretAccessKey.slice(0, -4)}AAAA` === key.secretAccessKey ? `${key.secretAccessKey.slice(0, -4)}BBBB` : `${key.secretAccessKey.slice(0, -4)}AAAA`;
    expect(await checker.check(creds({ secretKey: wrong }))).toEqual({ kind: 'signature_mismatch' });
    expect(await checker.check(creds({ secretKey: wrong, bucket: undefined }))).toEqual({ kind: 'signature_mismatch' });
  });

  it('an access key moto never issued is invalid_access_key (InvalidAccessKeyId)', async () => {
    expect(await checker.check(creds({ accessKey: 'AKIAUNKNOWNKEY000000' }))).toEqual({ kind: 'invalid_access_key' });
  });

  it('a bucket that does not exist is no_such_bucket (NoSuchBucket)', async () => {
    expect(await checker.check(creds({ bucket: 'no-such-bucket-here' }))).toEqual({ kind: 'no_such_bucket' });
  });

  it('a valid key without permission on the bucket is access_denied (AccessDenied)', async () => {
    const powerless = await createIamAccessKey(moto, { userName: 'no-permissions', actions: [] });
    expect(await checker.check(creds({ accessKey: powerless.accessKeyId, secretKey: powerless.secretAccessKey }))).toEqual({ kind: 'access_denied', to: 'bucket' });
  });

  it('a request signed an hour off: Spaces answers RequestTimeTooSkewed; moto does not check the clock', async () => {
    // Only Date is faked: the SDK signs with an X-Amz-Date an hour ahead, real timers still run.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 60 * 60 * 1000);
    const result = await checker.check(creds());
    vi.useRealTimers();
    const d = MOTO_S3_DEVIATES['clock-skew'];
    expect({ kind: result.kind }, `moto's recorded deviation "clock-skew" (Spaces: ${JSON.stringify(d.spaces)}; ${d.source}) no longer holds`).toEqual(d.moto);
  });
});
