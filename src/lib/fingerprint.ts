import { createHmac } from 'node:crypto';

/** What people may see of a secret: its last four characters, never more. */
export function fingerprint(secret: string): string {
  return secret.slice(-4);
}

/** A fingerprint as shown to people. */
export function showFingerprint(fp: string): string {
  return `…${fp}`;
}

/**
 * A keyed fingerprint for the audit trail: with the key, an operator can check whether a given
 * token is the one that was stored, and nobody without it learns anything (as Vault's audit log
 * hashes values).
 */
export function keyedFingerprint(key: string, secret: string): string {
  return 'hmac-sha256:' + createHmac('sha256', key).update(secret).digest('hex');
}
