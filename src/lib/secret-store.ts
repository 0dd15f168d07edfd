import { createHmac } from 'node:crypto';
import pThrottle from 'p-throttle';
import type * as SM from '@aws-sdk/client-secrets-manager';
import type { SecretsManagerClient, Tag } from '@aws-sdk/client-secrets-manager';
import type { CredentialStore, SaveOutcome, SecretValue, SetMetadata, StoredSet, StoreFault, StoreResult } from './credential-set.js';
import { ENVIRONMENT_PATTERN } from './credential-input.js';
import { decodeMetadata, encodeMetadata, type RawMetadata } from './set-metadata.js';
import { transportReason } from './transport-errors.js';

/**
 * AWS Secrets Manager: the only module that talks to it. One secret per environment, named
 * `{prefix}{environment}`; metadata as tags so that listing never reads a secret value. Later
 * saves add versions (the previous one stays as AWSPREVIOUS), with a ClientRequestToken derived
 * from the submission so a repeated delivery adds nothing. Semantics follow AWS, not an emulator:
 * a name scheduled for deletion answers CreateSecret with InvalidRequestException (see
 * ../shared/facts/aws.md), so a save looks first (DescribeSecret) and restores before writing.
 */

export interface SecretsManagerStoreOptions {
  prefix: string;
  kmsKeyId: string | undefined;
  region: string;
  endpoint: string | undefined;
  timeoutMs: number;
  /** Keys the idempotency token, so a version id reveals nothing about the value. */
  hmacKey: string;
  /** First retry delay; doubles per attempt. Small in Slack's 3-second path, larger for the scan. */
  retryBaseMs: number;
  /** Attempts per call (3 unless said): the scan, which nobody waits for, rides out a throttle longer. */
  maxAttempts?: number | undefined;
  /**
   * Calls a second from this process, for the scan's bulk work: AWS's quotas are per account and
   * Region ([aws.md]: TagResource + UntagResource 50, not adjustable; BatchGetSecretValue 100;
   * ListSecrets 100). Unset: not paced (the Slack function makes a few calls per request).
   */
  pacing?: StorePacing | undefined;
  client?: SecretsManagerClient;
}

export interface StorePacing {
  tagWrites: number;
  batchReads: number;
  listPages: number;
}

export const TAG = {
  environment: 'do-creds:environment',
  expiresAt: 'do-creds:token-expiry',
  submittedBy: 'do-creds:submitted-by',
  submittedAt: 'do-creds:submitted-at',
  tokenFingerprint: 'do-creds:token-fingerprint',
  tokenHmac: 'do-creds:token-hmac',
  tokenAccess: 'do-creds:token-access',
  spacesKeyId: 'do-creds:spaces-key-id',
  spacesRegion: 'do-creds:spaces-region',
  spacesBucket: 'do-creds:spaces-bucket',
  alertChannel: 'do-creds:alert-channel',
  validatedAt: 'do-creds:validated-at',
  validation: 'do-creds:validation',
  alertedThreshold: 'do-creds:alerted-threshold',
  describesVersion: 'do-creds:metadata-version',
} as const satisfies Record<keyof SetMetadata, string>;

/** Time kept back from a save's deadline to find out whether a write that timed out landed. */
const VERIFY_RESERVE_MS = 450;

// The SDK is loaded, and the client made, on the first call rather than at cold start.
let sdk: Promise<typeof SM> | undefined;
const loadSdk = () => (sdk ??= import('@aws-sdk/client-secrets-manager'));

