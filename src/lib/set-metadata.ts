import type { SetMetadata, ValidationState } from './credential-set.js';
import { ACCESS_KEY_PATTERN, BUCKET_PATTERN, ENVIRONMENT_PATTERN } from './credential-input.js';
import { decodeTokenAccess, encodeTokenAccess } from './digitalocean/scopes.js';
import { isoDay, parseIsoDate } from './expiry.js';
import { isSpacesRegion } from './regions.js';
import { CHANNEL_ID, USER_ID } from './slack-ids.js';

/**
 * Metadata as the stores keep them: one string per field (Secrets Manager tags, file entries).
 * Reading them back checks every field with the rules a submitted form passes, because whoever may
 * tag a secret may write anything there: a field that fails is left out and named as damaged, so
 * it never reaches HCL, mrkdwn or a button.
 */

export type RawMetadata = Partial<Record<keyof SetMetadata, string>>;

/** Only the fields present in `m` are encoded; an undefined field encodes as absent. */
export function encodeMetadata(m: Partial<SetMetadata>): RawMetadata {
  const raw: RawMetadata = {};
  const put = (key: keyof SetMetadata, value: string | undefined) => {
    if (value !== undefined && key in m) raw[key] = value;
  };
  put('environment', m.environment);
  put('expiresAt', 'expiresAt' in m ? (m.expiresAt ? isoDay(m.expiresAt) : 'never') : undefined);
  put('submittedBy', m.submittedBy);
  put('submittedAt', m.submittedAt?.toISOString());
  put('tokenFingerprint', m.tokenFingerprint);
  put('tokenHmac', m.tokenHmac);
  put('tokenAccess', m.tokenAccess ? encodeTokenAccess(m.tokenAccess) : undefined);
  put('spacesKeyId', m.spacesKeyId);
  put('spacesRegion', m.spacesRegion);
  put('spacesBucket', m.spacesBucket);
  put('alertChannel', m.alertChannel);
  put('validatedAt', m.validatedAt?.toISOString());
  put('validation', m.validation);
  put('alertedThreshold', m.alertedThreshold === undefined ? undefined : String(m.alertedThreshold));
  put('describesVersion', m.describesVersion);
  return raw;
}

const FINGERPRINT = /^[0-9a-f]{4}$/;
const HMAC = /^hmac-sha256:[0-9a-f]{64}$/;
// do-creds' ClientRequestTokens are 64 hex characters; versions AWS numbers itself are UUIDs (32-64 characters).
const VERSION_ID = /^[0-9a-fA-F-]{32,64}$/;
const VALIDATION: readonly ValidationState[] = ['ok', 'revoked', 'unchecked'];

/**
 * Metadata of the set stored under `environment` (from the secret's name, never from a tag). A
 * required field that is missing or fails its check gets a harmless placeholder and is named in
 * `damaged`; an optional one is left out and named too when it was present but wrong.
 */
export function decodeMetadata(environment: string, raw: RawMetadata): { metadata: SetMetadata; damaged: (keyof SetMetadata)[] } {
  const damaged: (keyof SetMetadata)[] = [];
  /** The value when it passes `ok`; undefined, and named as damaged, when present and failing (or missing and required). */
  const field = <T>(key: keyof SetMetadata, parse: (v: string) => T | undefined, required: boolean): T | undefined => {
    const v = raw[key];
    const parsed = v === undefined ? undefined : parse(v);
    if (parsed === undefined && (v !== undefined || required)) damaged.push(key);
    return parsed;
  };
  const matching = (re: RegExp) => (v: string) => (re.test(v) ? v : undefined);
  const date = (v: string) => {
    const d = new Date(v);
    return /^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/.test(v) && !Number.isNaN(d.getTime()) ? d : undefined;
  };

  if (raw.environment !== environment || !ENVIRONMENT_PATTERN.test(environment)) damaged.push('environment');
  const expiry = field('expiresAt', (v) => (v === 'never' ? ('never' as const) : parseIsoDate(v)), true);
  const threshold = field('alertedThreshold', (v) => (/^\d{1,3}$/.test(v) ? Number(v) : undefined), false);
  return {
    damaged,
    metadata: {
      environment,
      expiresAt: expiry === 'never' ? undefined : expiry,
      submittedBy: field('submittedBy', matching(USER_ID), true) ?? '',
      submittedAt: field('submittedAt', date, true) ?? new Date(0),
      tokenFingerprint: field('tokenFingerprint', matching(FINGERPRINT), true) ?? '',
      tokenHmac: field('tokenHmac', matching(HMAC), false),
      tokenAccess: field('tokenAccess', decodeTokenAccess, false),
      spacesKeyId: field('spacesKeyId', matching(ACCESS_KEY_PATTERN), true) ?? '',
      spacesRegion: field('spacesRegion', (v) => (isSpacesRegion(v) ? v : undefined), true) ?? '',
      spacesBucket: field('spacesBucket', matching(BUCKET_PATTERN), false),
      alertChannel: field('alertChannel', matching(CHANNEL_ID), false),
      validatedAt: field('validatedAt', date, false) ?? new Date(0),
      validation: field('validation', (v) => VALIDATION.find((s) => s === v), false) ?? 'unchecked',
      alertedThreshold: threshold,
      describesVersion: field('describesVersion', matching(VERSION_ID), false),
    },
  };
}
