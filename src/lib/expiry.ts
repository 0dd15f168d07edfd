/**
 * Token expiry: the modal's choices turned into a date at submit time, and the days-left figure
 * every view of a credential set shares.
 */

export const EXPIRY_CHOICES = {
  '30d': '30 days',
  '60d': '60 days',
  '90d': '90 days',
  '1y': '1 year',
  never: 'No expiry',
  date: 'On a date (pick it below)',
} as const;
export type ExpiryChoice = keyof typeof EXPIRY_CHOICES;

const DAY_MS = 24 * 60 * 60 * 1000;
const CHOICE_DAYS: Partial<Record<ExpiryChoice, number>> = { '30d': 30, '60d': 60, '90d': 90, '1y': 365 };

export function isExpiryChoice(value: string): value is ExpiryChoice {
  return Object.hasOwn(EXPIRY_CHOICES, value);
}

/** undefined: the token never expires. A picked date counts from 00:00 UTC, the earliest it may end. */
export function expiryFromChoice(choice: Exclude<ExpiryChoice, 'date'>, now: Date): Date | undefined {
  const days = CHOICE_DAYS[choice];
  return days === undefined ? undefined : new Date(now.getTime() + days * DAY_MS);
}

/** Parses a `YYYY-MM-DD` date (as Slack's date picker sends it) to 00:00 UTC; undefined if invalid. */
export function parseIsoDate(value: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return undefined;
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return date.toISOString().startsWith(value) ? date : undefined;
}

/** Whole days from the start of today (UTC) to the expiry day: 0 on the day, negative after it. */
export function daysLeft(expiresAt: Date, now: Date): number {
  return Math.round((startOfUtcDay(expiresAt) - startOfUtcDay(now)) / DAY_MS);
}

/** True when two expiry dates fall on different days (DigitalOcean's and the person's). */
export function differentDay(a: Date | undefined, b: Date | undefined): boolean {
  if (a === undefined || b === undefined) return a !== b;
  return startOfUtcDay(a) !== startOfUtcDay(b);
}

export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function startOfUtcDay(d: Date): number {
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
}

/** EXPIRY_THRESHOLDS_DAYS, largest first: the days-left marks at which an alert goes out. */
export const DEFAULT_THRESHOLDS = [30, 14, 7, 3, 1, 0] as const;

/**
 * The threshold a set has reached: the smallest mark at or above its days left (an expired set
 * is at 0). undefined while it is further away than the largest mark.
 */
export function thresholdReached(days: number, thresholds: readonly number[]): number | undefined {
  const reached = thresholds.filter((t) => Math.max(days, 0) <= t);
  return reached.length === 0 ? undefined : Math.min(...reached);
}

/**
 * The threshold to alert for now, if any: one alert per threshold, and after missed scans only the
 * latest one (no backlog of stale warnings).
 */
export function alertDue(days: number, alreadyAlerted: number | undefined, thresholds: readonly number[]): number | undefined {
  const reached = thresholdReached(days, thresholds);
  if (reached === undefined) return undefined;
  return alreadyAlerted === undefined || reached < alreadyAlerted ? reached : undefined;
}
