import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import { isLoopbackUrl, type Env } from '../lib/config.js';
// The demo's sandboxes are the test suite's stand-ins, reused as they are (issue #13): they speak
// DigitalOcean's and Spaces' wire formats, and each behaviour cites its source there.
import { fakeDoToken, fakeSpacesKey } from '../../test/support/credentials.js';
import { customScopes, FULL_ACCESS, READ_ONLY, startFakeDigitalOcean, type FakeDigitalOcean, type TokenBehaviour } from '../../test/support/fake-digitalocean.js';
import { startFakeSpaces, type FakeSpaces } from '../../test/support/fake-spaces.js';
import { LocalServerError, startLocalServer, type LocalServer } from './server.js';

/**
 * `npm run demo`: the bot in terminal mode against built-in SANDBOXES of DigitalOcean's API (token
 * info included) and of Spaces on 127.0.0.1, with sample credentials of every kind made at start, so
 * the whole product can be walked with no account and no network. Nothing here is real: the banner
 * says so, the sample values are random and valid only against these sandboxes while they run, and
 * the demo refuses to start when the environment names a real DigitalOcean, Spaces or AWS store.
 */

const DAY_S = 86_400;

/** What the sandboxes' DigitalOcean account says it is, in every confirmation. */
const SANDBOX_ACCOUNT = { email: 'sandbox@example.test', teamName: 'do-creds demo sandbox' };

export const SANDBOX_BUCKET = 'tf-state';

interface TokenSample {
  name: string;
  /** What submitting it shows. */
  shows: string;
  behaviour: TokenBehaviour;
  /** A value that only looks like a token: checked locally, never sent. */
  malformed?: boolean;
}

const TOKEN_SAMPLES: TokenSample[] = [
  { name: 'full-access', shows: 'Full Access, never expires: saved', behaviour: { scopes: FULL_ACCESS, expiresInSeconds: null } },
  { name: 'read-only', shows: 'Read Only: saved, with a warning that Terraform cannot apply', behaviour: { scopes: READ_ONLY, expiresInSeconds: null } },
  {
    name: 'custom-scopes',
    shows: 'custom scopes (Droplets, VPCs), 90 days: saved, scopes listed',
    behaviour: { scopes: customScopes('droplet:create', 'droplet:update', 'droplet:delete', 'vpc:create', 'vpc:update', 'vpc:delete'), expiresInSeconds: 90 * DAY_S },
  },
  { name: 'expires-soon', shows: 'Full Access, expires in 5 days: saved; the scan alerts', behaviour: { scopes: FULL_ACCESS, expiresInSeconds: 5 * DAY_S } },
  { name: 'mistyped', shows: 'a character short: refused by the local check, nothing sent', behaviour: { scopes: FULL_ACCESS }, malformed: true },
  { name: 'revoked', shows: 'DigitalOcean answers 401: rejected', behaviour: { scopes: FULL_ACCESS, fault: 'unauthorized' } },
  { name: 'rate-limited', shows: 'DigitalOcean answers 429 with Retry-After', behaviour: { scopes: FULL_ACCESS, fault: 'rate_limited' } },
  { name: 'do-down', shows: 'DigitalOcean answers 500', behaviour: { scopes: FULL_ACCESS, fault: 'server_error' } },
  { name: 'do-garbled', shows: 'DigitalOcean answers HTML instead of JSON', behaviour: { scopes: FULL_ACCESS, fault: 'malformed' } },
  { name: 'do-reset', shows: 'DigitalOcean resets the connection', behaviour: { scopes: FULL_ACCESS, fault: 'reset' } },
  { name: 'token-info-down', shows: 'token info answers 500: saved, kind unknown', behaviour: { scopes: FULL_ACCESS, expiresInSeconds: null, tokenInfo: 'server_error' } },
  { name: 'token-info-hangs', shows: 'token info never answers: saved after its timeout', behaviour: { scopes: FULL_ACCESS, expiresInSeconds: null, tokenInfo: 'hang' } },
];

/** Spaces key pairs, each saved with the full-access token in its secrets file. */
const SPACES_SAMPLES = [
  { name: 'spaces-wrong-secret', shows: 'the key with a wrong secret: SignatureDoesNotMatch' },
  { name: 'spaces-unknown-key', shows: 'a key Spaces does not know: InvalidAccessKeyId' },
  { name: 'spaces-other-bucket', shows: `a key limited to another bucket: AccessDenied on ${SANDBOX_BUCKET}` },
] as const;