export function createSecretsManagerStore(options: SecretsManagerStoreOptions): CredentialStore {
  let made: Promise<{ client: SecretsManagerClient; m: typeof SM }> | undefined;
  const connect = () =>
    (made ??= Promise.all([loadSdk(), import('@smithy/core/retry')]).then(([m, { ConfiguredRetryStrategy }]) => ({
      m,
      client:
        options.client ??
        new m.SecretsManagerClient({
          region: options.region,
          ...(options.endpoint ? { endpoint: options.endpoint } : {}),
          // Throttling and 5xx are retried with a bounded backoff; the caller's deadline bounds the total.
          retryStrategy: new ConfiguredRetryStrategy(options.maxAttempts ?? 3, (attempt) => options.retryBaseMs * 2 ** (attempt - 1)),
          requestHandler: { connectionTimeout: options.timeoutMs, requestTimeout: options.timeoutMs, throwOnRequestTimeout: true },
        }),
    })));
  const nameOf = (environment: string) => `${options.prefix}${environment}`;
  const opts = (signal?: AbortSignal) => (signal ? { abortSignal: signal } : {});
  /** Sends the command `make` builds from the SDK module, with the shared client. */
  const run = <T = unknown>(make: (m: typeof SM) => object, signal?: AbortSignal): Promise<Attempt<T>> =>
    attempt(async () => {
      const { client, m } = await connect();
      // Each caller names its command's output type; the SDK's union of commands is not inferable here.
      return (await client.send(make(m) as never, opts(signal))) as T;
    });

  const paced = (perSecond: number | undefined): (() => Promise<void>) =>
    perSecond ? pThrottle({ limit: perSecond, interval: 1000, strict: true })(() => Promise.resolve()) : () => Promise.resolve();
  const pace = paced(options.pacing?.tagWrites);
  const paceRead = paced(options.pacing?.batchReads);
  const paceList = paced(options.pacing?.listPages);

  /** Sets the given metadata as tags and removes optional ones that are now unset. */
  async function writeTags(name: string, metadata: Partial<SetMetadata>, signal?: AbortSignal): Promise<Attempt<unknown>> {
    const tags = toTags(metadata);
    const unset = (Object.keys(metadata) as (keyof SetMetadata)[])
      .filter((k) => metadata[k] === undefined && k !== 'expiresAt')
      .map((k) => TAG[k]);
    if (tags.length > 0) {
      await pace();
      const res = await run((m) => new m.TagResourceCommand({ SecretId: name, Tags: tags }), signal);
      if (!res.ok) return res;
    }
    if (unset.length > 0) {
      await pace();
      return run((m) => new m.UntagResourceCommand({ SecretId: name, TagKeys: unset }), signal);
    }
    return { ok: true, value: undefined };
  }

  const describeSecret = (name: string, signal?: AbortSignal) =>
    run<SM.DescribeSecretCommandOutput>((m) => new m.DescribeSecretCommand({ SecretId: name }), signal);

  /**
   * After a write whose answer never came (timeout, abort, 5xx): whether version `token` exists
   * now. The version id is the deterministic ClientRequestToken, so DescribeSecret tells.
   */
  async function landed(name: string, token: string, deadline: number): Promise<boolean> {
    const left = deadline - Date.now();
    if (left < 50) return false;
    const res = await describeSecret(name, AbortSignal.timeout(left));
    return res.ok && Object.hasOwn(res.value.VersionIdsToStages ?? {}, token);
  }

  async function save(version: Parameters<CredentialStore['save']>[0], deadline = Date.now() + 10_000): Promise<StoreResult<SaveOutcome>> {
    const name = nameOf(version.metadata.environment);
    const secretString = JSON.stringify(version.value);
    const token = createHmac('sha256', options.hmacKey).update(`${version.idempotencyKey}\0${secretString}`).digest('hex');
    const metadata: SetMetadata = { ...version.metadata, describesVersion: token };
    const writeBy = AbortSignal.timeout(Math.max(100, deadline - VERIFY_RESERVE_MS - Date.now()));

    /** A write that failed without an answer may still have landed: find out before saying anything. */
    const settle = async (res: Attempt<unknown>, outcome: 'created' | 'updated' | 'restored'): Promise<StoreResult<SaveOutcome>> => {
      if (res.ok) return finish(outcome);
      if (res.fault.kind !== 'unanswered' && res.fault.kind !== 'server_error') return publicFault(res.fault);
      if (await landed(name, token, deadline)) return finish(outcome);
      // Absent after a 5xx: the write is over and did not take. Absent after no answer proves nothing.
      return res.fault.kind === 'server_error' ? { kind: 'unavailable' } : { kind: 'unknown_outcome' };
    };
    /** The value is stored; the tags follow, and a failure there leaves them marked out of date. */
    const finish = async (outcome: 'created' | 'updated' | 'restored'): Promise<StoreResult<SaveOutcome>> => {
      const tagged = outcome === 'created' ? { ok: true } : await writeTags(name, metadata, AbortSignal.timeout(Math.max(50, deadline - Date.now())));
      return { kind: 'ok', outcome, name, versionId: token, metadataWritten: tagged.ok };
    };
    const put = () => run((m) => new m.PutSecretValueCommand({ SecretId: name, SecretString: secretString, ClientRequestToken: token }), writeBy);
    const restoreThenPut = async () => {
      const restored = await run((m) => new m.RestoreSecretCommand({ SecretId: name }), writeBy);
      if (!restored.ok) return publicFault(restored.fault);
      return settle(await put(), 'restored');
    };

    const found = await describeSecret(name, writeBy);
    if (!found.ok && found.fault.kind !== 'not_found') return publicFault(found.fault);
    if (found.ok && found.value.DeletedDate !== undefined) return restoreThenPut();
    if (found.ok) {
      const stages = found.value.VersionIdsToStages?.[token];
      if (stages !== undefined) {
        // This very submission is stored already (Submit pressed twice): nothing new to write.
        const current = stages.includes('AWSCURRENT');
        const tagged = current ? await writeTags(name, metadata, writeBy) : { ok: true };
        return { kind: 'ok', outcome: 'unchanged', name, versionId: token, current, metadataWritten: tagged.ok };
      }
      return settle(await put(), 'updated');
    }
    const created = await run(
      (m) =>
        new m.CreateSecretCommand({
          Name: name,
          SecretString: secretString,
          ClientRequestToken: token,
          Description: `DigitalOcean credentials for Terraform, environment ${version.metadata.environment} (managed by do-creds)`,
          Tags: toTags(metadata),
          ...(options.kmsKeyId ? { KmsKeyId: options.kmsKeyId } : {}),
        }),
      writeBy,
    );
    if (created.ok) return finish('created');
    // Created meanwhile by another submission: add a version instead.
    if (created.name === 'ResourceExistsException') return settle(await put(), 'updated');
    // Scheduled for deletion since the look (AWS answers CreateSecret so on such a name).
    if (created.name === 'InvalidRequestException') return restoreThenPut();
    return settle(created, 'created');
  }

  async function listPage(cursor?: string, signal?: AbortSignal): Promise<StoreResult<{ sets: StoredSet[]; cursor: string | undefined }>> {
    await paceList();
    const res = await run<SM.ListSecretsCommandOutput>(
      (m) =>
        new m.ListSecretsCommand({
          MaxResults: 100,
          NextToken: cursor,
          Filters: [
            { Key: 'name', Values: [options.prefix] },
            { Key: 'tag-key', Values: [TAG.environment] },
          ],
        }),
      signal,
    );
    if (!res.ok) return publicFault(res.fault);
    const sets: StoredSet[] = [];
    for (const s of res.value.SecretList ?? []) {
      // ListSecrets may lag by minutes (AWS): a set deleted meanwhile can still be listed.
      if (s.DeletedDate !== undefined) continue;
      const set = toStoredSet(s.Name ?? '', options.prefix, s.Tags, s.SecretVersionsToStages);
      if (set) sets.push(set);
    }
    return { kind: 'ok', sets, cursor: res.value.NextToken || undefined };
  }

  return {
    description: `AWS Secrets Manager (${options.region})`,
    kind: 'secrets-manager',
    nameOf,
    save,

    async describe(environment, signal) {
      const res = await describeSecret(nameOf(environment), signal);
      if (!res.ok) return res.fault.kind === 'not_found' ? { kind: 'ok', set: undefined } : publicFault(res.fault);
      if (res.value.DeletedDate !== undefined) return { kind: 'ok', set: undefined };
      return { kind: 'ok', set: toStoredSet(res.value.Name ?? nameOf(environment), options.prefix, res.value.Tags, res.value.VersionIdsToStages) };
    },

    async list(signal) {
      const sets: StoredSet[] = [];
      let cursor: string | undefined;
      do {
        const page = await listPage(cursor, signal);
        if (page.kind !== 'ok') return page;
        sets.push(...page.sets);
        cursor = page.cursor;
      } while (cursor);
      return { kind: 'ok', sets: sets.sort((a, b) => a.metadata.environment.localeCompare(b.metadata.environment)) };
    },

    listPage,

    async delete(environment, recoveryDays, signal) {
      const res = await run<SM.DeleteSecretCommandOutput>(
        (m) => new m.DeleteSecretCommand({ SecretId: nameOf(environment), RecoveryWindowInDays: recoveryDays }),
        signal,
      );
      // Not found, or already scheduled for deletion (InvalidRequestException): nothing left to delete.
      if (!res.ok && (res.fault.kind === 'not_found' || res.name === 'InvalidRequestException')) return { kind: 'ok', deletionDate: undefined };
      if (!res.ok) return publicFault(res.fault);
      return { kind: 'ok', deletionDate: res.value.DeletionDate };
    },

    async updateMetadata(environment, patch, signal) {
      const res = await writeTags(nameOf(environment), patch, signal);
      return res.ok ? { kind: 'ok' } : publicFault(res.fault);
    },

    async readValues(environments, signal) {
      const values = new Map<string, SecretValue>();
      const versions = new Map<string, string>();
      for (let i = 0; i < environments.length; i += 20) {
        const ids = environments.slice(i, i + 20).map(nameOf);
        await paceRead();
        const res = await run<SM.BatchGetSecretValueCommandOutput>((m) => new m.BatchGetSecretValueCommand({ SecretIdList: ids }), signal);
        if (!res.ok) return publicFault(res.fault);
        // Secrets deleted since they were listed come back as Errors entries, not values (AWS).
        for (const v of res.value.SecretValues ?? []) {
          const value = parseSecretValue(v.SecretString);
          if (!v.Name || !value) continue;
          const env = v.Name.slice(options.prefix.length);
          values.set(env, value);
          if (v.VersionId) versions.set(env, v.VersionId);
        }
      }
      return { kind: 'ok', values, versions };
    },
  };
}

