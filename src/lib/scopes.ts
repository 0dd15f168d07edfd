/**
 * Which of the scopes a Terraform run needs a token really has. From DigitalOcean's token info when
 * it answers (exact); otherwise from side-effect-free read probes, which cannot see write scopes.
 */

/** A Terraform setup with Droplets, VPCs, managed databases, domains and projects. */
export const DEFAULT_REQUIRED_SCOPES = [
  'actions:read',
  'regions:read',
  'sizes:read',
  'image:read',
  'ssh_key:read',
  'tag:read',
  'tag:create',
  'project:read',
  'project:update',
  'droplet:read',
  'droplet:create',
  'droplet:update',
  'droplet:delete',
  'vpc:read',
  'vpc:create',
  'vpc:update',
  'vpc:delete',
  'database:read',
  'database:create',
  'database:update',
  'database:delete',
  'database:view_credentials',
  'domain:read',
  'domain:create',
  'domain:update',
  'domain:delete',
] as const;

export const SCOPE_PATTERN = /^[a-z_]+:[a-z_]+$/;

export interface ScopeReport {
  source: 'digitalocean' | 'probes';
  required: string[];
  granted: string[];
  missing: string[];
  /** Could not be checked: write scopes without token info, or probes that did not answer. */
  unverified: string[];
  /** Every scope DigitalOcean lists for the token (token info only). */
  all: string[] | undefined;
}

export function isReadScope(scope: string): boolean {
  return scope.endsWith(':read');
}

/** Legacy tokens report `read` (every read scope) or `write` (everything). */
function tokenHas(scopes: ReadonlySet<string>, scope: string): boolean {
  return scopes.has(scope) || scopes.has('write') || (scopes.has('read') && isReadScope(scope));
}

export function reportFromTokenInfo(required: readonly string[], scopes: readonly string[]): ScopeReport {
  const have = new Set(scopes);
  const granted = required.filter((s) => tokenHas(have, s));
  return {
    source: 'digitalocean',
    required: [...required],
    granted,
    missing: required.filter((s) => !tokenHas(have, s)),
    unverified: [],
    all: [...scopes].sort(),
  };
}

export type ProbeOutcome = 'granted' | 'missing' | 'unknown';

/**
 * From read probes. A create/update/delete scope can only be held with its resource's read scope,
 * so a missing read scope makes the resource's write scopes missing too; others stay unverified.
 */
export function reportFromProbes(required: readonly string[], probes: ReadonlyMap<string, ProbeOutcome>): ScopeReport {
  const granted: string[] = [];
  const missing: string[] = [];
  const unverified: string[] = [];
  for (const scope of required) {
    const readOutcome = probes.get(`${resourceOf(scope)}:read`);
    const outcome = isReadScope(scope) ? (probes.get(scope) ?? 'unknown') : readOutcome === 'missing' ? 'missing' : 'unknown';
    (outcome === 'granted' ? granted : outcome === 'missing' ? missing : unverified).push(scope);
  }
  return { source: 'probes', required: [...required], granted, missing, unverified, all: undefined };
}

function resourceOf(scope: string): string {
  return scope.split(':')[0] ?? scope;
}
