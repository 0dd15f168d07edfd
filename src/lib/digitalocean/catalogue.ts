import { closest, distance } from 'fastest-levenshtein';
import { REQUIRED_WITH, SCOPES } from './scope-catalogue.generated.js';

/**
 * DigitalOcean's scope catalogue: the names its API knows (generated from the OpenAPI spec by
 * `npm run scopes:generate`), the scopes the control panel adds with each one, and the alias and
 * legacy names that stand for many.
 */

/** Alias scopes (scopes docs, May 2026): the control panel's "Read Only" and "Full Access". */
export const READ_ALIAS = 'api:read';
export const WRITE_ALIAS = 'api:write';
/** Tokens created before the 2024 custom-scopes launch report these instead. */
export const LEGACY_READ = 'read';
export const LEGACY_WRITE = 'write';

/**
 * Scopes that also grant another. Source: ../shared/facts/digitalocean.md — `project:update` grants
 * `project:assign_resource` (POST /v2/projects/{id}/resources) since 2026-07.
 */
const ALSO_GRANTED_BY: Readonly<Record<string, readonly string[]>> = {
  'project:assign_resource': ['project:update'],
};

const known = new Set(SCOPES);

export function isKnownScope(scope: string): boolean {
  return known.has(scope);
}

export function isAliasScope(scope: string): boolean {
  return scope === READ_ALIAS || scope === WRITE_ALIAS;
}

/** Every granular scope the catalogue knows (alias scopes left out). */
export function granularScopes(): string[] {
  return SCOPES.filter((s) => !isAliasScope(s));
}

/** What `api:read` stands for: viewing, never changing (`nfs:list` is NFS's listing scope). */
export function isReadScope(scope: string): boolean {
  const action = actionOf(scope);
  return action === 'read' || action === 'list';
}

export function resourceOf(scope: string): string {
  const i = scope.indexOf(':');
  return i < 0 ? scope : scope.slice(0, i);
}

export function actionOf(scope: string): string {
  const i = scope.indexOf(':');
  return i < 0 ? '' : scope.slice(i + 1);
}

/** The scopes plus every scope DigitalOcean makes a token hold with them (transitively). */
export function withRequired(scopes: Iterable<string>): Set<string> {
  const all = new Set<string>();
  const pending = [...scopes];
  for (let s = pending.pop(); s !== undefined; s = pending.pop()) {
    if (all.has(s)) continue;
    all.add(s);
    pending.push(...(REQUIRED_WITH[s] ?? []));
  }
  return all;
}

/** Whether a set of granular scopes grants `scope`, directly or through a scope that also grants it. */
export function grants(granted: ReadonlySet<string>, scope: string): boolean {
  return granted.has(scope) || (ALSO_GRANTED_BY[scope] ?? []).some((s) => granted.has(s));
}

/** Scopes grouped by resource, each group's actions with read first: [["droplet", ["read", "create"]], ...]. */
export function groupByResource(scopes: Iterable<string>): [string, string[]][] {
  const groups = new Map<string, Set<string>>();
  for (const s of scopes) {
    const set = groups.get(resourceOf(s)) ?? new Set<string>();
    set.add(actionOf(s));
    groups.set(resourceOf(s), set);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([resource, actions]) => [resource, [...actions].sort(byActionOrder)]);
}

const ACTION_ORDER = ['read', 'list', 'create', 'update', 'delete'];
function byActionOrder(a: string, b: string): number {
  const rank = (x: string) => (ACTION_ORDER.includes(x) ? ACTION_ORDER.indexOf(x) : ACTION_ORDER.length);
  return rank(a) - rank(b) || a.localeCompare(b);
}

/** The known scope a mistyped name most likely meant, if one is close. */
export function suggestScope(name: string): string | undefined {
  const guess = closest(name, [...SCOPES]);
  return distance(name, guess) <= Math.max(2, Math.floor(name.length / 5)) ? guess : undefined;
}
