import { describe, expect, it } from 'vitest';
import { daysLeft, differentDay, expiryFromChoice, parseIsoDate } from '../src/lib/expiry.js';

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
