import {
  grants,
  groupByResource,
  isAliasScope,
  isKnownScope,
  isReadScope,
  LEGACY_READ,
  LEGACY_WRITE,
  READ_ALIAS,
  resourceOf,
  withRequired,
  WRITE_ALIAS,
} from './catalogue.js';

/**
 * What a token may do, and how that compares with the scopes an environment requires. From
 * DigitalOcean's token info when it answers with names the catalogue knows; otherwise from
 * side-effect-free read probes, which cannot see write scopes. Token info shows what the token was
 * granted: Full Access and Read Only also follow the creator's team role, which it does not show.
 */

export type TokenAccess =
  /** `api:write` (or legacy `write`): every scope. */
  | { kind: 'full_access'; legacy: boolean }
  /** `api:read` (or legacy `read`): every read scope. */
  | { kind: 'read_only'; legacy: boolean }
  /**
   * Custom scopes, with those DigitalOcean adds alongside them; sorted. `readAll`: also `api:read`.
   * `omitted`: scopes a stored summary had no room for.
   */
  | { kind: 'custom'; scopes: string[]; readAll: boolean; omitted?: number }
  /** Token info did not answer, or answered with no name the catalogue knows. */
  | { kind: 'unknown' };

/** Reads token info's scope list; undefined when it names nothing the catalogue recognises. */
export function accessFromTokenInfo(reported: readonly string[]): TokenAccess | undefined {
  const names = new Set(reported);
  if (names.has(WRITE_ALIAS) || names.has(LEGACY_WRITE)) return { kind: 'full_access', legacy: !names.has(WRITE_ALIAS) };
  const readAll = names.has(READ_ALIAS) || names.has(LEGACY_READ);
  const granular = [...withRequired(reported.filter((s) => isKnownScope(s) && !isAliasScope(s)))].sort();
  if (readAll && granular.every(isReadScope)) return { kind: 'read_only', legacy: !names.has(READ_ALIAS) };
  if (granular.length === 0) return undefined;
  return { kind: 'custom', scopes: granular, readAll };
}

/** Whether the token holds a scope; undefined when its access is unknown. */
export function holds(access: TokenAccess, scope: string): boolean | undefined {
  switch (access.kind) {
    case 'full_access':
      return true;
    case 'read_only':
      return scope === READ_ALIAS || (isReadScope(scope) && !isAliasScope(scope));
    case 'custom':
      if (scope === WRITE_ALIAS) return false;
      if (scope === READ_ALIAS) return access.readAll;
      return (access.readAll && isReadScope(scope)) || grants(new Set(access.scopes), scope);
    case 'unknown':
      return undefined;
  }
}

/** What became of DigitalOcean's token info: it said, it failed, it is turned off, or it named nothing known. */
export type TokenInfoState = 'answered' | 'failed' | 'disabled' | 'unrecognised';

export interface ScopeReport {
  /** token_info: DigitalOcean listed the scopes; probes: read-only calls ran; none: neither could tell. */
  source: 'token_info' | 'probes' | 'none';
  access: TokenAccess;
  required: string[];
  granted: string[];
  missing: string[];
  /** Could not be checked: write scopes without token info, or probes that did not answer. */
  unverified: string[];
  tokenInfo: TokenInfoState;
}

export function reportFromTokenInfo(required: readonly string[], access: TokenAccess): ScopeReport {
  const granted = required.filter((s) => holds(access, s) === true);
  return {
    source: 'token_info',
    access,
    required: [...required],
    granted,
    missing: required.filter((s) => !granted.includes(s)),
    unverified: [],
    tokenInfo: 'answered',
  };
}

export type ProbeOutcome = 'granted' | 'missing' | 'unknown';

/**
 * From read probes. A create/update/delete scope can only be held with its resource's read scope,
 * so a missing read scope makes the resource's write scopes missing too; others stay unverified.
 */
