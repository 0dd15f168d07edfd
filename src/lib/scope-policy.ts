import { z } from 'zod';
import { ENVIRONMENT_PATTERN } from './credential-input.js';
import { isKnownScope, suggestScope } from './digitalocean/catalogue.js';

/**
 * The operators' scope policy: which scopes a token must hold, how long it may live, and what
 * happens when write scopes cannot be verified — for every environment, and per environment on
 * top. Read from SCOPE_POLICY (JSON) at cold start; every scope name is checked against
 * DigitalOcean's catalogue, so a typo stops the start instead of refusing every token.
 */

export interface EnvironmentPolicy {
  /** Scopes (granular or alias) the token must hold; empty: every valid token is accepted. */
  require: string[];
  /** Refuse tokens that never expire. */
  requireExpiry: boolean;
  /** Refuse tokens made to live longer than this many days, creation to expiry (implies requireExpiry). */
  maxLifetimeDays: number | undefined;
  /** Required scopes DigitalOcean cannot confirm (token info unavailable): save with a warning, or refuse. */
  unverifiable: 'accept' | 'refuse';
}

export interface ScopePolicy {
  base: EnvironmentPolicy;
  environments: Readonly<Record<string, Partial<EnvironmentPolicy>>>;
}

export const EMPTY_POLICY: ScopePolicy = {
  base: { require: [], requireExpiry: false, maxLifetimeDays: undefined, unverifiable: 'accept' },
  environments: {},
};

const rules = {
  require: z.array(z.string().trim()).optional(),
  requireExpiry: z.boolean().optional(),
  maxLifetimeDays: z.number().int().min(1).max(3650).optional(),
  unverifiable: z.enum(['accept', 'refuse']).optional(),
};
const policySchema = z
  .object({ ...rules, environments: z.record(z.string(), z.object(rules).strict()).optional() })
  .strict();

/** The policy of one environment: the base's required scopes plus its own; its other rules win. */
export function policyFor(policy: ScopePolicy, environment: string): EnvironmentPolicy {
  const own = Object.hasOwn(policy.environments, environment) ? policy.environments[environment] : undefined;
  const maxLifetimeDays = own?.maxLifetimeDays ?? policy.base.maxLifetimeDays;
  return {
    require: [...new Set([...policy.base.require, ...(own?.require ?? [])])],
    requireExpiry: (own?.requireExpiry ?? policy.base.requireExpiry) || maxLifetimeDays !== undefined,
    maxLifetimeDays,
    unverifiable: own?.unverifiable ?? policy.base.unverifiable,
  };
}

export function hasPolicy(policy: ScopePolicy): boolean {
  return policy.base.require.length > 0 || policy.base.requireExpiry || policy.base.maxLifetimeDays !== undefined ||
    Object.keys(policy.environments).length > 0;
}

export type PolicyParse = { ok: true; policy: ScopePolicy } | { ok: false; problems: string[] };

/**
 * Parses SCOPE_POLICY and the older REQUIRED_SCOPES (a comma-separated list that joins the base's
 * required scopes). Problems name the place and the unknown name, with the likely meant one.
 */
export function parseScopePolicy(json: string | undefined, requiredScopes: string | undefined): PolicyParse {
  const problems: string[] = [];
  const parsed = parseJson(json, problems);
  const legacy = (requiredScopes ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  problems.push(...unknownScopes(legacy, 'REQUIRED_SCOPES'));
  if (parsed === undefined) return problems.length > 0 ? { ok: false, problems } : { ok: true, policy: withBase(EMPTY_POLICY, legacy) };

  problems.push(...unknownScopes(parsed.require ?? [], 'SCOPE_POLICY require'));
  const environments: Record<string, Partial<EnvironmentPolicy>> = {};
  for (const [env, rule] of Object.entries(parsed.environments ?? {})) {
    if (!ENVIRONMENT_PATTERN.test(env)) problems.push(`SCOPE_POLICY environments has a name that is not an environment: "${env.slice(0, 40)}"`);
    problems.push(...unknownScopes(rule.require ?? [], `SCOPE_POLICY environments.${env}.require`));
    environments[env] = dropUndefined(rule);
  }
  if (problems.length > 0) return { ok: false, problems };
  const base: EnvironmentPolicy = {
    require: [...new Set([...legacy, ...(parsed.require ?? [])])],
    requireExpiry: parsed.requireExpiry ?? false,
    maxLifetimeDays: parsed.maxLifetimeDays,
    unverifiable: parsed.unverifiable ?? 'accept',
  };
  return { ok: true, policy: { base, environments } };
}

function parseJson(json: string | undefined, problems: string[]): z.infer<typeof policySchema> | undefined {
  if (json === undefined || json.trim() === '') return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    problems.push('SCOPE_POLICY is not valid JSON');
    return undefined;
  }
  const result = policySchema.safeParse(raw);
  if (result.success) return result.data;
  for (const issue of result.error.issues) problems.push(`SCOPE_POLICY ${issue.path.join('.') || '(top level)'} ${issue.message}`);
  return undefined;
}

function unknownScopes(scopes: readonly string[], where: string): string[] {
  return scopes
    .filter((s) => !isKnownScope(s))
    .map((s) => {
      const guess = suggestScope(s);
      return `${where} names an unknown DigitalOcean scope "${s.slice(0, 60)}"${guess ? ` (did you mean ${guess}?)` : ''}`;
    });
}

function withBase(policy: ScopePolicy, require: string[]): ScopePolicy {
  return { ...policy, base: { ...policy.base, require } };
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
