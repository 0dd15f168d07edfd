import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checklistForPolicy, checklistForResourceTypes, normaliseType } from '../src/lib/digitalocean/advice.js';
import { granularScopes, groupByResource, suggestScope, withRequired } from '../src/lib/digitalocean/catalogue.js';
import {
  accessFromTokenInfo,
  decodeTokenAccess,
  encodeTokenAccess,
  holds,
  probesFor,
  reportFromProbes,
  reportFromTokenInfo,
  type TokenAccess,
} from '../src/lib/digitalocean/scopes.js';
import { parseScopePolicy, policyFor } from '../src/lib/scope-policy.js';

const required = ['droplet:read', 'droplet:create', 'vpc:read', 'vpc:create'];
const access = (scopes: string[]) => accessFromTokenInfo(scopes) as TokenAccess;

describe('token kinds from token info', () => {
  it('reads the alias scopes of Full Access and Read Only tokens', () => {
    expect(access(['api:write'])).toEqual({ kind: 'full_access', legacy: false });
    expect(access(['api:read'])).toEqual({ kind: 'read_only', legacy: false });
    expect(reportFromTokenInfo(required, access(['api:write'])).missing).toEqual([]);
    expect(reportFromTokenInfo(required, access(['api:read'])).missing).toEqual(['droplet:create', 'vpc:create']);
  });

  it('reads legacy read/write tokens', () => {
    expect(access(['read', 'write'])).toEqual({ kind: 'full_access', legacy: true });
    expect(access(['read'])).toEqual({ kind: 'read_only', legacy: true });
    expect(reportFromTokenInfo(required, access(['read'])).missing).toEqual(['droplet:create', 'vpc:create']);
  });

  it('adds the scopes DigitalOcean grants with a custom one (droplet:read brings regions:read, sizes:read, …)', () => {
    const custom = access(['droplet:create']);
    expect(custom.kind).toBe('custom');
    for (const implied of ['droplet:read', 'regions:read', 'sizes:read', 'actions:read', 'image:read']) expect(holds(custom, implied)).toBe(true);
    expect(holds(custom, 'vpc:read')).toBe(false);
    expect(reportFromTokenInfo(required, custom).missing).toEqual(['vpc:read', 'vpc:create']);
  });

  it('counts project:update as granting project:assign_resource', () => {
    expect(holds(access(['project:update']), 'project:assign_resource')).toBe(true);
    expect(holds(access(['project:read']), 'project:assign_resource')).toBe(false);
  });

  it('treats an answer with no scope name it knows as unrecognised', () => {
    expect(accessFromTokenInfo(['compute:manage'])).toBeUndefined();
    expect(accessFromTokenInfo([])).toBeUndefined();
  });

  it('never claims a Read Only token holds a write scope or api:write', () => {
    const ro = access(['api:read']);
    expect(holds(ro, 'api:write')).toBe(false);
    expect(holds(ro, 'api:read')).toBe(true);
    expect(holds(ro, 'database:view_credentials')).toBe(false);
  });
});

describe('reports from read probes', () => {
  it('marks write scopes unverified when their read scope is present', () => {
    const r = reportFromProbes(required, new Map([['droplet:read', 'granted'], ['vpc:read', 'granted']]), 'failed');
    expect(r.granted).toEqual(['droplet:read', 'vpc:read']);
    expect(r.unverified).toEqual(['droplet:create', 'vpc:create']);
    expect(r.access).toEqual({ kind: 'unknown' });
  });

  it('marks write scopes missing when their read scope is missing', () => {
    const r = reportFromProbes(required, new Map([['droplet:read', 'granted'], ['vpc:read', 'missing']]), 'failed');
    expect(r.missing).toEqual(['vpc:read', 'vpc:create']);
  });

  it('leaves a read scope whose probe did not answer unverified, not missing', () => {
    const r = reportFromProbes(['droplet:read'], new Map([['droplet:read', 'unknown']]), 'failed');
    expect(r.unverified).toEqual(['droplet:read']);
    expect(r.missing).toEqual([]);
  });

  it('probes each resource once, through its read scope', () => {
    expect(probesFor(['droplet:create', 'droplet:delete', 'vpc:read', 'api:write'])).toEqual(['droplet:read', 'vpc:read']);
  });
});

describe('the token-access tag', () => {
  it('round-trips every kind', () => {
    for (const a of [access(['api:write']), access(['read']), access(['droplet:create', 'vpc:read']), { kind: 'unknown' } as const]) {
      expect(decodeTokenAccess(encodeTokenAccess(a))).toEqual(a);
    }
  });

  it('fits 256 characters of the characters Secrets Manager allows, counting what it leaves out', () => {
    const all: TokenAccess = { kind: 'custom', scopes: granularScopes(), readAll: false };
    const text = encodeTokenAccess(all);
    expect(text.length).toBeLessThanOrEqual(256);
    expect(text).toMatch(/^[\p{L}\p{N} _.:/=+\-@]+$/u);
    const back = decodeTokenAccess(text) as Extract<TokenAccess, { kind: 'custom' }>;
    expect(back.scopes.length + (back.omitted ?? 0)).toBe(granularScopes().length);
  });

  it('drops names it does not know and refuses anything else', () => {
    expect(decodeTokenAccess('custom droplet:read/explode vpc:read')).toEqual({ kind: 'custom', scopes: ['droplet:read', 'vpc:read'], readAll: false });
    expect(decodeTokenAccess('<!channel>')).toBeUndefined();
    expect(decodeTokenAccess(undefined)).toBeUndefined();
  });
});

