import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUBCOMMANDS } from '../src/lib/command.js';
import { drive, type DriverOptions } from '../src/local/driver.js';
import { startLocalServer, type LocalServer } from '../src/local/server.js';
import { fakeDoToken, fakeSpacesKey } from './support/credentials.js';
import { FULL_ACCESS, startFakeDigitalOcean, type FakeDigitalOcean } from './support/fake-digitalocean.js';
import { startFakeSpaces, type FakeSpaces } from './support/fake-spaces.js';
import { isCookedMode, runInPty } from './support/pty.js';

/**
 * `npm run slack` (scripts/slack.ts and src/local/driver.ts) against a running terminal-mode server:
 * secrets are never shown nor taken as arguments, and the driver fills in forms as Slack does.
 * The terminal cases run the real script in a pseudo-terminal and read what the screen showed.
 */

const ROOT = join(import.meta.dirname, '..');
const TSX = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

let server: LocalServer;
let dataDir: string;
let digitalocean: FakeDigitalOcean;
let spaces: FakeSpaces;
let secret: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'do-creds-driver-'));
  [digitalocean, spaces] = await Promise.all([startFakeDigitalOcean(), startFakeSpaces()]);
  server = await startLocalServer({
    port: 0,
    dataDir,
    env: { DO_API_URL: digitalocean.url, DO_TOKEN_INFO_URL: digitalocean.tokenInfoUrl, SPACES_ENDPOINT_URL: spaces.url, LOG_LEVEL: 'warn' },
    print: () => undefined,
  });
  secret = (await readFile(join(dataDir, 'dev-signing-secret'), 'utf8')).trim();
});
afterAll(async () => {
  await server.close();
  await Promise.all([digitalocean.close(), spaces.close()]);
});

/** Driver options whose prompt must not be reached: the secrets come from elsewhere. */
function noPrompt(): DriverOptions {
  return { url: server.url, secret, ask: () => Promise.reject(new Error('asked for a secret')) };
}

/** A valid credential set the fakes accept. */
function credentials() {
  const token = fakeDoToken();
  const { accessKey, secretKey } = fakeSpacesKey();
  digitalocean.setToken(token, { scopes: FULL_ACCESS, expiresInSeconds: null });
  spaces.addKey(accessKey, { secret: secretKey });
  return { token, accessKey, secretKey };
}

async function secretsFile(lines: string[], mode = 0o600): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'do-creds-secrets-')), 'secrets.env');
  await writeFile(path, `${lines.join('\n')}\n`, { mode });
  await chmod(path, mode);
  return path;
}

const scriptEnv = (): NodeJS.ProcessEnv => ({ ...process.env, DO_CREDS_URL: server.url, SLACK_SIGNING_SECRET: secret, NO_COLOR: '1' });

/** The script with stdin a pipe fed `input`; resolves with what it printed and its exit code. */
function runPiped(args: string[], input: string): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TSX, 'scripts/slack.ts', ...args], { cwd: ROOT, env: scriptEnv(), stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code }));
    child.stdin.end(input);
  });
}

/** The script in a pseudo-terminal, typing `steps`; `npm` runs it as people do, through `npm run slack --`. */
const runTyped = (args: string[], steps: { waitFor: string; type: string }[], how: 'tsx' | 'npm' = 'tsx') =>
  runInPty([...(how === 'npm' ? ['npm', 'run', 'slack', '--'] : [process.execPath, TSX, 'scripts/slack.ts']), ...args], steps, { cwd: ROOT, env: scriptEnv() });

async function openForm(): Promise<void> {
  expect(await drive(['click', 'open_credentials_modal'], noPrompt())).toContain('[a form opens]');
}