export function reportFromProbes(
  required: readonly string[],
  probes: ReadonlyMap<string, ProbeOutcome>,
  tokenInfo: Exclude<TokenInfoState, 'answered'>,
): ScopeReport {
  const granted: string[] = [];
  const missing: string[] = [];
  const unverified: string[] = [];
  for (const scope of required) {
    const outcome = probeOutcome(scope, probes);
    (outcome === 'granted' ? granted : outcome === 'missing' ? missing : unverified).push(scope);
  }
  return {
    source: probes.size > 0 ? 'probes' : 'none',
    access: { kind: 'unknown' },
    required: [...required],
    granted,
    missing,
    unverified,
    tokenInfo,
  };
}

function probeOutcome(scope: string, probes: ReadonlyMap<string, ProbeOutcome>): ProbeOutcome {
  if (isAliasScope(scope)) return 'unknown';
  if (isReadScope(scope)) return probes.get(scope) ?? 'unknown';
  return probes.get(`${resourceOf(scope)}:read`) === 'missing' ? 'missing' : 'unknown';
}

/** The read scopes whose probes can prove something about the required scopes. */
export function probesFor(required: readonly string[]): string[] {
  const reads = required.filter((s) => !isAliasScope(s)).map((s) => (isReadScope(s) ? s : `${resourceOf(s)}:read`));
  return [...new Set(reads)];
}

/**
 * A compact form for a Secrets Manager tag (at most 256 characters of letters, digits, spaces and
 * `_ . : / = + - @`): "full-access", "read-only legacy", "custom droplet:read/create vpc:read +3".
 */
export function encodeTokenAccess(access: TokenAccess, max = 256): string {
  switch (access.kind) {
    case 'full_access':
    case 'read_only':
      return `${access.kind === 'full_access' ? 'full-access' : 'read-only'}${access.legacy ? ' legacy' : ''}`;
    case 'unknown':
      return 'unknown';
    case 'custom':
      return encodeCustom(access, max);
  }
}

function encodeCustom(access: Extract<TokenAccess, { kind: 'custom' }>, max: number): string {
  const parts = groupByResource(access.scopes).map(([resource, actions]) => ({ text: `${resource}:${actions.join('/')}`, count: actions.length }));
  let omitted = access.omitted ?? 0;
  const head = access.readAll ? 'custom+read' : 'custom';
  const render = () => [head, ...parts.map((p) => p.text), ...(omitted > 0 ? [`+${omitted}`] : [])].join(' ');
  // Drop whole resources from the end until it fits; the count says how many scopes are not shown.
  while (render().length > max && parts.length > 0) omitted += parts.pop()?.count ?? 0;
  return render();
}

/** Reads the tag back; names the catalogue does not know are dropped, and anything else is undefined. */
export function decodeTokenAccess(text: string | undefined): TokenAccess | undefined {
  const [head, ...rest] = (text ?? '').trim().split(/\s+/);
  switch (head) {
    case 'full-access':
    case 'read-only':
      return { kind: head === 'full-access' ? 'full_access' : 'read_only', legacy: rest[0] === 'legacy' };
    case 'unknown':
      return { kind: 'unknown' };
    case 'custom':
    case 'custom+read':
      return decodeCustom(head === 'custom+read', rest);
    default:
      return undefined;
  }
}

function decodeCustom(readAll: boolean, parts: string[]): TokenAccess {
  const scopes: string[] = [];
  let omitted = 0;
  for (const part of parts) {
    const more = /^\+(\d{1,4})$/.exec(part);
    if (more) {
      omitted += Number(more[1]);
      continue;
    }
    const [resource, actions = ''] = part.split(':');
    for (const action of actions.split('/')) {
      const scope = `${resource}:${action}`;
      if (isKnownScope(scope) && !isAliasScope(scope)) scopes.push(scope);
    }
  }
  return { kind: 'custom', scopes: [...new Set(scopes)].sort(), readAll, ...(omitted > 0 ? { omitted } : {}) };
}
