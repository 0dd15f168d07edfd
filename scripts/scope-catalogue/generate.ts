/**
 * Generates src/lib/digitalocean/scope-catalogue.generated.ts and resource-scopes.generated.ts
 * from DigitalOcean's public sources:
 *
 *   npm run scopes:generate -- --openapi <dir> --provider <dir> --godo <dir>
 *
 * Each directory is a checkout (for --openapi, one holding `specification/`, or that directory
 * itself) or a bare git repository, whose HEAD is then extracted to a temporary directory. Only the
 * generated data files belong in this repository, never the sources' code.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCatalogue, catalogueScopes, type RequiredScopesFile } from './catalogue.js';
import { renderResourceScopes, renderScopeCatalogue } from './emit.js';
import { parseGoFile } from './go-source.js';
import { GodoInterpreter, indexGodo } from './godo-paths.js';
import { OperationMatcher, allScopes, loadOperations } from './openapi.js';
import { ProviderCode, modulePathOf, parseProviderTypes } from './provider.js';
import { type Coverage, deriveResourceScopes } from './resource-scopes.js';

const SCRIPT_DIR = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(SCRIPT_DIR, '../..');
const REQUIRED_SCOPES = join(SCRIPT_DIR, 'required-scopes.json');
const OUT_DIR = join(REPO_ROOT, 'src/lib/digitalocean');

interface Source {
  dir: string;
  sha: string;
}

export interface Options {
  openapi: string;
  provider: string;
  godo: string;
  /** Where the two generated files go (tests point this at a temporary directory). */
  outDir: string;
  /** required-scopes.json; a missing file is allowed. */
  requiredScopes: string;
}

const FLAGS: Record<string, keyof Options> = {
  '--openapi': 'openapi',
  '--provider': 'provider',
  '--godo': 'godo',
  '--out-dir': 'outDir',
  '--required-scopes': 'requiredScopes',
};

export function parseArgs(argv: readonly string[]): Options {
  const values: Partial<Options> = { outDir: OUT_DIR, requiredScopes: REQUIRED_SCOPES };
  for (let i = 0; i < argv.length; i++) {
    const key = FLAGS[argv[i]!];
    if (key === undefined) throw new Error(`unknown argument ${argv[i]}`);
    const value = argv[++i];
    if (value === undefined) throw new Error(`${argv[i - 1]} needs a path`);
    values[key] = value;
  }
  const { openapi, provider, godo, outDir, requiredScopes } = values;
  if (!openapi || !provider || !godo || !outDir || !requiredScopes) {
    throw new Error('usage: generate.ts --openapi <dir> --provider <dir> --godo <dir> [--out-dir <dir>] [--required-scopes <file>]');
  }
  return { openapi, provider, godo, outDir, requiredScopes };
}

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

function isBareRepository(dir: string): boolean {
  try {
    return git(dir, 'rev-parse', '--is-bare-repository') === 'true';
  } catch {
    return false;
  }
}

/**
 * A checkout as is, or a bare repository's HEAD extracted (only `paths`, to keep it quick). The
 * commit is recorded in the output so the data can be traced to what it came from.
 */
function openSource(dir: string, paths: readonly string[], temps: string[], warn: (m: string) => void): Source {
  if (isBareRepository(dir)) {
    const sha = git(dir, 'rev-parse', 'HEAD');
    const out = mkdtempSync(join(tmpdir(), 'scope-catalogue-'));
    temps.push(out);
    const tar = join(out, 'head.tar');
    const present = new Set(git(dir, 'ls-tree', '--name-only', 'HEAD').split('\n'));
    git(dir, 'archive', '--format=tar', `--output=${tar}`, 'HEAD', ...paths.filter((p) => present.has(p)));
    execFileSync('tar', ['-xf', tar, '-C', out]);
    rmSync(tar);
    return { dir: out, sha };
  }
  // Only the top of a checkout: a directory merely inside some other repository must not borrow its commit.
  try {
    if (resolve(git(dir, 'rev-parse', '--show-toplevel')) === realpathSync(dir)) return { dir, sha: git(dir, 'rev-parse', 'HEAD') };
  } catch {
    // not a git checkout
  }
  warn(`${dir} is not the top of a git checkout; its commit is recorded as "unknown"`);
  return { dir, sha: 'unknown' };
}

