import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync, type BuildOptions } from 'esbuild';

/**
 * Cold import of the packaged handlers against a reference measured on the same machine in the same
 * run: a plain Bolt + AWS SDK handler (bench/plain-bolt/handler.ts), bundled as serverless-esbuild
 * bundles ours but with everything in the bundle, as a plain handler ships. The goal is under a third
 * of its import time. Each handler is required in fresh processes by bench/import-probe.cjs with the
 * NODE_OPTIONS its function is deployed with (read from the packaged CloudFormation template).
 */

export const IMPORT_RUNS = 9;
/** Our handlers' cold import must stay under this fraction of the plain Bolt handler's. */
export const GOAL_RATIO = 1 / 3;

type RecordRow = (what: string, value: string, goal: string, met?: boolean) => void;
export interface Probe {
  importMs: number;
  network: number;
}
/** A packaged handler: the bench's name for it, its serverless.yml function name, its unpacked file. */
export interface PackagedHandler {
  name: string;
  fn: string;
  file: string;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;

/** The probe's environment: the bench's own, without any NODE_OPTIONS it inherited. */
export function probeEnv(nodeOptions = ''): NodeJS.ProcessEnv {
  const { NODE_OPTIONS: _inherited, ...env } = process.env;
  return {
    ...env,
    SLACK_SIGNING_SECRET: 'bench',
    SLACK_BOT_TOKEN: 'xoxb-bench',
    AWS_REGION: 'us-east-1',
    CREDS_STORE: 'aws',
    LOG_LEVEL: 'silent',
    ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
  };
}

/** One `require()` of `file` in a fresh process; `quiet` drops what it writes to stderr. */
export function probe(file: string, env: NodeJS.ProcessEnv, quiet = false): Probe {
  const stdio = ['ignore', 'pipe', quiet ? 'ignore' : 'inherit'] as const;
  return JSON.parse(execFileSync(process.execPath, ['bench/import-probe.cjs', file], { env, encoding: 'utf8', stdio: [...stdio] })) as Probe;
}

/**
 * Probes every target `runs` times, interleaved (one of each per round), so that a slow spell on a
 * shared machine weighs on the reference and on ours alike. Returns each target's probes.
 */
export function probeInterleaved(targets: { file: string; env: NodeJS.ProcessEnv; quiet?: boolean }[], runs = IMPORT_RUNS): Probe[][] {
  const results = targets.map((): Probe[] => []);
  for (let i = 0; i < runs; i += 1) targets.forEach((t, j) => results[j]!.push(probe(t.file, t.env, t.quiet)));
  return results;
}

/**
 * NODE_OPTIONS as deployed for a function (serverless.yml name), from the CloudFormation template
 * `serverless package` wrote: provider-level environment is already merged into each function there.
 */
export function deployedNodeOptions(fn: string, serverlessDir = '.serverless'): string {
  const template = JSON.parse(readFileSync(join(serverlessDir, 'cloudformation-template-update-stack.json'), 'utf8')) as {
    Resources: { [id: string]: { Properties?: { Environment?: { Variables?: { [k: string]: unknown } } } } };
  };
  const id = `${fn[0]!.toUpperCase()}${fn.slice(1)}LambdaFunction`;
  const resource = template.Resources[id];
  if (!resource) throw new Error(`${id} is not in the packaged template`);
  const value = resource.Properties?.Environment?.Variables?.NODE_OPTIONS;
  if (value !== undefined && typeof value !== 'string') throw new Error(`${id}'s NODE_OPTIONS is not a plain string`);
  return value ?? '';
}

/**
 * Bundles bench/plain-bolt/handler.ts with the esbuild options serverless.yml gives serverless-esbuild
 * (read back from the packaged service state): bundle, minify, source map, target, platform, format. But
 * nothing is external and no plugin applies: a plain handler bundles its AWS SDK and all of Bolt.
 */
export function bundlePlainBolt(serverlessDir = '.serverless'): { file: string; bytes: number } {
  const state = JSON.parse(readFileSync(join(serverlessDir, 'serverless-state.json'), 'utf8')) as {
    service: { custom: { esbuild: BuildOptions } };
  };
  const { bundle, minify, sourcemap, target, platform, format } = state.service.custom.esbuild;
  const outdir = mkdtempSync(join(tmpdir(), 'do-creds-plain-bolt-'));
  buildSync({ entryPoints: ['bench/plain-bolt/handler.ts'], outdir, bundle, minify, sourcemap, target, platform, format, logLevel: 'error' });
  const file = join(outdir, 'handler.js');
  return { file, bytes: statSync(file).size };
}

/** The reference and our handlers' cold imports, as table rows. Call after `serverless package`. */
export function coldImports(record: RecordRow, handlers: PackagedHandler[], serverlessDir = '.serverless'): void {
  const reference = bundlePlainBolt(serverlessDir);
  const nodeOptions = handlers.map((h) => deployedNodeOptions(h.fn, serverlessDir));
  const [referenceRuns, ...ours] = probeInterleaved([
    // A plain handler as Lambda runs it by default: no NODE_OPTIONS. Its App calls auth.test when
    // built (after the import is timed), which fails here: those warnings are dropped.
    { file: reference.file, env: probeEnv(), quiet: true },
    ...handlers.map((h, i) => ({ file: h.file, env: probeEnv(nodeOptions[i]) })),
  ]);
  const referenceMs = median(referenceRuns!.map((r) => r.importMs));
  const goalMs = referenceMs * GOAL_RATIO;
  record('plain Bolt + AWS SDK handler (bench/plain-bolt): bundle, everything bundled and minified', mb(reference.bytes), 'the reference');
  record(`plain Bolt + AWS SDK handler: cold import (median of ${IMPORT_RUNS} processes)`, `${referenceMs.toFixed(0)} ms`, 'the reference');
  handlers.forEach((h, i) => {
    const runs = ours[i]!;
    const ms = median(runs.map((r) => r.importMs));
    const options = nodeOptions[i] ? `NODE_OPTIONS=${nodeOptions[i]}` : 'no NODE_OPTIONS';
    record(
      `${h.name}: cold import as deployed (${options}; median of ${IMPORT_RUNS} processes)`,
      `${ms.toFixed(0)} ms, ${(ms / referenceMs).toFixed(2)}x the plain Bolt handler`,
      `under 1/3 of the plain Bolt handler (${goalMs.toFixed(0)} ms)`,
      ms < goalMs,
    );
    // What --enable-source-maps would cost (serverless.yml leaves it out for this reason).
    if (!nodeOptions[i]!.includes('--enable-source-maps')) {
      const mapped = Array.from({ length: IMPORT_RUNS }, () => probe(h.file, probeEnv(`${nodeOptions[i]} --enable-source-maps`.trim())));
      record(`${h.name}: cold import if NODE_OPTIONS=--enable-source-maps were set (it is not)`, `${median(mapped.map((r) => r.importMs)).toFixed(0)} ms`, 'why it is left out');
    }
    const network = Math.max(...runs.map((r) => r.network));
    record(`${h.name}: network calls during import`, String(network), '0', network === 0);
  });
}
