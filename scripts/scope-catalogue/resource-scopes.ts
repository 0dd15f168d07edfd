/**
 * Joins the three sources: provider type -> godo calls -> HTTP requests -> spec operations -> scopes.
 */
import type { GodoInterpreter } from './godo-paths.js';
import { type Operation, type OperationMatcher, byCodeUnit, operationLabel } from './openapi.js';
import type { GodoCall, ProviderCode, ProviderType } from './provider.js';

export interface ResourceTypeScopes {
  scopes: string[];
  operations: string[];
  spacesKey: boolean;
  unresolved: string[];
}

export interface CallResolution {
  operations: Operation[];
  /** Why the call, or part of it, could not be tied to a spec operation; empty when it was. */
  problems: string[];
}

/** Ties one godo call to the spec operations it sends. */
export function resolveCall(call: GodoCall, godo: GodoInterpreter, matcher: OperationMatcher): CallResolution {
  const name = `${call.service}.${call.method}`;
  const requests = godo.requestsOf(call.service, call.method);
  if (requests.length === 0) {
    const why = godo.hasMethod(call.service, call.method) ? 'sends no request godo builds with NewRequest' : 'no such method in godo';
    return { operations: [], problems: [`${name}: ${why}`] };
  }
  const operations: Operation[] = [];
  const problems: string[] = [];
  for (const r of requests) {
    if (r.method === null || r.path === null) {
      problems.push(`${name}: request ${r.method ?? '?'} ${r.path ?? '?'} not worked out from godo`);
      continue;
    }
    const matched = matcher.match(r.method, `/${r.path.replace(/^\/+/, '')}`);
    if (matched.length === 0) problems.push(`${name}: ${r.method} /${r.path.replace(/^\/+/, '')} is not in the API spec`);
    operations.push(...matched);
  }
  return { operations, problems };
}

export interface Coverage {
  /** Distinct godo methods called by any type. */
  calls: number;
  resolved: number;
  /** (type, godo method) pairs, and how many of them resolved. */
  typeCalls: number;
  typeCallsResolved: number;
  /** Unresolved methods with the reason. */
  unresolved: string[];
}

export interface ResourceScopesResult {
  types: Record<string, ResourceTypeScopes>;
  coverage: Coverage;
}

/** The scopes, operations and Spaces use of every provider type. */
export function deriveResourceScopes(
  providerTypes: readonly ProviderType[],
  code: ProviderCode,
  godo: GodoInterpreter,
  matcher: OperationMatcher,
  warn: (message: string) => void,
): ResourceScopesResult {
  const reached = new Map<string, ReturnType<ProviderCode['reach']>>();
  for (const type of providerTypes) {
    const root = code.constructorNode(type);
    if (!root) {
      warn(`${type.key}: constructor ${type.packageDir}.${type.constructorName} not found`);
      continue;
    }
    reached.set(type.key, code.reach([root]));
  }
  const reachedByAny = new Set([...reached.values()].flat().map((n) => n.id));

  const resolutions = new Map<string, CallResolution>();
  let typeCalls = 0;
  let typeCallsResolved = 0;
  const types: Record<string, ResourceTypeScopes> = {};
  for (const type of providerTypes) {
    const nodes = reached.get(type.key);
    const root = code.constructorNode(type);
    if (!nodes || !root) continue;
    const { calls, spaces } = code.codeOf(code.reach([...nodes, ...code.orphansInFile(root, reachedByAny)]));
    const operations = new Map<string, Operation>();
    const unresolved: string[] = [];
    for (const call of calls) {
      const name = `${call.service}.${call.method}`;
      const resolution = resolutions.get(name) ?? resolveCall(call, godo, matcher);
      resolutions.set(name, resolution);
      for (const op of resolution.operations) operations.set(operationLabel(op), op);
      if (resolution.problems.length > 0) unresolved.push(name);
      else typeCallsResolved++;
      typeCalls++;
    }
    types[type.key] = {
      scopes: [...new Set([...operations.values()].flatMap((op) => op.scopes))].sort(byCodeUnit),
      operations: [...operations.keys()].sort(byCodeUnit),
      spacesKey: spaces,
      unresolved: unresolved.sort(byCodeUnit),
    };
  }
  const problems = [...resolutions.entries()].filter(([, r]) => r.problems.length > 0);
  return {
    types,
    coverage: {
      calls: resolutions.size,
      resolved: resolutions.size - problems.length,
      typeCalls,
      typeCallsResolved,
      unresolved: problems.flatMap(([, r]) => r.problems).sort(byCodeUnit),
    },
  };
}
