import type { TokenAccess } from './digitalocean/scopes.js';

/**
 * A stored credential set: the secret value Terraform reads, and the non-secret metadata kept
 * beside it (as tags in Secrets Manager) so that listing and scanning never read a secret.
 */

/** The JSON stored as the secret; the first three keys are the names Terraform configurations use. */
export interface SecretValue {
  do_token: string;
  do_access_key: string;
  do_secret_key: string;
  spaces_region: string;
  spaces_endpoint: string;
  spaces_bucket?: string;
}

export type ValidationState = 'ok' | 'revoked' | 'unchecked';

export interface SetMetadata {
  environment: string;
  /** undefined: the token never expires. */
  expiresAt: Date | undefined;
  submittedBy: string;
  submittedAt: Date;
  /** Last four characters of the token. */
  tokenFingerprint: string;
  /** Keyed HMAC of the token for the audit trail (FINGERPRINT_HMAC_KEY), if configured. */
  tokenHmac?: string | undefined;
  /** What kind of token it is (Full Access, Read Only, custom scopes) as last checked; undefined if never recorded. */
  tokenAccess?: TokenAccess | undefined;
  spacesKeyId: string;
  spacesRegion: string;
  spacesBucket: string | undefined;
  /** Where expiry alerts go; undefined falls back to ALERT_CHANNEL_ID. */
  alertChannel: string | undefined;
  validatedAt: Date;
  validation: ValidationState;
  /** The last expiry threshold (in days) an alert was sent for; reset by a rotation. */
  alertedThreshold: number | undefined;
}

export interface StoredSet {
  /** The secret's name, e.g. do-creds/prod. */
  name: string;
  metadata: SetMetadata;
}

export interface NewVersion {
  value: SecretValue;
  metadata: SetMetadata;
  /** The same submission delivered twice must give the same key: it makes the write idempotent. */
  idempotencyKey: string;
}

export type StoreFault =
  | { kind: 'access_denied' }
  | { kind: 'kms' }
  | { kind: 'throttled' }
  | { kind: 'unavailable' };

export type StoreResult<T> = ({ kind: 'ok' } & T) | StoreFault;

/** Where credential sets live: AWS Secrets Manager, or the embedded file store. */
export interface CredentialStore {
  readonly description: string;
  nameOf(environment: string): string;
  save(version: NewVersion, signal?: AbortSignal): Promise<StoreResult<{ created: boolean; name: string }>>;
  describe(environment: string, signal?: AbortSignal): Promise<StoreResult<{ set: StoredSet | undefined }>>;
  list(signal?: AbortSignal): Promise<StoreResult<{ sets: StoredSet[] }>>;
  delete(environment: string, recoveryDays: number, signal?: AbortSignal): Promise<StoreResult<{ deletionDate: Date | undefined }>>;
  updateMetadata(environment: string, patch: Partial<SetMetadata>, signal?: AbortSignal): Promise<StoreResult<object>>;
  readValues(environments: string[], signal?: AbortSignal): Promise<StoreResult<{ values: Map<string, SecretValue> }>>;
}
