/**
 * Reads DigitalOcean's OpenAPI spec (specification/DigitalOcean-public.v2.yaml and the operation
 * files its paths `$ref`) into operations with the scopes each needs, and matches request paths
 * built by godo against the spec's path templates.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';

/** Sort order that does not depend on the machine's locale, so output is the same everywhere. */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `api:read` and `api:write` stand for many granular scopes; an operation listing one beside a granular scope means "either". */
export function isAliasScope(scope: string): boolean {
  return scope.startsWith('api:');
}

export interface Operation {
  method: string;
  /** As written in the spec: "/v2/droplets/{droplet_id}". */
  path: string;
  operationId: string;
  /** Granular scopes, all needed (alias scopes dropped). */
  scopes: string[];
  /** Every scope name the operation mentions, alias scopes included. */
  mentioned: string[];
}

export type SecurityRequirement = Record<string, unknown>;

/**
 * The granular scopes an operation needs. One requirement object lists scopes that are all
 * needed (DigitalOcean's docs render them as "Required scopes: sizes:read regions:read"), apart
 * from alias scopes there, which are alternatives and are dropped. Several requirement objects are
 * alternatives in OpenAPI; the first with a granular scope is taken.
 */
export function operationScopes(security: readonly SecurityRequirement[] | undefined): string[] {
  for (const requirement of security ?? []) {
    const granular = scopesIn(requirement).filter((s) => !isAliasScope(s));
    if (granular.length > 0) return [...new Set(granular)].sort();
  }
  return [];
}

function scopesIn(requirement: SecurityRequirement): string[] {
  return Object.values(requirement).flatMap((v) => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []));
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

/** Operations of the spec under `specDir` (the `specification/` directory). */
export function loadOperations(specDir: string): Operation[] {
  const mainFile = join(specDir, 'DigitalOcean-public.v2.yaml');
  const main = parse(readFileSync(mainFile, 'utf8')) as { paths?: Record<string, Record<string, unknown>> };
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(main.paths ?? {})) {
    for (const [method, value] of Object.entries(item ?? {})) {
      if (!HTTP_METHODS.includes(method)) continue;
      const op = resolveRef(value, dirname(mainFile));
      const security = Array.isArray(op.security) ? (op.security as SecurityRequirement[]) : undefined;
      operations.push({
        method: method.toUpperCase(),
        path,
        operationId: typeof op.operationId === 'string' ? op.operationId : '',
        scopes: operationScopes(security),
        mentioned: [...new Set((security ?? []).flatMap(scopesIn))].sort(),
      });
    }
  }
  return operations;
}

function resolveRef(value: unknown, baseDir: string): Record<string, unknown> {
  const ref = (value as { $ref?: unknown } | null)?.$ref;
  if (typeof ref !== 'string') return (value ?? {}) as Record<string, unknown>;
  return (parse(readFileSync(join(baseDir, ref.split('#')[0]!), 'utf8')) ?? {}) as Record<string, unknown>;
}

/** Every scope name the spec uses, alias scopes included, sorted. */
export function allScopes(operations: readonly Operation[]): string[] {
  return [...new Set(operations.flatMap((o) => o.mentioned))].sort();
}

/** Path segments with every `{param}` (spec) or `{}` (godo) part turned into `{}`. */
export function normalisePath(path: string): string[] {
  const withoutQuery = path.split('?')[0]!;
  return withoutQuery
    .replace(/\{[^}]*\}/g, '{}')
    .split('/')
    .filter((s) => s !== '');
}

export class OperationMatcher {
  private readonly byMethod = new Map<string, { op: Operation; segments: string[] }[]>();

  constructor(operations: readonly Operation[]) {
    for (const op of operations) {
      const list = this.byMethod.get(op.method) ?? [];
      list.push({ op, segments: normalisePath(op.path) });
      this.byMethod.set(op.method, list);
    }
  }

  /**
   * The spec operations a godo request hits. An exact shape match wins; otherwise a parameter on
   * either side may stand for a literal segment on the other (godo sometimes passes a fixed word
   * through a variable), and the candidates agreeing on most literal segments are taken.
   */
  match(method: string, path: string): Operation[] {
    const segments = normalisePath(path);
    const candidates = this.byMethod.get(method.toUpperCase()) ?? [];
    const exact = candidates.filter((c) => c.segments.join('/') === segments.join('/'));
    if (exact.length > 0) return exact.map((c) => c.op);
    let best: Operation[] = [];
    let bestScore = 0;
    for (const c of candidates) {
      const score = wildcardScore(c.segments, segments);
      if (score > bestScore) {
        best = [c.op];
        bestScore = score;
      } else if (score === bestScore && score > 0) best.push(c.op);
    }
    return best;
  }
}

/** Literal segments two paths share, or 0 when they cannot be the same path. */
function wildcardScore(spec: readonly string[], godo: readonly string[]): number {
  if (spec.length !== godo.length) return 0;
  let literal = 0;
  for (let i = 0; i < spec.length; i++) {
    const a = spec[i]!;
    const b = godo[i]!;
    if (a === b && !a.includes('{}')) literal++;
    else if (!a.includes('{}') && !b.includes('{}')) return 0;
  }
  return literal;
}

/** "METHOD /v2/path/{param}", as RESOURCE_TYPES lists operations. */
export function operationLabel(op: Operation): string {
  return `${op.method} ${op.path}`;
}
