import { closest, distance } from 'fastest-levenshtein';
import type { EnvironmentPolicy } from '../scope-policy.js';
import { isAliasScope, withRequired } from './catalogue.js';

/**
 * Which custom scopes to tick in the control panel: for an environment's policy, or for the
 * Terraform resource types a configuration uses. Both include the scopes DigitalOcean adds with
 * the chosen ones, so the list matches what the token will report.
 */

export interface Checklist {
  /** Granular scopes to tick, with the ones DigitalOcean adds alongside, sorted. */
  scopes: string[];
  /** Alias scopes a policy requires (`api:write`: a Full Access token; `api:read`: Read Only or more). */
  aliases: string[];
}

export function checklistForPolicy(rules: EnvironmentPolicy): Checklist {
  const granular = rules.require.filter((s) => !isAliasScope(s));
  return { scopes: [...withRequired(granular)].sort(), aliases: rules.require.filter(isAliasScope) };
}

export interface ResourceTypeAdvice extends Checklist {
  /** Types found, as written by the person (normalised). */
  types: string[];
  /** Types that work on Spaces with the Spaces key (wholly or partly). */
  spacesKeyTypes: string[];
  /** Types whose provider code calls an operation the generator could not map: the list may be short. */
  incompleteTypes: string[];
  unknown: { name: string; suggestion: string | undefined }[];
  /** Which provider and spec the table was generated from. */
  sources: { provider: string; openapi: string };
}

/** Resource types (`digitalocean_droplet`) and data sources (`data.digitalocean_droplet`). */
export async function checklistForResourceTypes(names: readonly string[]): Promise<ResourceTypeAdvice> {
  // The table is large and only needed here: loaded on first use, not at cold start.
  const { RESOURCE_TYPES, PROVIDER_SOURCES } = await import('./resource-scopes.generated.js');
  const known = Object.keys(RESOURCE_TYPES);
  const advice: ResourceTypeAdvice = {
    scopes: [],
    aliases: [],
    types: [],
    spacesKeyTypes: [],
    incompleteTypes: [],
    unknown: [],
    sources: { provider: PROVIDER_SOURCES.provider, openapi: PROVIDER_SOURCES.openapi },
  };
  const scopes = new Set<string>();
  for (const name of names) {
    const type = normaliseType(name);
    const entry = Object.hasOwn(RESOURCE_TYPES, type) ? RESOURCE_TYPES[type] : undefined;
    if (entry === undefined) {
      advice.unknown.push({ name, suggestion: suggestType(type, known) });
      continue;
    }
    if (advice.types.includes(type)) continue;
    advice.types.push(type);
    for (const s of entry.scopes) scopes.add(s);
    if (entry.spacesKey) advice.spacesKeyTypes.push(type);
    if (entry.unresolved.length > 0) advice.incompleteTypes.push(type);
  }
  advice.scopes = [...withRequired(scopes)].sort();
  return advice;
}

/** A type the name starts (digitalocean_fire -> digitalocean_firewall) or nearly spells. */
function suggestType(type: string, known: readonly string[]): string | undefined {
  const started = known.filter((k) => k.startsWith(type)).sort((a, b) => a.length - b.length)[0];
  if (started) return started;
  const guess = closest(type, [...known]);
  return distance(type, guess) <= 3 ? guess : undefined;
}

/** Accepts `droplet`, `digitalocean_droplet`, `data.digitalocean_droplet`, `resource "digitalocean_droplet"`-style copies. */
export function normaliseType(name: string): string {
  const bare = name.trim().toLowerCase().replace(/^["']|["']$/g, '');
  const isData = bare.startsWith('data.');
  const type = isData ? bare.slice(5) : bare;
  const full = type.startsWith('digitalocean_') ? type : `digitalocean_${type}`;
  return isData ? `data.${full}` : full;
}

/** Whether a command argument names a Terraform type rather than an environment. */
export function looksLikeResourceType(arg: string): boolean {
  return /^(data\.)?digitalocean_[a-z0-9_]+$/i.test(arg.trim());
}
