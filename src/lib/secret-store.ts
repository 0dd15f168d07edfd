import { createHmac } from 'node:crypto';
import type * as SM from '@aws-sdk/client-secrets-manager';
import type { SecretsManagerClient, Tag } from '@aws-sdk/client-secrets-manager';
import type { CredentialStore, SecretValue, SetMetadata, StoredSet, StoreFault } from './credential-set.js';
import { decodeTokenAccess, encodeTokenAccess } from './digitalocean/scopes.js';
import { isoDay, parseIsoDate } from './expiry.js';

/**
 * AWS Secrets Manager: the only module that talks to it. One secret per environment, named
 * `{prefix}{environment}`; metadata as tags so that listing never reads a secret value. Later
 * saves add versions (the previous one stays as AWSPREVIOUS), with a ClientRequestToken derived
 * from the submission so a repeated delivery adds nothing.
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
  client?: SecretsManagerClient;
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
} as const satisfies Record<keyof SetMetadata, string>;

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
          retryStrategy: new ConfiguredRetryStrategy(3, (attempt) => options.retryBaseMs * 2 ** (attempt - 1)),
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

  /** Sets the given metadata as tags and removes optional ones that are now unset. */
  async function writeTags(name: string, metadata: Partial<SetMetadata>, signal?: AbortSignal): Promise<Attempt<unknown>> {
    const tags = toTags(metadata);
    const unset = (Object.keys(metadata) as (keyof SetMetadata)[])
      .filter((k) => metadata[k] === undefined && k !== 'expiresAt')
      .map((k) => TAG[k]);
    if (tags.length > 0) {
      const res = await run((m) => new m.TagResourceCommand({ SecretId: name, Tags: tags }), signal);
      if (!res.ok) return res;
    }
    if (unset.length > 0) return run((m) => new m.UntagResourceCommand({ SecretId: name, TagKeys: unset }), signal);
    return { ok: true, value: undefined };
  }

  return {
    description: `AWS Secrets Manager (${options.region})`,
    nameOf,

    async save(version, signal) {
      const name = nameOf(version.metadata.environment);
      const secretString = JSON.stringify(version.value);
      const token = createHmac('sha256', options.hmacKey).update(`${version.idempotencyKey}\0${secretString}`).digest('hex');
      const put = () => run((m) => new m.PutSecretValueCommand({ SecretId: name, SecretString: secretString, ClientRequestToken: token }), signal);

      const created = await run(
        (m) =>
          new m.CreateSecretCommand({
            Name: name,
            SecretString: secretString,
            ClientRequestToken: token,
            Description: `DigitalOcean credentials for Terraform, environment ${version.metadata.environment} (managed by do-creds)`,
            Tags: toTags(version.metadata),
            ...(options.kmsKeyId ? { KmsKeyId: options.kmsKeyId } : {}),
          }),
        signal,
      );
      if (created.ok) return { kind: 'ok', created: true, name };
      if (created.name !== 'ResourceExistsException') return publicFault(created.fault);

      let updated = await put();
      if (!updated.ok && updated.name === 'InvalidRequestException') {
        // Deleted within its recovery window: setting it up again brings it back.
        const restored = await run((m) => new m.RestoreSecretCommand({ SecretId: name }), signal);
        if (!restored.ok) return publicFault(restored.fault);
        updated = await put();
      }
      if (!updated.ok) return publicFault(updated.fault);
      const tagged = await writeTags(name, version.metadata, signal);
      return tagged.ok ? { kind: 'ok', created: false, name } : publicFault(tagged.fault);
    },

    async describe(environment, signal) {
      const res = await run<SM.DescribeSecretCommandOutput>((m) => new m.DescribeSecretCommand({ SecretId: nameOf(environment) }), signal);
      if (!res.ok) return res.fault.kind === 'not_found' ? { kind: 'ok', set: undefined } : publicFault(res.fault);
      if (res.value.DeletedDate !== undefined) return { kind: 'ok', set: undefined };
      return { kind: 'ok', set: toStoredSet(res.value.Name ?? nameOf(environment), res.value.Tags) };
    },

    async list(signal) {
      const sets: StoredSet[] = [];
      let next: string | undefined;
      do {
        const res = await run<SM.ListSecretsCommandOutput>(
          (m) =>
            new m.ListSecretsCommand({
              MaxResults: 100,
              NextToken: next,
              Filters: [
                { Key: 'name', Values: [options.prefix] },
                { Key: 'tag-key', Values: [TAG.environment] },
              ],
            }),
          signal,
        );
        if (!res.ok) return publicFault(res.fault);
        for (const s of res.value.SecretList ?? []) {
          const set = toStoredSet(s.Name ?? '', s.Tags);
          if (set) sets.push(set);
        }
        next = res.value.NextToken;
      } while (next);
      return { kind: 'ok', sets: sets.sort((a, b) => a.metadata.environment.localeCompare(b.metadata.environment)) };
    },

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
      for (let i = 0; i < environments.length; i += 20) {
        const ids = environments.slice(i, i + 20).map(nameOf);
        const res = await run<SM.BatchGetSecretValueCommandOutput>((m) => new m.BatchGetSecretValueCommand({ SecretIdList: ids }), signal);
        if (!res.ok) return publicFault(res.fault);
        for (const v of res.value.SecretValues ?? []) {
          const value = parseSecretValue(v.SecretString);
          if (v.Name && value) values.set(v.Name.slice(options.prefix.length), value);
        }
      }
      return { kind: 'ok', values };
    },
  };
}