describe('the scope policy', () => {
  it('requires nothing when not configured', () => {
    const parsed = parseScopePolicy(undefined, undefined);
    expect(parsed.ok && policyFor(parsed.policy, 'prod').require).toEqual([]);
  });

  it('adds each environment\'s scopes to the ones every environment needs, and its own lifetime rules', () => {
    const parsed = parseScopePolicy(
      JSON.stringify({ require: ['droplet:read'], environments: { prod: { require: ['droplet:create'], maxLifetimeDays: 90, unverifiable: 'refuse' } } }),
      undefined,
    );
    if (!parsed.ok) throw new Error(parsed.problems.join('; '));
    expect(policyFor(parsed.policy, 'prod')).toEqual({ require: ['droplet:read', 'droplet:create'], requireExpiry: true, maxLifetimeDays: 90, unverifiable: 'refuse' });
    expect(policyFor(parsed.policy, 'staging')).toEqual({ require: ['droplet:read'], requireExpiry: false, maxLifetimeDays: undefined, unverifiable: 'accept' });
    expect(policyFor(parsed.policy, 'constructor').require).toEqual(['droplet:read']);
  });

  it('names a mistyped scope and where it is, with the likely meant one', () => {
    const parsed = parseScopePolicy(JSON.stringify({ environments: { prod: { require: ['droplet:craete'] } } }), 'vpc:raed');
    expect(parsed.ok).toBe(false);
    const problems = parsed.ok ? [] : parsed.problems;
    expect(problems).toContain('SCOPE_POLICY environments.prod.require names an unknown DigitalOcean scope "droplet:craete" (did you mean droplet:create?)');
    expect(problems).toContain('REQUIRED_SCOPES names an unknown DigitalOcean scope "vpc:raed" (did you mean vpc:read?)');
  });

  it('refuses unknown keys, bad JSON and environment names that are not environments', () => {
    const bad = (json: string) => {
      const p = parseScopePolicy(json, undefined);
      return p.ok ? [] : p.problems;
    };
    expect(bad('{"requires": ["droplet:read"]}').join()).toContain('Unrecognized key');
    expect(bad('{not json')).toEqual(['SCOPE_POLICY is not valid JSON']);
    expect(bad('{"environments": {"Prod EU": {}}}').join()).toContain('not an environment');
    expect(bad('{"maxLifetimeDays": 0}').join()).toContain('maxLifetimeDays');
  });

  it('accepts the README\'s example policy', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const example = /## Scope policy[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)?.[1];
    const parsed = parseScopePolicy(example, undefined);
    expect(parsed.ok ? [] : parsed.problems).toEqual([]);
  });

  it('accepts alias scopes', () => {
    expect(parseScopePolicy('{"environments": {"prod": {"require": ["api:write"]}}}', undefined).ok).toBe(true);
  });
});

describe('scope advice', () => {
  it('adds the scopes DigitalOcean grants alongside an environment\'s required ones', () => {
    const list = checklistForPolicy({ require: ['droplet:create', 'api:read'], requireExpiry: false, maxLifetimeDays: undefined, unverifiable: 'accept' });
    expect(list.scopes).toEqual([...withRequired(['droplet:create'])].sort());
    expect(list.aliases).toEqual(['api:read']);
  });

  it('lists a Terraform configuration\'s scopes from the provider table, and knows Spaces types use the key', async () => {
    const advice = await checklistForResourceTypes(['digitalocean_droplet', 'spaces_bucket', 'digitalocean_dropplet']);
    expect(advice.types).toEqual(['digitalocean_droplet', 'digitalocean_spaces_bucket']);
    expect(advice.scopes).toEqual(expect.arrayContaining(['droplet:create', 'droplet:delete', 'droplet:read', 'regions:read']));
    expect(advice.spacesKeyTypes).toEqual(['digitalocean_spaces_bucket']);
    expect(advice.unknown).toEqual([{ name: 'digitalocean_dropplet', suggestion: 'digitalocean_droplet' }]);
  });

  it('normalises the ways people write a type', () => {
    expect(normaliseType('droplet')).toBe('digitalocean_droplet');
    expect(normaliseType('"digitalocean_vpc"')).toBe('digitalocean_vpc');
    expect(normaliseType('data.digitalocean_image')).toBe('data.digitalocean_image');
  });

  it('groups scopes by resource with read first', () => {
    expect(groupByResource(['droplet:delete', 'vpc:read', 'droplet:read', 'droplet:create'])).toEqual([
      ['droplet', ['read', 'create', 'delete']],
      ['vpc', ['read']],
    ]);
  });

  it('suggests the scope a typo meant, and nothing for a name far from any', () => {
    expect(suggestScope('dropelt:read')).toBe('droplet:read');
    expect(suggestScope('zzzzzzzzzzzz:qqqq')).toBeUndefined();
  });
});
