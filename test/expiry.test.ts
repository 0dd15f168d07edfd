import { describe, expect, it } from 'vitest';
import { alertDue, daysLeft, differentDay, expiryFromChoice, parseIsoDate, thresholdReached } from '../src/lib/expiry.js';

const now = new Date('2026-11-24T15:30:00Z');

describe('expiry', () => {
  it('turns the modal choices into dates at submit time', () => {
    expect(expiryFromChoice('30d', now)?.toISOString()).toBe('2026-12-24T15:30:00.000Z');
    expect(expiryFromChoice('1y', now)?.toISOString()).toBe('2027-11-24T15:30:00.000Z');
    expect(expiryFromChoice('never', now)).toBeUndefined();
  });

  it('parses only real calendar dates', () => {
    expect(parseIsoDate('2027-02-28')?.toISOString()).toBe('2027-02-28T00:00:00.000Z');
    expect(parseIsoDate('2027-02-30')).toBeUndefined();
    expect(parseIsoDate('28/02/2027')).toBeUndefined();
  });

  it('counts days left by calendar day: 0 on the day, negative after', () => {
    expect(daysLeft(new Date('2026-11-25T01:00:00Z'), now)).toBe(1);
    expect(daysLeft(new Date('2026-11-24T23:59:00Z'), now)).toBe(0);
    expect(daysLeft(new Date('2026-11-20T00:00:00Z'), now)).toBe(-4);
  });

  it('compares expiries by day, never-expiring included', () => {
    expect(differentDay(new Date('2026-12-01T01:00:00Z'), new Date('2026-12-01T23:00:00Z'))).toBe(false);
    expect(differentDay(undefined, undefined)).toBe(false);
    expect(differentDay(undefined, now)).toBe(true);
  });
});

describe('expiry thresholds', () => {
  const t = [30, 14, 7, 3, 1, 0];

  it('reaches the smallest mark at or above the days left; expired counts as 0', () => {
    expect(thresholdReached(45, t)).toBeUndefined();
    expect(thresholdReached(30, t)).toBe(30);
    expect(thresholdReached(10, t)).toBe(14);
    expect(thresholdReached(1, t)).toBe(1);
    expect(thresholdReached(0, t)).toBe(0);
    expect(thresholdReached(-3, t)).toBe(0);
  });

  it('alerts once per threshold, and only for the latest after missed scans', () => {
    expect(alertDue(20, undefined, t)).toBe(30);
    expect(alertDue(20, 30, t)).toBeUndefined();
    expect(alertDue(13, 30, t)).toBe(14);
    expect(alertDue(2, 30, t)).toBe(3);
    expect(alertDue(-1, 0, t)).toBeUndefined();
    expect(alertDue(-1, 1, t)).toBe(0);
  });
});