/**
 * `unanswered`: no answer came (timeout, abort, reset), so a write may still land; `server_error`: AWS
 * answered 5xx, so the write is over, whether or not it took effect.
 */
type InternalFault = StoreFault | { kind: 'not_found' } | { kind: 'unanswered' } | { kind: 'server_error' };
type Attempt<T> = { ok: true; value: T } | { ok: false; name: string | undefined; fault: InternalFault };

async function attempt<T>(call: () => Promise<T>): Promise<Attempt<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    return { ok: false, name: (error as { name?: string } | undefined)?.name, fault: classifyError(error) };
  }
}

function publicFault(fault: InternalFault): StoreFault {
  return fault.kind === 'not_found' || fault.kind === 'unanswered' || fault.kind === 'server_error' ? { kind: 'unavailable' } : fault;
}

/** Error names only: the SDK's error objects can carry request details, so none is ever logged. */
function classifyError(error: unknown): InternalFault {
  switch ((error as { name?: string } | undefined)?.name) {
    case 'AccessDeniedException':
    case 'UnrecognizedClientException':
      return { kind: 'access_denied' };
    case 'EncryptionFailure':
    case 'DecryptionFailure':
    case 'KMSAccessDeniedException':
    case 'KMSDisabledException':
    case 'KMSInvalidStateException':
    case 'KMSNotFoundException':
      return { kind: 'kms' };
    case 'ThrottlingException':
    case 'TooManyRequestsException':
    case 'LimitExceededException':
      return { kind: 'throttled' };
    case 'ResourceNotFoundException':
      return { kind: 'not_found' };
    // Thrown by the SDK before any request when no credentials can be found (e.g. AWS_PROFILE names a missing profile).
    case 'CredentialsProviderError':
      return { kind: 'no_credentials' };
  }
  // No HTTP answer and the connection never opened (refused, DNS, TLS): the request was not sent.
  const e = error as { $metadata?: { httpStatusCode?: number }; code?: string } | undefined;
  if ((e?.$metadata?.httpStatusCode ?? 0) >= 500) return { kind: 'server_error' };
  const reason = e?.$metadata?.httpStatusCode === undefined ? transportReason(error) : undefined;
  const notSent = reason === 'dns' || reason === 'tls' || e?.code === 'ECONNREFUSED';
  return notSent ? { kind: 'unavailable' } : { kind: 'unanswered' };
}

