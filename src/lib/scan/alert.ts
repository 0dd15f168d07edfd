import type { StoredSet } from '../credential-set.js';

/** What the scan tells people: a token about to expire (or expired), or one DigitalOcean rejects. */
export type Alert =
  | { kind: 'expiry'; set: StoredSet; daysLeft: number; threshold: number }
  | { kind: 'revoked'; set: StoredSet };

export interface AlertSender {
  /**
   * The alerts of one job, in order; several for one channel may go as one digest. Per alert: whether
   * it reached someone (its channel or, failing that, the submitter). `channelTotal`: how many the
   * channel has in this run altogether, when these are a part of them (for a digest's heading).
   */
  sendAll(alerts: Alert[], channelTotal?: number): Promise<boolean[]>;
}
