/**
 * Finds, for each resource type and data source of terraform-provider-digitalocean, the godo calls
 * its code makes and whether it talks to Spaces over S3. A type's code is what its constructor
 * reaches: the functions it names (CreateContext: resourceXCreate, ...), the functions those
 * name, across the provider's own packages (util.WaitForAction, tag.SetTags, ...). Test files and
 * sweepers are not reached from constructors, so they do not count.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type GoFile, type Token, parseGoFile } from './go-source.js';
import { byCodeUnit } from './openapi.js';

export interface ProviderType {
  /** "digitalocean_droplet", or "data.digitalocean_droplet" for a data source. */
  key: string;
  /** Directory of the constructor's package, relative to the provider root ("digitalocean/droplet"). */
  packageDir: string;
  constructorName: string;
}

/** Reads provider.go's ResourcesMap and DataSourcesMap. */
export function parseProviderTypes(providerGo: string, modulePath: string): ProviderType[] {
  const file = parseGoFile('provider.go', providerGo);
  const types: ProviderType[] = [];
  const dataStart = providerGo.indexOf('DataSourcesMap:');
  const resourcesStart = providerGo.indexOf('ResourcesMap:');
  const entry = /"(digitalocean_[a-z0-9_]+)"\s*:\s*([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)\(\)/g;
  for (const m of providerGo.matchAll(entry)) {
    const [, name, alias, constructorName] = m as unknown as [string, string, string, string];
    const importPath = file.imports.get(alias);
    if (importPath === undefined || !importPath.startsWith(`${modulePath}/`)) continue;
    // Whichever map block started last before this entry is the one it belongs to.
    const inData = dataStart >= 0 && m.index > dataStart && (resourcesStart < dataStart || m.index < resourcesStart);
    types.push({ key: inData ? `data.${name}` : name, packageDir: importPath.slice(modulePath.length + 1), constructorName });
  }
  return types.sort((a, b) => byCodeUnit(a.key, b.key));
}

export function modulePathOf(goMod: string): string {
  const m = /^module\s+(\S+)/m.exec(goMod);
  if (!m) throw new Error('go.mod has no module line');
  return m[1]!;
}

/** A package-level function or value of the provider. */
export interface ProviderNode {
  id: string;
  packageDir: string;
  file: GoFile;
  name: string;
  tokens: Token[];
  isFunc: boolean;
}

export interface GodoCall {
  service: string;
  method: string;
}

export interface TypeCode {
  calls: GodoCall[];
  spaces: boolean;
}

/** Loads the provider's Go packages on demand and walks what each constructor reaches. */
export class ProviderCode {
  private readonly packages = new Map<string, Map<string, ProviderNode>>();

  constructor(
    private readonly root: string,
    private readonly modulePath: string,
    private readonly isGodoService: (name: string) => boolean,
  ) {}

  private packageNodes(packageDir: string): Map<string, ProviderNode> {
    const cached = this.packages.get(packageDir);
    if (cached) return cached;
    const nodes = new Map<string, ProviderNode>();
    this.packages.set(packageDir, nodes);
    const dir = join(this.root, packageDir);
    if (!existsSync(dir)) return nodes;
    const files = readdirSync(dir).filter((f) => f.endsWith('.go') && !f.endsWith('_test.go')).sort();
    for (const name of files) {
      const file = parseGoFile(join(packageDir, name), readFileSync(join(dir, name), 'utf8'));
      for (const fn of file.funcs) {
        // Methods (only config's GodoClient/SpacesClient today) are not followed.
        if (fn.receiverType !== undefined || fn.name === 'init') continue;
        nodes.set(fn.name, { id: `${packageDir}#${fn.name}`, packageDir, file, name: fn.name, tokens: fn.body, isFunc: true });
      }
      for (const [value, tokens] of file.values) {
        nodes.set(value, { id: `${packageDir}#${value}`, packageDir, file, name: value, tokens, isFunc: false });
      }
    }
    return nodes;
  }

  private node(packageDir: string, name: string): ProviderNode | undefined {
    return this.packageNodes(packageDir).get(name);
  }

  /** Functions and values a node names: same-package identifiers and `pkg.Name` of the provider's packages. */
  private references(node: ProviderNode): ProviderNode[] {
    const found: ProviderNode[] = [];
    const { tokens } = node;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (t.kind !== 'ident' || tokens[i - 1]?.text === '.') continue;
      const next = tokens[i + 1];
      const selected = next?.text === '.' && tokens[i + 2]?.kind === 'ident' ? tokens[i + 2]!.text : undefined;
      const importPath = node.file.imports.get(t.text);
      if (selected !== undefined && importPath?.startsWith(`${this.modulePath}/`)) {
        const target = this.node(importPath.slice(this.modulePath.length + 1), selected);
        if (target) found.push(target);
      } else {
        const target = this.node(node.packageDir, t.text);
        if (target && target !== node) found.push(target);
      }
    }
    return found;
  }

  /** Every node reachable from the given roots (roots included). */
  reach(roots: readonly ProviderNode[]): ProviderNode[] {
    const seen = new Map<string, ProviderNode>();
    const pending = [...roots];
    for (let n = pending.pop(); n !== undefined; n = pending.pop()) {
      if (seen.has(n.id)) continue;
      seen.set(n.id, n);
      pending.push(...this.references(n));
    }
    return [...seen.values()];
  }

  constructorNode(type: ProviderType): ProviderNode | undefined {
    return this.node(type.packageDir, type.constructorName);
  }

  /**
   * Functions in a constructor's file that no constructor reaches (an unusual registration we do
   * not follow, say): attributed to that file's types rather than lost.
   */
  orphansInFile(constructor: ProviderNode, reachedByAny: ReadonlySet<string>): ProviderNode[] {
    return [...this.packageNodes(constructor.packageDir).values()].filter(
      (n) => n.isFunc && n.file === constructor.file && !reachedByAny.has(n.id),
    );
  }

  /** godo calls and Spaces use in the given code. */
  codeOf(nodes: readonly ProviderNode[]): TypeCode {
    const calls = new Map<string, GodoCall>();
    let spaces = false;
    for (const node of nodes) {
      const serviceFrom = (fn: string) => {
        const target = this.node(node.packageDir, fn);
        return target?.isFunc ? returnedService(target.tokens, this.isGodoService) : undefined;
      };
      for (const call of godoCalls(node.tokens, this.isGodoService, serviceFrom)) calls.set(`${call.service}.${call.method}`, call);
      spaces ||= usesSpaces(node.tokens);
    }
    return { calls: [...calls.values()].sort((a, b) => byCodeUnit(`${a.service}.${a.method}`, `${b.service}.${b.method}`)), spaces };
  }
}

