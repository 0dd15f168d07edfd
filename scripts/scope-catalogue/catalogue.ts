/**
 * REQUIRED_WITH and SCOPE_DESCRIPTIONS: DigitalOcean's generic read rule plus the per-scope facts
 * collected in required-scopes.json.
 */
import { byCodeUnit, isAliasScope } from './openapi.js';

export interface RequiredScopeFact {
  requires?: string[];
  description?: string;
  source?: string;
}

export interface RequiredScopesFile {
  scopes?: Record<string, RequiredScopeFact>;
}

export interface Catalogue {
  requiredWith: Record<string, string[]>;
  descriptions: Record<string, string>;
}

/**
 * "To add a non-read scope for a resource type, you must also add the read scope for that
 * resource type" (DigitalOcean's scopes docs): `res:action` requires `res:read` when the spec
 * has one. Alias scopes stand for many resources and have no such partner.
 */
export function genericReadRule(scopes: readonly string[]): Map<string, string[]> {
  const known = new Set(scopes);
  const rule = new Map<string, string[]>();
  for (const scope of scopes) {
    if (isAliasScope(scope)) continue;
    const [resource, action] = scope.split(':');
    const read = `${resource}:read`;
    // `nfs:list` is NFS's viewing scope, as read-only as `:read`.
    if (action !== 'read' && action !== 'list' && known.has(read)) rule.set(scope, [read]);
  }
  return rule;
}

/**
 * The spec's scope names plus those DigitalOcean's per-scope pages document (a page, or a page's
 * Required Scopes naming it): e.g. `spaces:read`, which `spaces_key:read` requires but no operation
 * in the spec lists. A token can hold them, so a policy may name them.
 */
export function catalogueScopes(specScopes: readonly string[], facts: RequiredScopesFile | undefined): string[] {
  const documented = Object.entries(facts?.scopes ?? {}).flatMap(([scope, fact]) => [scope, ...(fact.requires ?? [])]);
  return [...new Set([...specScopes, ...documented])].filter((s) => /^[a-z_]+:[a-z_]+$/.test(s)).sort(byCodeUnit);
}

/**
 * Merges the generic rule with the documented facts. Names the spec does not know are dropped
 * with a warning: the catalogue must never tell someone to ask for a scope DigitalOcean cannot issue.
 */
export function buildCatalogue(scopes: readonly string[], facts: RequiredScopesFile | undefined, warn: (message: string) => void): Catalogue {
  const known = new Set(scopes);
  const required = new Map<string, Set<string>>();
  for (const [scope, reads] of genericReadRule(scopes)) required.set(scope, new Set(reads));
  const descriptions: Record<string, string> = {};
  for (const [scope, fact] of Object.entries(facts?.scopes ?? {}).sort(([a], [b]) => byCodeUnit(a, b))) {
    if (!known.has(scope)) {
      warn(`required-scopes.json: ${scope} is not a scope in the API spec; ignored`);
      continue;
    }
    if (typeof fact.description === 'string' && fact.description.trim() !== '') descriptions[scope] = fact.description.trim();
    for (const r of fact.requires ?? []) {
      if (r === scope) continue;
      if (!known.has(r)) {
        warn(`required-scopes.json: ${scope} requires ${r}, which is not a scope in the API spec; dropped`);
        continue;
      }
      const set = required.get(scope) ?? new Set<string>();
      set.add(r);
      required.set(scope, set);
    }
  }
  const requiredWith: Record<string, string[]> = {};
  for (const scope of [...required.keys()].sort()) requiredWith[scope] = [...required.get(scope)!].sort();
  return { requiredWith, descriptions };
}