export interface SandboxSample {
  name: string;
  shows: string;
  token: string;
  accessKey: string;
  secretKey: string;
}

export interface Sandbox {
  digitalocean: FakeDigitalOcean;
  spaces: FakeSpaces;
  /** Every sample, by name: a token and a Spaces key pair, as a secrets file holds them. */
  samples: SandboxSample[];
  sample(name: string): SandboxSample;
  /** What points the bot at the sandboxes. */
  env: Env;
  /** The sandbox's DigitalOcean rejects a sample's token from now on (as deleting it in the control panel does). */
  revoke(name: string): void;
  close(): Promise<void>;
}

/** Both sandboxes on 127.0.0.1 (random ports) with fresh random samples registered. */
export async function startSandbox(): Promise<Sandbox> {
  const [digitalocean, spaces] = await Promise.all([startFakeDigitalOcean(), startFakeSpaces()]);
  spaces.addBucket(SANDBOX_BUCKET);
  spaces.addBucket('other-bucket');
  const good = fakeSpacesKey();
  spaces.addKey(good.accessKey, { secret: good.secretKey });
  const limited = fakeSpacesKey();
  spaces.addKey(limited.accessKey, { secret: limited.secretKey, buckets: ['other-bucket'], permission: 'readwrite' });

  const behaviours = new Map<string, TokenBehaviour>();
  const samples: SandboxSample[] = TOKEN_SAMPLES.map((s) => {
    const token = s.malformed ? fakeDoToken().slice(0, -1) : fakeDoToken();
    const behaviour = { ...s.behaviour, account: SANDBOX_ACCOUNT };
    if (!s.malformed) {
      digitalocean.setToken(token, behaviour);
      behaviours.set(token, behaviour);
    }
    return { name: s.name, shows: s.shows, token, ...good };
  });
  const fullAccess = (samples[0] as SandboxSample).token;
  const spacesPairs = {
    'spaces-wrong-secret': { accessKey: good.accessKey, secretKey: fakeSpacesKey().secretKey },
    'spaces-unknown-key': fakeSpacesKey(),
    'spaces-other-bucket': limited,
  };
  for (const s of SPACES_SAMPLES) samples.push({ name: s.name, shows: s.shows, token: fullAccess, ...spacesPairs[s.name] });

  const sample = (name: string): SandboxSample => {
    const found = samples.find((s) => s.name === name);
    if (found === undefined) throw new Error(`No sample called ${name}: ${samples.map((s) => s.name).join(', ')}.`);
    return found;
  };
  return {
    digitalocean,
    spaces,
    samples,
    sample,
    env: { DO_API_URL: digitalocean.url, DO_TOKEN_INFO_URL: digitalocean.tokenInfoUrl, SPACES_ENDPOINT_URL: spaces.url },
    revoke(name) {
      const token = sample(name).token;
      const behaviour = behaviours.get(token);
      if (behaviour === undefined) throw new Error(`${name} is not a token the sandbox knows (it never reaches DigitalOcean).`);
      behaviour.fault = 'unauthorized';
      digitalocean.setToken(token, behaviour);
    },
    close: async () => {
      await Promise.all([digitalocean.close(), spaces.close()]);
    },
  };
}

/** Variables that would send the bot somewhere real: the demo refuses to start when one of them does. */
const REAL_ENDPOINTS = ['DO_API_URL', 'DO_TOKEN_INFO_URL', 'SPACES_ENDPOINT_URL', 'AWS_ENDPOINT_URL_SECRETS_MANAGER'];

/** Variables the demo drops: it never talks to Slack, a queue or AWS. */
const DROPPED = [
  'SLACK_SIGNING_SECRET',
  'SLACK_BOT_TOKEN',
  'SLACK_API_URL',
  'BOT_SLACK_SECRET_ID',
  'BOT_SHARED_SECRET_ID',
  'QUEUE_URL',
  'JOBS_TABLE',
  'AWS_ENDPOINT_URL_SQS',
  'AWS_ENDPOINT_URL_DYNAMODB',
  'AWS_ENDPOINT_URL_SECRETS_MANAGER',
  'AWS_LAMBDA_FUNCTION_NAME',
];

