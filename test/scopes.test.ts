import { describe, expect, it } from 'vitest';
import { reportFromProbes, reportFromTokenInfo } from '../src/lib/scopes.js';

const required = ['droplet:read', 'droplet:create', 'vpc:read', 'vpc:create'];

describe('reportFromTokenInfo', () => {
  it('compares the exact scopes DigitalOcean lists with the required ones', () => {
    const r = reportFromTokenInfo(required, ['droplet:read', 'droplet:create', 'vpc:read']);
    expect(r.granted).toEqual(['droplet:read', 'droplet:create', 'vpc:read']);
    expect(r.missing).toEqual(['vpc:create']);
    expect(r.unverified).toEqual([]);
  });

  it('reads legacy full-access (write) and read-only (read) tokens', () => {
    expect(reportFromTokenInfo(required, ['read', 'write']).missing).toEqual([]);
    expect(reportFromTokenInfo(required, ['read']).missing).toEqual(['droplet:create', 'vpc:create']);
  });
});

describe('reportFromProbes', () => {
  it('marks write scopes unverified when their read scope is present', () => {
    const r = reportFromProbes(required, new Map([['droplet:read', 'granted'], ['vpc:read', 'granted']]));
    expect(r.granted).toEqual(['droplet:read', 'vpc:read']);
    expect(r.unverified).toEqual(['droplet:create', 'vpc:create']);
  });

  it('marks write scopes missing when their read scope is missing', () => {
    const r = reportFromProbes(required, new Map([['droplet:read', 'granted'], ['vpc:read', 'missing']]));
    expect(r.missing).toEqual(['vpc:read', 'vpc:create']);
  });

  it('leaves a read scope whose probe did not answer unverified, not missing', () => {
    const r = reportFromProbes(['droplet:read'], new Map([['droplet:read', 'unknown']]));
    expect(r.unverified).toEqual(['droplet:read']);
    expect(r.missing).toEqual([]);
  });
});