/**
 * `client.Droplets.Create(`, `conn.Tags.TagResources(`, `GodoClient().Droplets.Get(`, and method
 * values such as `client.Images.List` passed to a lister. The receiver must be a plain variable or
 * a call result, which keeps out fields that share a service's name (`tag.Resources.Droplets`).
 */
export function godoCalls(
  tokens: readonly Token[],
  isGodoService: (name: string) => boolean,
  serviceReturnedBy: (functionName: string) => string | undefined = () => undefined,
): GodoCall[] {
  const calls = serviceVariableCalls(tokens, isGodoService, serviceReturnedBy);
  for (let i = 1; i + 3 < tokens.length; i++) {
    const receiver = tokens[i - 1]!;
    const plainVariable = receiver.kind === 'ident' && tokens[i - 2]?.text !== '.';
    if (!plainVariable && receiver.text !== ')') continue;
    const [dot1, service, dot2, method] = tokens.slice(i, i + 4);
    if (dot1?.text !== '.' || dot2?.text !== '.' || service?.kind !== 'ident' || method?.kind !== 'ident') continue;
    if (!isGodoService(service.text) || !/^[A-Z]/.test(method.text)) continue;
    calls.push({ service: service.text, method: method.text });
  }
  return calls;
}

const ENDS_STATEMENT = (t: Token | undefined) => t === undefined || t.kind === 'newline' || t.text === '}' || t.text === ';';

/**
 * Calls through a variable holding one service, as in the BYOIP resource:
 * `service := getBYOIPService(meta)` (which does `return client.BYOIPPrefixes`), then
 * `service.Create(...)`; or `svc := client.Droplets` then `svc.Get(...)`.
 */
function serviceVariableCalls(
  tokens: readonly Token[],
  isGodoService: (name: string) => boolean,
  serviceReturnedBy: (functionName: string) => string | undefined,
): GodoCall[] {
  const bound = new Map<string, string>();
  for (let i = 0; i + 2 < tokens.length; i++) {
    const [variable, assign, first] = tokens.slice(i, i + 3);
    const startsStatement = i === 0 || ENDS_STATEMENT(tokens[i - 1]) || tokens[i - 1]?.text === '{';
    if (!startsStatement || variable?.kind !== 'ident' || (assign?.text !== ':=' && assign?.text !== '=') || first?.kind !== 'ident') continue;
    let end = i + 2;
    while (!ENDS_STATEMENT(tokens[end])) end++;
    const last = tokens[end - 1]!;
    if (tokens[end - 2]?.text === '.' && isGodoService(last.text)) bound.set(variable.text, last.text);
    else if (tokens[i + 3]?.text === '(') {
      const service = serviceReturnedBy(first.text);
      if (service !== undefined) bound.set(variable.text, service);
    }
  }
  const calls: GodoCall[] = [];
  for (let i = 0; i + 3 < tokens.length; i++) {
    const [variable, dot, method, paren] = tokens.slice(i, i + 4);
    const service = variable?.kind === 'ident' && tokens[i - 1]?.text !== '.' ? bound.get(variable.text) : undefined;
    if (service !== undefined && dot?.text === '.' && method?.kind === 'ident' && /^[A-Z]/.test(method.text) && paren?.text === '(') {
      calls.push({ service, method: method.text });
    }
  }
  return calls;
}

/** The service a helper hands out with `return client.<Service>`, if it does. */
export function returnedService(tokens: readonly Token[], isGodoService: (name: string) => boolean): string | undefined {
  for (let i = 0; i + 3 < tokens.length; i++) {
    const [ret, receiver, dot, service] = tokens.slice(i, i + 4);
    if (ret?.text === 'return' && receiver?.kind === 'ident' && dot?.text === '.' && isGodoService(service?.text ?? '') && ENDS_STATEMENT(tokens[i + 4])) {
      return service!.text;
    }
  }
  return undefined;
}

/** The Spaces (S3) client: `meta.(*config.CombinedConfig).SpacesClient(region)` or aws-sdk-go's `s3.`. */
export function usesSpaces(tokens: readonly Token[]): boolean {
  return tokens.some(
    (t, i) =>
      (t.kind === 'ident' && t.text === 'SpacesClient' && tokens[i - 1]?.text === '.') ||
      (t.kind === 'ident' && t.text === 's3' && tokens[i + 1]?.text === '.' && tokens[i - 1]?.text !== '.'),
  );
}
