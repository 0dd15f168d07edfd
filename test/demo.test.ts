import { mkdtemp, readFile } from 'node:fs/promises';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drive, type DriverOptions } from '../src/local/driver.js';
import { demoRefusal, startDemo, type Demo } from '../src/local/sandbox.js';

/**
 * `npm run demo` (issue #13): the bot against the built-in sandboxes, walked exactly as the demo
 * prints the walk (and README.md shows it), command by command through the driver, with no network:
 * every upstream is a sandbox on 127.0.0.1.
 */

const ROOT = join(import.meta.dirname, '..');

let demo: Demo;
let dataDir: string;
let options: DriverOptions;
const printed: string[] = [];
const asked: string[] = [];
let answers: string[] = [];
/** Where every TCP connection made in this process went (the bot, the driver and the sandboxes share it). */
const connections: string[] = [];
// eslint-disable-next-line @typescript-eslint/unbound-method -- put back as it was, never called unbound
const connect = Socket.prototype.connect;

beforeAll(async () => {
  // connect's overloads: (options), (port, host), (path).
  Socket.prototype.connect = function (this: Socket, ...args: unknown[]) {
    // net.connect passes its normalised arguments as one array: [options, callback].
    const first: unknown = Array.isArray(args[0]) ? args[0][0] : args[0];
    const options = typeof first === 'object' && first !== null ? (first as { host?: string; path?: string }) : undefined;
    const host = options ? (options.path ?? options.host ?? 'localhost') : typeof args[1] === 'string' ? args[1] : 'localhost';
    connections.push(host);
    return connect.apply(this, args as never);
  };
  dataDir = await mkdtemp(join(tmpdir(), 'do-creds-demo-'));
  demo = await startDemo({ port: 0, dataDir, env: { LOG_LEVEL: 'warn' }, print: (line) => printed.push(line) });
  const secret = (await readFile(join(dataDir, 'dev-signing-secret'), 'utf8')).trim();
  options = {
    url: demo.server.url,
    secret,
    // Secrets are answered here, as a person types them at the prompt; never arguments.
    ask: (question) => {
      asked.push(question);
      const answer = answers.shift();
      return answer === undefined ? Promise.reject(new Error(`unexpected question: ${question}`)) : Promise.resolve(answer);
    },
  };
});
afterAll(async () => {
  Socket.prototype.connect = connect;
  await demo.close();
});