function specificationDir(dir: string): string {
  return existsSync(join(dir, 'specification')) ? join(dir, 'specification') : dir;
}

function readRequiredScopes(file: string, warn: (m: string) => void): RequiredScopesFile | undefined {
  if (!existsSync(file)) {
    warn(`${file} not found; REQUIRED_WITH has the generic read rule only`);
    return undefined;
  }
  return JSON.parse(readFileSync(file, 'utf8')) as RequiredScopesFile;
}

function loadGodo(dir: string): GodoInterpreter {
  // godo's services are all in the root package.
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.go') && !f.endsWith('_test.go'))
    .sort()
    .map((f) => parseGoFile(f, readFileSync(join(dir, f), 'utf8')));
  return new GodoInterpreter(indexGodo(files));
}

export interface Report {
  operations: number;
  scopes: number;
  requiredWith: number;
  resourceTypes: number;
  dataSources: number;
  coverage: Coverage;
}

/** Reads the three sources and writes both generated files into `options.outDir`. */
export function generate(options: Options, warn: (m: string) => void): Report {
  const temps: string[] = [];
  try {
    const openapi = openSource(options.openapi, ['specification'], temps, warn);
    const provider = openSource(options.provider, ['go.mod', 'digitalocean', 'internal'], temps, warn);
    const godoSource = openSource(options.godo, [], temps, warn);

    const operations = loadOperations(specificationDir(openapi.dir));
    const facts = readRequiredScopes(options.requiredScopes, warn);
    const scopes = catalogueScopes(allScopes(operations), facts);
    const catalogue = buildCatalogue(scopes, facts, warn);
    // Recorded as the repository-relative path, so the output does not depend on the checkout's location.
    const requiredScopes = facts === undefined ? null : relative(REPO_ROOT, resolve(options.requiredScopes));
    writeFileSync(join(options.outDir, 'scope-catalogue.generated.ts'), renderScopeCatalogue(scopes, catalogue, { openapi: openapi.sha, requiredScopes }));

    const godo = loadGodo(godoSource.dir);
    const modulePath = modulePathOf(readFileSync(join(provider.dir, 'go.mod'), 'utf8'));
    const types = parseProviderTypes(readFileSync(join(provider.dir, 'digitalocean/provider.go'), 'utf8'), modulePath);
    const code = new ProviderCode(provider.dir, modulePath, (s) => godo.isService(s));
    const result = deriveResourceScopes(types, code, godo, new OperationMatcher(operations), warn);
    writeFileSync(
      join(options.outDir, 'resource-scopes.generated.ts'),
      renderResourceScopes(result.types, { provider: provider.sha, godo: godoSource.sha, openapi: openapi.sha }),
    );
    const dataSources = types.filter((t) => t.key.startsWith('data.')).length;
    return {
      operations: operations.length,
      scopes: scopes.length,
      requiredWith: Object.keys(catalogue.requiredWith).length,
      resourceTypes: types.length - dataSources,
      dataSources,
      coverage: result.coverage,
    };
  } finally {
    for (const t of temps) rmSync(t, { recursive: true, force: true });
  }
}

export function main(argv: readonly string[]): void {
  const log = (m: string) => process.stdout.write(`${m}\n`);
  const warn = (m: string) => process.stderr.write(`warning: ${m}\n`);
  const options = parseArgs(argv);
  const report = generate(options, warn);
  const { coverage } = report;
  log(`spec: ${report.operations} operations; catalogue: ${report.scopes} scopes (spec and scope pages); REQUIRED_WITH: ${report.requiredWith} entries`);
  log(`provider: ${report.resourceTypes} resource types, ${report.dataSources} data sources`);
  log(`godo calls: ${coverage.calls} distinct methods, ${coverage.resolved} resolved, ${coverage.calls - coverage.resolved} unresolved`);
  log(`  per type: ${coverage.typeCalls} (type, method) pairs, ${coverage.typeCallsResolved} resolved`);
  for (const u of coverage.unresolved) log(`  unresolved: ${u}`);
  log(`wrote ${relative(process.cwd(), options.outDir) || '.'}/scope-catalogue.generated.ts and resource-scopes.generated.ts`);
}

// Run only as a script, so tests can import the pure parts above.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
