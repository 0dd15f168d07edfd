import { expiryFromChoice, isExpiryChoice, parseIsoDate } from './expiry.js';
import { isSpacesRegion, type SpacesRegion } from './regions.js';

/**
 * Local checks of a submitted credential set, before any network call. Messages say what is
 * wrong and how to fix it; they never repeat a value.
 */

export type Field =
  | 'environment'
  | 'token'
  | 'expiry'
  | 'expiryDate'
  | 'accessKey'
  | 'secretKey'
  | 'region'
  | 'bucket';

export type FieldErrors = Partial<Record<Field, string>>;

export type RawSubmission = Partial<Record<Field, string | undefined>>;

export interface CredentialInput {
  environment: string;
  token: string;
  /** undefined: never expires (as the person says; DigitalOcean may say otherwise). */
  expiresAt: Date | undefined;
  accessKey: string;
  secretKey: string;
  region: SpacesRegion;
  bucket: string | undefined;
}

export type LocalCheck = { ok: true; input: CredentialInput } | { ok: false; errors: FieldErrors };

export const ENVIRONMENT_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
const TOKEN_PATTERN = /^dop_v1_[0-9a-f]{64}$/;
// Spaces limits page: 3-63 lowercase letters, digits, dashes and dots (dots may not repeat).
export const BUCKET_PATTERN = /^(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
// No official format: keys seen are 20 uppercase letters/digits starting DO00, secrets about 43
// base64 characters. Checked loosely so a future format still reaches the live check.
export const ACCESS_KEY_PATTERN = /^[A-Z0-9]{16,128}$/;
const SECRET_KEY_PATTERN = /^[A-Za-z0-9+/=]{30,128}$/;

export function checkLocally(raw: RawSubmission, now: Date): LocalCheck {
  const v = trimAll(raw);
  const errors: FieldErrors = {};
  const set = (field: Field, message: string | undefined) => {
    if (message !== undefined) errors[field] = message;
  };

  set('environment', environmentProblem(v.environment));
  set('token', tokenProblem(v.token));
  const expiry = checkExpiry(v.expiry, v.expiryDate, now);
  if ('error' in expiry) set(expiry.field, expiry.error);
  const [keyProblem, secretProblem] = spacesKeyProblems(v.accessKey, v.secretKey);
  set('accessKey', keyProblem);
  set('secretKey', secretProblem);
  set('region', v.region !== undefined && isSpacesRegion(v.region) ? undefined : 'Choose the region your Space is in.');
  set('bucket', v.bucket === undefined || BUCKET_PATTERN.test(v.bucket) ? undefined : 'A bucket name is 3 to 63 lowercase letters, digits, dashes and single dots, starting and ending with a letter or digit.');

  if (Object.keys(errors).length > 0 || 'error' in expiry) return { ok: false, errors };
  return {
    ok: true,
    input: {
      environment: v.environment as string,
      token: v.token as string,
      expiresAt: expiry.expiresAt,
      accessKey: v.accessKey as string,
      secretKey: v.secretKey as string,
      region: v.region as SpacesRegion,
      bucket: v.bucket,
    },
  };
}

/** Trims surrounding whitespace and newlines (people paste with them); empty becomes undefined. */
function trimAll(raw: RawSubmission): RawSubmission {
  const out: RawSubmission = {};
  for (const [k, value] of Object.entries(raw) as [Field, string | undefined][]) {
    const t = value?.trim();
    out[k] = t === '' ? undefined : t;
  }
  return out;
}

export function environmentProblem(env: string | undefined): string | undefined {
  if (env === undefined) return 'Enter an environment name, e.g. prod or staging.';
  if (ENVIRONMENT_PATTERN.test(env)) return undefined;
  return 'Use 1 to 32 lowercase letters, digits and dashes, starting and ending with a letter or digit (e.g. prod, staging-eu).';
}

function tokenProblem(token: string | undefined): string | undefined {
  if (token === undefined) return 'Paste the personal access token (it starts with dop_v1_).';
  if (TOKEN_PATTERN.test(token)) return undefined;
  if (/\s/.test(token)) return 'The token contains spaces or line breaks: copy it again in one piece.';
  if (token.startsWith('doo_v1_')) {
    return 'This is an OAuth application token (doo_v1_). Terraform needs a personal access token (dop_v1_) from API -> Tokens.';
  }
  if (token.startsWith('dor_v1_')) {
    return 'This is an OAuth refresh token (dor_v1_), not an access token. Generate a personal access token (dop_v1_) under API -> Tokens.';
  }
  if (token.startsWith('dop_v1_')) {
    return 'This token is incomplete or mistyped: it should be dop_v1_ followed by 64 hexadecimal characters. Copy it again.';
  }
  if (looksLikeAccessKey(token)) return 'This looks like a Spaces access key. The API token starts with dop_v1_.';
  return 'This does not look like a DigitalOcean personal access token (those start with dop_v1_).';
}

type ExpiryCheck = { expiresAt: Date | undefined } | { field: Field; error: string };

function checkExpiry(choice: string | undefined, dateText: string | undefined, now: Date): ExpiryCheck {
  if (choice === undefined || !isExpiryChoice(choice)) {
    return { field: 'expiry', error: 'Choose the expiration you picked when generating the token.' };
  }
  if (choice !== 'date') {
    if (dateText !== undefined) {
      return { field: 'expiryDate', error: 'You picked a date but also a fixed expiration above: choose "On a date" above, or clear this date.' };
    }
    return { expiresAt: expiryFromChoice(choice, now) };
  }
  if (dateText === undefined) return { field: 'expiryDate', error: 'Pick the date the token expires on.' };
  const date = parseIsoDate(dateText);
  if (date === undefined) return { field: 'expiryDate', error: 'Pick a valid date.' };
  const today = parseIsoDate(now.toISOString().slice(0, 10));
  if (today !== undefined && date < today) {
    return { field: 'expiryDate', error: 'This date is in the past: an expired token no longer works. Generate a new one.' };
  }
  return { expiresAt: date };
}

function spacesKeyProblems(key: string | undefined, secret: string | undefined): [string | undefined, string | undefined] {
  const keyIsSecret = key !== undefined && looksLikeSecret(key);
  const secretIsKey = secret !== undefined && looksLikeAccessKey(secret);
  if (keyIsSecret && secretIsKey) {
    const swapped = 'These two look swapped: the access key is the shorter ID in capitals (DO...), the secret is the longer one.';
    return [swapped, swapped];
  }
  return [accessKeyProblem(key, keyIsSecret), secretKeyProblem(secret, secretIsKey, key)];
}

function accessKeyProblem(key: string | undefined, isSecret: boolean): string | undefined {
  if (key === undefined) return 'Paste the Spaces access key (the ID that stays visible in the control panel).';
  if (isSecret) return 'This looks like the secret key. The access key is the shorter ID in capitals (DO...).';
  if (key.startsWith('dop_v1_')) return 'This is an API token. The Spaces access key is the ID from Spaces Object Storage -> Access Keys.';
  if (/\s/.test(key)) return 'The access key contains spaces or line breaks: copy it again in one piece.';
  if (!ACCESS_KEY_PATTERN.test(key)) return 'This does not look like a Spaces access key (capital letters and digits, usually starting DO).';
  return undefined;
}

function secretKeyProblem(secret: string | undefined, isKey: boolean, key: string | undefined): string | undefined {
  if (secret === undefined) return 'Paste the Spaces secret key (shown once when you created the key).';
  if (isKey) return 'This looks like the access key. The secret is the longer value shown once at creation.';
  if (secret === key) return 'The secret key cannot be the same as the access key.';
  if (secret.startsWith('dop_v1_')) return 'This is an API token, not a Spaces secret key.';
  if (/\s/.test(secret)) return 'The secret key contains spaces or line breaks: copy it again in one piece.';
  if (!SECRET_KEY_PATTERN.test(secret)) return 'This does not look like a Spaces secret key (about 43 letters, digits, + and /).';
  return undefined;
}

/** Key ids are commonly DO00 + 16 characters; 40-character DO00… ids are seen too. */
function looksLikeAccessKey(value: string): boolean {
  return /^DO[A-Z0-9]{14,38}$/.test(value);
}

/**
 * Whether text holds a DigitalOcean token or a Spaces secret key anywhere (inside quotes or
 * backticks, after `token=`), e.g. pasted where a command argument belongs: never to be echoed.
 */
export function looksLikeCredential(text: string): boolean {
  if (/do[opr]_v1_/i.test(text)) return true;
  return text.split(/[\s`'"<>()[\]{},;=]+/).some((word) => looksLikeSecret(word));
}

function looksLikeSecret(value: string): boolean {
  return SECRET_KEY_PATTERN.test(value) && value.length >= 36 && /[a-z+/]/.test(value);
}