type InternalFault = StoreFault | { kind: 'not_found' };
type Attempt<T> = { ok: true; value: T } | { ok: false; name: string | undefined; fault: InternalFault };

async function attempt<T>(call: () => Promise<T>): Promise<Attempt<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    return { ok: false, name: (error as { name?: string } | undefined)?.name, fault: classifyError(error) };
  }
}

function publicFault(fault: InternalFault): StoreFault {
  return fault.kind === 'not_found' ? { kind: 'unavailable' } : fault;
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
    default:
      return { kind: 'unavailable' };
  }
}

export function toTags(metadata: Partial<SetMetadata>): Tag[] {
  const tags: Tag[] = [];
  const add = (key: keyof SetMetadata, value: string | undefined) => {
    if (value !== undefined && key in metadata) tags.push({ Key: TAG[key], Value: value });
  };
  add('environment', metadata.environment);
  add('expiresAt', 'expiresAt' in metadata ? (metadata.expiresAt ? isoDay(metadata.expiresAt) : 'never') : undefined);
  add('submittedBy', metadata.submittedBy);
  add('submittedAt', metadata.submittedAt?.toISOString());
  add('tokenFingerprint', metadata.tokenFingerprint);
  add('tokenHmac', metadata.tokenHmac);
  add('tokenAccess', metadata.tokenAccess ? encodeTokenAccess(metadata.tokenAccess) : undefined);
  add('spacesKeyId', metadata.spacesKeyId);
  add('spacesRegion', metadata.spacesRegion);
  add('spacesBucket', metadata.spacesBucket);
  add('alertChannel', metadata.alertChannel);
  add('validatedAt', metadata.validatedAt?.toISOString());
  add('validation', metadata.validation);
  add('alertedThreshold', metadata.alertedThreshold === undefined ? undefined : String(metadata.alertedThreshold));
  return tags;
}

/** Reads metadata back from tags; a secret without do-creds' environment tag is not one of ours. */
export function toStoredSet(name: string, tags: Tag[] | undefined): StoredSet | undefined {
  const t = new Map((tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
  const environment = t.get(TAG.environment);
  if (!environment) return undefined;
  const date = (key: string) => {
    const v = t.get(key);
    const d = v ? new Date(v) : undefined;
    return d && !Number.isNaN(d.getTime()) ? d : undefined;
  };
  const expiry = t.get(TAG.expiresAt);
  const threshold = Number(t.get(TAG.alertedThreshold));
  const validation = t.get(TAG.validation);
  return {
    name,
    metadata: {
      environment,
      expiresAt: expiry && expiry !== 'never' ? parseIsoDate(expiry) : undefined,
      submittedBy: t.get(TAG.submittedBy) ?? '',
      submittedAt: date(TAG.submittedAt) ?? new Date(0),
      tokenFingerprint: t.get(TAG.tokenFingerprint) ?? '',
      tokenHmac: t.get(TAG.tokenHmac) || undefined,
      tokenAccess: decodeTokenAccess(t.get(TAG.tokenAccess)),
      spacesKeyId: t.get(TAG.spacesKeyId) ?? '',
      spacesRegion: t.get(TAG.spacesRegion) ?? '',
      spacesBucket: t.get(TAG.spacesBucket) || undefined,
      alertChannel: t.get(TAG.alertChannel) || undefined,
      validatedAt: date(TAG.validatedAt) ?? new Date(0),
      validation: validation === 'ok' || validation === 'revoked' ? validation : 'unchecked',
      alertedThreshold: t.has(TAG.alertedThreshold) && Number.isFinite(threshold) ? threshold : undefined,
    },
  };
}

function parseSecretValue(text: string | undefined): SecretValue | undefined {
  try {
    const v = JSON.parse(text ?? '') as Partial<SecretValue>;
    return typeof v.do_token === 'string' ? (v as SecretValue) : undefined;
  } catch {
    return undefined;
  }
}
