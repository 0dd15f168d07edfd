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
  /** The version (its ClientRequestToken) these metadata describe; compared with the current one. */
  describesVersion?: string | undefined;
}

export interface StoredSet {
  /** The secret's name, e.g. do-creds/prod. */
  name: string;
  metadata: SetMetadata;
  /**
   * Metadata that failed the checks a submitted form passes (named by field): the value was left
   * out, and the set is shown as damaged. Metadata can be edited by whoever may tag the secret.
   */
  damaged: (keyof SetMetadata)[];
  /** The current version's id, where the store says; metadata describing another one is out of date. */
  currentVersion?: string | undefined;
}

/** Metadata out of date: they describe another version than the current one (a write landed late). */
export function metadataStale(set: StoredSet): boolean {
  // Sets saved before versions were recorded carry none: not known to be stale (the scan fills it in).
  const described = set.metadata.describesVersion;
  return set.currentVersion !== undefined && described !== undefined && described !== set.currentVersion;
}

export interface NewVersion {
  value: SecretValue;
  metadata: SetMetadata;
  /** The same submission delivered twice must give the same key: it makes the write idempotent. */
  idempotencyKey: string;
}

export type StoreFault =
  | { kind: 'access_denied' }
  /** The AWS SDK found no credentials to sign with (no role, a missing profile): nothing was sent. */
  | { kind: 'no_credentials' }
  | { kind: 'kms' }
  | { kind: 'throttled' }
  /** `detail`: a sentence for the person when the store knows more (the local store: what is wrong, how to fix it). */
  | { kind: 'unavailable'; detail?: string }
  /** A write was sent but neither its success nor its failure could be confirmed in time. */
  | { kind: 'unknown_outcome' };

/**
 * What a save did: a new secret, a new current version, a deleted set brought back with the new
 * version, or nothing (this very submission is already stored; `current` says whether it still is).
 */
export type SaveOutcome =
  | { outcome: 'created' | 'updated' | 'restored'; name: string; versionId: string; metadataWritten: boolean }
  | { outcome: 'unchanged'; name: string; versionId: string; current: boolean; metadataWritten: boolean };

export type StoreResult<T> = ({ kind: 'ok' } & T) | StoreFault;

/** Where credential sets live: AWS Secrets Manager, or the embedded file store. */
export interface CredentialStore {
  readonly description: string;
  /** Which store it is: what a person can do outside do-creds (e.g. restore a deleted set) depends on it. */
  readonly kind: 'secrets-manager' | 'file';
  nameOf(environment: string): string;
  /**
   * Stores a new version. `deadline` (epoch ms) bounds it; part of it is kept to find out whether a
   * write that timed out landed, so an unknown outcome is never told as a failure.
   */
  save(version: NewVersion, deadline?: number): Promise<StoreResult<SaveOutcome>>;
  describe(environment: string, signal?: AbortSignal): Promise<StoreResult<{ set: StoredSet | undefined }>>;
  list(signal?: AbortSignal): Promise<StoreResult<{ sets: StoredSet[] }>>;
  /**
   * One page of the listing (at most 100 sets in Secrets Manager), from `cursor` (the previous page's;
   * none for the first). No cursor in the answer: that was the last page. Tags only, never values.
   */
  listPage(cursor?: string, signal?: AbortSignal): Promise<StoreResult<{ sets: StoredSet[]; cursor: string | undefined }>>;
  delete(environment: string, recoveryDays: number, signal?: AbortSignal): Promise<StoreResult<{ deletionDate: Date | undefined }>>;
  updateMetadata(environment: string, patch: Partial<SetMetadata>, signal?: AbortSignal): Promise<StoreResult<object>>;
  /** Current values (and their version ids) of sets; sets deleted meanwhile are left out. */
  readValues(environments: string[], signal?: AbortSignal): Promise<StoreResult<{ values: Map<string, SecretValue>; versions: Map<string, string> }>>;
}
