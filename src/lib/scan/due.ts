import type { StoredSet } from '../credential-set.js';
import { alertDue, daysLeft } from '../expiry.js';
import type { Alert } from './alert.js';

/** The expiry alert a set is due as of `now`, if any: from its metadata alone. */
export function dueExpiryAlert(set: StoredSet, now: Date, thresholds: readonly number[]): Extract<Alert, { kind: 'expiry' }> | undefined {
  const { expiresAt, alertedThreshold } = set.metadata;
  if (expiresAt === undefined) return undefined;
  const left = daysLeft(expiresAt, now);
  const threshold = alertDue(left, alertedThreshold, thresholds);
  return threshold === undefined ? undefined : { kind: 'expiry', set, daysLeft: left, threshold };
}

/** Its metadata describe another version than the current one (a write landed without its tags, or an old set). */
export function describesAnotherVersion(set: StoredSet): boolean {
  return set.currentVersion !== undefined && set.metadata.describesVersion !== set.currentVersion;
}

export function isPastExpiry(set: StoredSet, now: Date): boolean {
  return set.metadata.expiresAt !== undefined && daysLeft(set.metadata.expiresAt, now) < 0;
}