/** Why the environment cannot run the demo, in one sentence; undefined when it can. */
export function demoRefusal(env: Env): string | undefined {
  const set = (name: string) => (env[name] ?? '').trim();
  for (const name of REAL_ENDPOINTS) {
    const value = set(name);
    if (value === '' || (name === 'DO_TOKEN_INFO_URL' && value === 'off') || isLoopbackUrl(value.replace('{region}', 'region'))) continue;
    return `${name} points off this machine (${hostOf(value)}), and the demo only ever talks to its built-in sandboxes: unset it for \`npm run demo\` (\`env -u ${name} npm run demo\`), or use \`npm start\` to reach the real service.`;
  }
  if (set('CREDS_STORE') === 'aws') {
    return 'CREDS_STORE=aws asks for the real AWS Secrets Manager, and the demo only stores in its own sandbox folder: unset it for `npm run demo`, or use `npm start`.';
  }
  return undefined;
}

function hostOf(url: string): string {
  try {
    return new URL(url.replace('{region}', 'region')).host;
  } catch {
    return 'not a URL';
  }
}

export interface DemoOptions {
  port: number;
  /** Where terminal mode's development signing secret lives (shared with `npm start` and read by `npm run slack`). */
  dataDir: string;
  /** The demo's own folder, emptied at each start: its store and the sample secrets files. */
  demoDir?: string;
  /** The environment the demo was started in: checked, then overridden to point at the sandboxes. */
  env: Env;
  print?: (line: string) => void;
}

export interface Demo {
  sandbox: Sandbox;
  server: LocalServer;
  /** The sample secrets files (KEY=value, mode 0600), by sample name. */
  secretsFiles: Record<string, string>;
  close(): Promise<void>;
}

/** Starts the sandboxes and the bot against them, prints the banner, the samples and the walk. */
export async function startDemo(options: DemoOptions): Promise<Demo> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const refusal = demoRefusal(options.env);
  if (refusal !== undefined) throw new LocalServerError(refusal);
  const demoDir = options.demoDir ?? join(options.dataDir, 'demo');
  // A previous demo's sets name tokens this sandbox never issued: start empty.
  await rm(demoDir, { recursive: true, force: true });
  await mkdir(join(demoDir, 'samples'), { recursive: true, mode: 0o700 });

  const sandbox = await startSandbox();
  try {
    const secretsFiles: Record<string, string> = {};
    for (const s of sandbox.samples) {
      const path = join(demoDir, 'samples', `${s.name}.env`);
      await writeFile(path, `# SANDBOX values (npm run demo): fake, valid only against the demo's sandboxes.\nDO_TOKEN=${s.token}\nSPACES_ACCESS_KEY=${s.accessKey}\nSPACES_SECRET_KEY=${s.secretKey}\n`, { mode: 0o600 });
      await chmod(path, 0o600);
      secretsFiles[s.name] = path;
    }
    const env: Env = { ...options.env };
    const dropped = DROPPED.filter((name) => (env[name] ?? '').trim() !== '');
    for (const name of [...DROPPED, 'DO_CREDS_HOST']) delete env[name];
    Object.assign(env, sandbox.env, { CREDS_STORE: 'file', CREDS_FILE_DIR: join(demoDir, 'creds') });

    for (const line of banner(sandbox, demoDir)) print(line);
    if (dropped.length > 0) print(`Ignored here (the demo reaches no Slack, queue or AWS): ${dropped.join(', ')}.`);
    const server = await startLocalServer({ port: options.port, dataDir: options.dataDir, env, print });
    for (const line of walk(server.url, secretsFiles)) print(line);
    return {
      sandbox,
      server,
      secretsFiles,
      close: async () => {
        await server.close();
        await sandbox.close();
      },
    };
  } catch (error) {
    await sandbox.close();
    throw error;
  }
}

const RULE = '='.repeat(100);