/** The walk's commands as printed: `npm run slack -- ...` lines, split as a shell would, comments dropped. */
function printedWalk(): string[][] {
  return printed
    .filter((line) => /^ {2}(PORT=\d+ )?npm run slack -- /.test(line))
    .map((line) => shellWords(line.replace(/#.*$/, '').replace(/^ {2}(PORT=\d+ )?npm run slack -- /, '')));
}

function shellWords(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
}

/** A walk line as README.md shows it: port 3000, the demo's folder at .local/demo. */
function asInReadme(line: string): string {
  return line.replace(/^ {2}PORT=\d+ /, '  ').replaceAll(join(dataDir, 'demo'), '.local/demo').replace(/\s+#.*$/, '').trimEnd();
}

describe('npm run demo', () => {
  it('labels everything as a sandbox on this machine and prints sample credentials of each kind', () => {
    const text = printed.join('\n');
    expect(text).toContain('do-creds DEMO. Everything below is a SANDBOX on this machine, not DigitalOcean');
    expect(text).toContain('They are printed only because they are fake');
    for (const url of [...text.matchAll(/https?:\/\/[^\s)]+/g)].map((m) => m[0])) {
      // Only the setup guide's links name DigitalOcean, and nothing printed at start is one.
      expect(new URL(url).hostname).toBe('127.0.0.1');
    }
    for (const s of demo.sandbox.samples) expect(text).toContain(s.token);
    for (const name of ['full-access', 'read-only', 'custom-scopes', 'expires-soon', 'revoked', 'rate-limited', 'do-down', 'token-info-down', 'spaces-wrong-secret']) {
      expect(text).toMatch(new RegExp(`^ {2}${name} `, 'm'));
    }
    expect(text).toContain('terminal mode');
    expect(text).toContain(`encrypted local file store in ${join(dataDir, 'demo', 'creds')}`);
  });

  it('refuses to start when the environment points at a real service', async () => {
    expect(demoRefusal({ DO_API_URL: 'https://api.digitalocean.com' })).toContain('DO_API_URL points off this machine (api.digitalocean.com)');
    expect(demoRefusal({ SPACES_ENDPOINT_URL: 'https://{region}.digitaloceanspaces.com' })).toContain('SPACES_ENDPOINT_URL');
    expect(demoRefusal({ CREDS_STORE: 'aws' })).toContain('CREDS_STORE=aws');
    expect(demoRefusal({ DO_API_URL: 'http://127.0.0.1:9', DO_TOKEN_INFO_URL: 'off' })).toBeUndefined();
    await expect(startDemo({ port: 0, dataDir, env: { DO_TOKEN_INFO_URL: 'https://cloud.digitalocean.com/v1/oauth/token/info' }, print: () => undefined })).rejects.toThrow(
      'DO_TOKEN_INFO_URL points off this machine',
    );
  });

  it('README.md shows the walk the demo prints', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const lines = printed.filter((line) => /^ {2}(PORT=\d+ )?npm run slack -- /.test(line)).map(asInReadme);
    expect(lines.length).toBeGreaterThan(15);
    for (const line of lines) expect(readme).toContain(line.trim());
  });

  it('walks every flow as printed: setup, faults, saves, status, Home, Terraform, rotate, delete, restore, the scan and its button', async () => {
    const walk = printedWalk();
    const out: string[] = [];
    for (const args of walk) out.push(await drive(args, options));
    const at = (needle: string) => {
      const i = walk.findIndex((args) => args.join(' ').includes(needle));
      expect(i, needle).toBeGreaterThanOrEqual(0);
      return out[i] as string;
    };

    expect(at('/do-creds setup')).toContain('== DigitalOcean credentials for Terraform ==');
    expect(at('open_credentials_modal')).toContain('[a form opens]');
    // Invalid: refused by the local check, before any request.
    expect(at('mistyped.env')).toContain('do_token: ');
    expect(at('mistyped.env')).toContain('The form shows errors:');
    expect(at('revoked.env')).toContain('DigitalOcean rejected this token');
    expect(at('rate-limited.env')).toContain('rate limiting this token');
    expect(at('spaces-wrong-secret.env')).toContain('spaces_secret_key: ');
    const saved = at(`environment=prod expiry=never region=nyc3 bucket=tf-state --secrets-file ${demo.secretsFiles['full-access']}`);
    expect(saved).toContain('== Saved: prod ==');
    expect(saved).toContain('sandbox@example.test (team do-creds demo sandbox)');
    expect(at('expires-soon.env')).toContain('== Saved: staging ==');
    expect(at('/do-creds status')).toMatch(/\*staging\*: token `…\w{4}`, expires on \d{4}-\d\d-\d\d \(in 5 days\)/);
    expect(at('home')).toContain('[Home tab of ULOCALDEV]');
    expect(at('/do-creds terraform prod')).toContain('ephemeral "aws_secretsmanager_secret_version"');
    // Locally the set is in the embedded store: the answer says the snippet is for a deployed do-creds.
    expect(at('/do-creds terraform prod')).toContain('Terraform cannot read');
    expect(at('/do-creds scopes')).toContain('*droplet*: read, create, update, delete');
    expect(at('/do-creds rotate prod')).toContain('Environment <environment>: [prod]');
    expect(at('custom-scopes.env')).toContain('== Rotated: prod ==');
    expect(at('/do-creds delete prod')).toContain('click delete_credentials prod');
    expect(at('click delete_credentials prod')).toContain('Deleted the credentials of `prod`');
    expect(out.at(-4)).toContain('== Restored: prod ==');
    // The scan today: staging's token ends in 5 days, under the 7-day threshold.
    const today = at('scan');
    expect(today).toContain('(today)');
    expect(today).toContain('1 alert sent');
    expect(today).toContain('[message in CLOCALDEV]');
    expect(today).toContain('click rotate_from_alert staging');
    // In a week it has expired: the day's alert.
    const week = walk.findIndex((args) => args.join(' ') === 'scan --in 7d');
    expect(out[week]).toContain('(today + 7 days)');
    expect(out[week]).toContain('1 alert sent');
    expect(at('click rotate_from_alert staging')).toContain('Environment <environment>: [staging]');

    // Every secret came from a sample file: nothing asked, and no secret ever shown back.
    expect(asked).toEqual([]);
    for (const text of out) for (const s of demo.sandbox.samples) expect(text).not.toContain(s.secretKey);
  });

  it('asks for secrets when no file is given, and shows the "no longer works" alert once a token is revoked', async () => {
    await drive(['click', 'open_credentials_modal'], options);
    const s = demo.sandbox.sample('read-only');
    answers = [s.token, s.accessKey, s.secretKey];
    const out = await drive(['submit', 'environment=dev', 'expiry=never', 'region=nyc3'], options);
    expect(asked).toHaveLength(3);
    expect(out).toContain('== Saved: dev ==');
    expect(out).toContain('Read Only');

    demo.sandbox.revoke('full-access');
    const scan = await drive(['scan'], options);
    expect(scan).toContain('1 token found no longer working');
    expect(scan).toMatch(/prod/);
  });

  it('runs the scan only for a signed request, and says how --in is written', async () => {
    const unsigned = await fetch(`${demo.server.url}/_local/scan`, { method: 'POST', body: '{"inDays":7}' });
    expect(unsigned.status).toBe(401);
    await expect(drive(['scan', '--in', '1w'], options)).rejects.toThrow('scan takes one option, --in <N>d');
    expect(await drive(['help'], options)).toContain('npm run slack -- scan [--in <N>d]');
  });

  it('used no network: every connection went to this machine, and the checks reached the sandboxes', () => {
    expect(connections.length).toBeGreaterThan(0);
    expect(connections.filter((host) => !['127.0.0.1', 'localhost', '::1'].includes(host))).toEqual([]);
    expect(demo.sandbox.digitalocean.requests.length).toBeGreaterThan(0);
    expect(demo.sandbox.spaces.requests.length).toBeGreaterThan(0);
  });
});