describe('on a terminal, secrets are typed with nothing shown', () => {
  it('saves what was typed (Backspace included) while the screen never shows it', async () => {
    await openForm();
    const { token, accessKey, secretKey } = credentials();
    const run = await runTyped(
      ['submit', 'environment=typed', 'expiry=never', 'region=nyc3'],
      [
        // A slip corrected with Backspace: the saved token is the one without it.
        { waitFor: 'DigitalOcean API token', type: `${token}x\x7f\r` },
        { waitFor: 'Spaces access key', type: `${accessKey}\r` },
        { waitFor: 'Spaces secret key', type: `${secretKey}\r` },
      ],
    );
    expect(run.transcript).toContain('(the form closed)');
    expect(run.transcript).toContain('Saved: typed');
    expect(run.exitCode).toBe(0);
    for (const s of [token, secretKey]) {
      expect(run.transcript).not.toContain(s);
      expect(run.transcript).not.toContain(s.slice(-8));
    }
    expect(isCookedMode(run.sttyAfter), run.sttyAfter).toBe(true);
  });

  it('takes keys pasted ahead of the next question', async () => {
    await openForm();
    const { token, accessKey, secretKey } = credentials();
    const run = await runTyped(['submit', 'environment=pasted', 'expiry=never', 'region=nyc3'], [
      { waitFor: 'DigitalOcean API token', type: `${token}\r${accessKey}\r${secretKey}\r` },
    ]);
    expect(run.transcript).toContain('Saved: pasted');
    expect(run.transcript).not.toContain(secretKey.slice(-8));
  });

  it('stops on Ctrl-C with exit code 130, sends nothing and gives the terminal back as it was (through npm)', async () => {
    await openForm();
    const { token } = credentials();
    const before = server.outbox.length;
    const run = await runTyped(['submit', 'environment=cancelled', 'expiry=never', 'region=nyc3'], [
      { waitFor: 'DigitalOcean API token', type: `${token.slice(0, 40)}\x03` },
    ], 'npm');
    expect(run.exitCode).toBe(130);
    expect(run.transcript).toContain('Cancelled: nothing was sent.');
    expect(run.transcript).not.toContain(token.slice(0, 40));
    expect(isCookedMode(run.sttyAfter), run.sttyAfter).toBe(true);
    expect(server.outbox.length).toBe(before);
  });

  it('ends on Ctrl-D at an empty prompt, sending nothing', async () => {
    await openForm();
    const run = await runTyped(['submit', 'environment=ended', 'expiry=never', 'region=nyc3'], [{ waitFor: 'DigitalOcean API token', type: '\x04' }]);
    expect(run.exitCode).toBe(1);
    expect(run.transcript).toContain('Input ended (Ctrl-D)');
    expect(isCookedMode(run.sttyAfter), run.sttyAfter).toBe(true);
  });
});

describe('piped, one line per secret', () => {
  it('reads the secrets from stdin in the order asked', async () => {
    await openForm();
    const { token, accessKey, secretKey } = credentials();
    const run = await runPiped(['submit', 'environment=piped', 'expiry=never', 'region=nyc3'], `${token}\n${accessKey}\n${secretKey}\n`);
    expect(run.stdout).toContain('Saved: piped');
    expect(run.code).toBe(0);
    expect(run.stdout + run.stderr).not.toContain(secretKey.slice(-8));
  });

  it('says so when the input ends early, instead of dying on an unsettled await', async () => {
    await openForm();
    const { token } = credentials();
    const run = await runPiped(['submit', 'environment=short', 'expiry=never', 'region=nyc3'], `${token}\n`);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Standard input ended before the Spaces access key');
    expect(run.stderr).not.toContain('unsettled');
    expect(run.stdout + run.stderr).not.toContain(token.slice(-8));
  });

  it('needs no input for a command that asks nothing', async () => {
    const run = await runPiped(['/do-creds help'], '');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('/do-creds setup');
  });
});

describe('secrets as arguments are refused, never repeated', () => {
  it('refuses token= and secretKey= whatever the value, before sending anything', async () => {
    await openForm();
    const before = server.outbox.length;
    for (const arg of ['token=x', 'do_token=dop_v1_short', `secretKey=${fakeSpacesKey().secretKey}`, 'spaces_secret_key=abc']) {
      const error = await drive(['submit', 'environment=prod', arg], noPrompt()).catch((e: unknown) => e as Error);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toContain('not taken on the command line (npm prints its arguments and your shell keeps them in its history)');
      expect((error as Error).message).not.toContain(arg.slice(arg.indexOf('=') + 1));
    }
    expect(server.outbox.length).toBe(before);
  });

  it('refuses anything that looks like a credential, in any command', async () => {
    const token = fakeDoToken();
    const { secretKey } = fakeSpacesKey();
    for (const args of [['/do-creds status', token], [`/do-creds rotate ${token}`], ['click', 'rotate_from_alert', secretKey], ['submit', `accessKey=${secretKey}`], ['submit', `bucket=${token}`]]) {
      const error = await drive(args, noPrompt()).catch((e: unknown) => e as Error);
      expect((error as Error).message, args[0]).toMatch(/not taken on the command line|must be field=value/);
      expect((error as Error).message).not.toContain(token.slice(-8));
      expect((error as Error).message).not.toContain(secretKey.slice(-8));
    }
  });

  it('says why from the script too, with exit code 1', async () => {
    const token = fakeDoToken();
    const run = await runPiped(['submit', `token=${token}`], '');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('token is a secret, so it is not taken on the command line');
    expect(run.stdout + run.stderr).not.toContain(token.slice(-8));
  });
});

describe('--secrets-file', () => {
  it('reads KEY=value lines from a file only its owner can read', async () => {
    await openForm();
    const { token, accessKey, secretKey } = credentials();
    const path = await secretsFile(['# from the control panel', `DO_TOKEN=${token}`, `export SPACES_ACCESS_KEY="${accessKey}"`, '', `SPACES_SECRET_KEY=${secretKey}`]);
    const out = await drive(['submit', '--secrets-file', path, 'environment=from-file', 'expiry=never', 'region=nyc3'], noPrompt());
    expect(out).toContain('Saved: from-file');
    expect(out).not.toContain(token);
  });

  it('refuses a file others can read, saying chmod 600', async () => {
    await openForm();
    const { token } = credentials();
    const path = await secretsFile([`DO_TOKEN=${token}`], 0o644);
    const error = await drive(['submit', `--secrets-file=${path}`, 'environment=prod'], noPrompt()).catch((e: unknown) => e as Error);
    expect((error as Error).message).toContain(`chmod 600 ${path}`);
  });

  it('refuses a line it does not know without repeating it', async () => {
    await openForm();
    const { token } = credentials();
    const path = await secretsFile([`TOKEN=${token}`, token]);
    const error = await drive(['submit', '--secrets-file', path], noPrompt()).catch((e: unknown) => e as Error);
    expect((error as Error).message).toContain('line 1: unknown key. Keys: DO_TOKEN');
    expect((error as Error).message).not.toContain(token.slice(-8));
  });
});