function banner(sandbox: Sandbox, demoDir: string): string[] {
  const d = sandbox.digitalocean;
  const width = Math.max(...sandbox.samples.map((s) => s.name.length));
  const tokens = sandbox.samples.filter((s) => !s.name.startsWith('spaces-'));
  const good = sandbox.sample('full-access');
  return [
    RULE,
    'do-creds DEMO. Everything below is a SANDBOX on this machine, not DigitalOcean: no account, no network.',
    `  DigitalOcean API   ${d.url}   (sandbox: test/support/fake-digitalocean.ts)`,
    `  token info         ${d.tokenInfoUrl}`,
    `  Spaces             ${sandbox.spaces.url}   (sandbox: test/support/fake-spaces.ts, bucket ${SANDBOX_BUCKET})`,
    '  Slack              this terminal and `npm run slack -- ...` in another one',
    `  store              ${displayPath(join(demoDir, 'creds'))} (emptied at every start)`,
    RULE,
    'SANDBOX credentials, made at random at this start. They are printed only because they are fake:',
    'they work against these sandboxes only, until the demo stops. Never print or paste real ones.',
    '',
    'DigitalOcean API tokens (DO_TOKEN):',
    ...tokens.map((s) => `  ${s.name.padEnd(width)}  ${s.token}  ${s.shows}`),
    '',
    'Spaces key pairs (SPACES_ACCESS_KEY / SPACES_SECRET_KEY):',
    `  ${'good'.padEnd(width)}  ${good.accessKey} / ${good.secretKey}  every bucket`,
    ...sandbox.samples.filter((s) => s.name.startsWith('spaces-')).map((s) => `  ${s.name.padEnd(width)}  ${s.accessKey} / ${s.secretKey}  ${s.shows}`),
    '',
    `Each sample is also a secrets file for --secrets-file: ${displayPath(join(demoDir, 'samples'))}/<name>.env (chmod 600;`,
    'the token samples hold the good Spaces pair, the spaces-* ones the full-access token).',
    RULE,
  ];
}

/** The walk through every flow, with the commands to paste into another terminal. */
function walk(url: string, files: Record<string, string>): string[] {
  const port = new URL(url).port;
  const slack = `${port === '3000' ? '' : `PORT=${port} `}npm run slack --`;
  const file = (name: string) => `--secrets-file ${displayPath(files[name] ?? '')}`;
  const form = 'environment=prod expiry=never region=nyc3 bucket=tf-state';
  return [
    RULE,
    'The walk: paste these into another terminal, in this folder. Secrets come from the sample files, or',
    'leave --secrets-file out and paste a sample when asked (nothing you type is shown).',
    '',
    '  # Setup, and faults: each submission shows its message in the form, which stays open',
    `  ${slack} "/do-creds setup"`,
    `  ${slack} click open_credentials_modal`,
    `  ${slack} submit ${form} ${file('mistyped')}`,
    `  ${slack} submit ${form} ${file('revoked')}`,
    `  ${slack} submit ${form} ${file('rate-limited')}  # also do-down, do-garbled, do-reset`,
    `  ${slack} submit ${form} ${file('spaces-wrong-secret')}  # also spaces-unknown-key, spaces-other-bucket`,
    '  # A valid set is saved and the form closes',
    `  ${slack} submit ${form} ${file('full-access')}`,
    `  ${slack} click open_credentials_modal`,
    `  ${slack} submit environment=staging expiry=never region=nyc3 bucket=tf-state ${file('expires-soon')}`,
    '  # (read-only, custom-scopes, token-info-down and token-info-hangs are saved too, each described)',
    '',
    '  # Reading and managing',
    `  ${slack} "/do-creds status"`,
    `  ${slack} home`,
    `  ${slack} "/do-creds terraform prod"`,
    `  ${slack} "/do-creds scopes digitalocean_droplet digitalocean_vpc"`,
    `  ${slack} "/do-creds rotate prod"`,
    `  ${slack} submit expiry=90d ${file('custom-scopes')}`,
    `  ${slack} "/do-creds delete prod"`,
    `  ${slack} click delete_credentials prod`,
    `  ${slack} click open_credentials_modal  # setup again within the recovery window restores it`,
    `  ${slack} submit ${form} ${file('full-access')}`,
    '',
    '  # The daily expiry scan, as it would run today and in a week; then the alert\'s button',
    `  ${slack} scan`,
    `  ${slack} scan --in 7d`,
    `  ${slack} click rotate_from_alert staging`,
    '  # Type `revoke full-access` in THIS terminal, then scan again: the "no longer works" alert',
    '',
    'Ctrl-C here stops the demo. `npm run slack -- help` lists every command.',
    RULE,
  ];
}

/** A path as the person types it: relative to the current folder when inside it. */
function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}
