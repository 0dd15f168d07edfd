import { describe, expect, it } from 'vitest';
import { retryAfter } from '../src/lib/digitalocean/client.js';

describe('retryAfter', () => {
  const now = 1_800_000_000_000;
  it('prefers Retry-After, then RateLimit-Reset, then a minute', () => {
    expect(retryAfter({ 'retry-after': '7', 'ratelimit-reset': String(now / 1000 + 30) }, now)).toBe(7);
    expect(retryAfter({ 'ratelimit-reset': String(now / 1000 + 30) }, now)).toBe(30);
    expect(retryAfter({}, now)).toBe(60);
  });

  it('never asks to wait less than a second when the reset is already past', () => {
    expect(retryAfter({ 'ratelimit-reset': String(now / 1000 - 5) }, now)).toBe(1);
  });
});