describe('the driver fills in forms as Slack does', () => {
  it('keeps the rotate form’s prefilled environment, region and bucket', async () => {
    const first = credentials();
    spaces.addBucket('tf-state');
    await openForm();
    const stored = await drive(['submit', '--secrets-file', await secretsFile([`DO_TOKEN=${first.token}`, `SPACES_ACCESS_KEY=${first.accessKey}`, `SPACES_SECRET_KEY=${first.secretKey}`]), 'environment=rotating', 'expiry=never', 'region=ams3', 'bucket=tf-state'], noPrompt());
    expect(stored).toContain('Saved: rotating');

    const opened = await drive(['/do-creds rotate rotating'], noPrompt());
    expect(opened).toContain('[the form changes]');
    expect(opened).toContain('[tf-state]');
    const next = credentials();
    const file = await secretsFile([`DO_TOKEN=${next.token}`, `SPACES_ACCESS_KEY=${next.accessKey}`, `SPACES_SECRET_KEY=${next.secretKey}`]);
    const out = await drive(['submit', '--secrets-file', file, 'expiry=never'], noPrompt());
    expect(out).toContain('(the form closed)');
    expect(out).toContain('Rotated: rotating');
    const terraform = await drive(['/do-creds terraform rotating'], noPrompt());
    expect(terraform).toContain('ams3');
    expect(terraform).toContain('tf-state');
  });

  it('refuses an unknown field name with the list of known ones', async () => {
    await openForm();
    const error = await drive(['submit', 'regoin=nyc3'], noPrompt()).catch((e: unknown) => e as Error);
    expect((error as Error).message).toBe(
      'The form has no field called regoin: fields: environment, token (do_token), expiry (token_expiry), expiryDate (token_expiry_date), accessKey (spaces_access_key), secretKey (spaces_secret_key), region (spaces_region), bucket (spaces_bucket).',
    );
  });

  it('refuses a choice the form does not offer, as Slack’s menu would', async () => {
    await openForm();
    const error = await drive(['submit', 'region=mars1'], noPrompt()).catch((e: unknown) => e as Error);
    expect((error as Error).message).toMatch(/^region is one of: .*nyc3/);
  });

  it('acts as another person with --user', async () => {
    await openForm();
    const { token, accessKey, secretKey } = credentials();
    const file = await secretsFile([`DO_TOKEN=${token}`, `SPACES_ACCESS_KEY=${accessKey}`, `SPACES_SECRET_KEY=${secretKey}`]);
    expect(await drive(['--user', 'UALICE1', 'submit', '--secrets-file', file, 'environment=alice', 'expiry=never', 'region=nyc3'], noPrompt())).toContain('Saved: alice');
    expect(await drive(['/do-creds status'], noPrompt())).toMatch(/\*alice\*[^]*submitted by @UALICE1/);
    const error = await drive(['--user', 'alice', '/do-creds status'], noPrompt()).catch((e: unknown) => e as Error);
    expect((error as Error).message).toContain('--user takes a Slack id');
  });

  it('opens the Home tab', async () => {
    expect(await drive(['home'], noPrompt())).toContain('[Home tab of ULOCALDEV]');
  });
});

describe('usage and a missing server', () => {
  it('lists every command and option', async () => {
    const usage = await drive(['help'], noPrompt());
    for (const word of [...SUBCOMMANDS, 'click <action_id>', 'submit', 'home', '--user', '--channel', '--secrets-file', 'DO_TOKEN', 'SPACES_ACCESS_KEY', 'SPACES_SECRET_KEY']) {
      expect(usage).toContain(word);
    }
  });

  it('says the local server is not running, and how to start it', async () => {
    const port = await freePort();
    const error = await drive(['/do-creds status'], { ...noPrompt(), url: `http://127.0.0.1:${port}` }).catch((e: unknown) => e as Error);
    expect((error as Error).message).toBe(
      `The local server is not running at http://127.0.0.1:${port}: start it with \`npm run demo\` (offline) or \`npm start\` in another terminal (same folder), then try again. If it listens elsewhere, set PORT or DO_CREDS_URL.`,
    );
  });

  it('checks the Node version before anything else', async () => {
    const script = await readFile(join(ROOT, 'scripts', 'slack.ts'), 'utf8');
    expect(script.split('\n')[0]).toBe("import '../src/local/require-node-22.js';");
  });
});

/** A port nothing listens on: taken, then released. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