export function toTags(metadata: Partial<SetMetadata>): Tag[] {
  return Object.entries(encodeMetadata(metadata)).map(([key, value]) => ({ Key: TAG[key as keyof SetMetadata], Value: value }));
}

/**
 * Reads a set back from its name and tags. The environment is the name's; tags are checked as a
 * submitted form is (set-metadata.ts); a secret without do-creds' environment tag is not one of ours.
 */
export function toStoredSet(name: string, prefix: string, tags: Tag[] | undefined, versions?: Record<string, string[]>): StoredSet | undefined {
  // Only names do-creds itself makes: an environment name that fails the form's rule is not ours.
  if (!name.startsWith(prefix) || !ENVIRONMENT_PATTERN.test(name.slice(prefix.length))) return undefined;
  const byTag = new Map((tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
  if (!byTag.has(TAG.environment)) return undefined;
  const raw: RawMetadata = {};
  for (const key of Object.keys(TAG) as (keyof SetMetadata)[]) {
    const value = byTag.get(TAG[key]);
    if (value !== undefined) raw[key] = value;
  }
  const { metadata, damaged } = decodeMetadata(name.slice(prefix.length), raw);
  const currentVersion = Object.entries(versions ?? {}).find(([, stages]) => stages.includes('AWSCURRENT'))?.[0];
  return { name, metadata, damaged, currentVersion };
}

function parseSecretValue(text: string | undefined): SecretValue | undefined {
  try {
    const v = JSON.parse(text ?? '') as Partial<SecretValue>;
    return typeof v.do_token === 'string' ? (v as SecretValue) : undefined;
  } catch {
    return undefined;
  }
}
