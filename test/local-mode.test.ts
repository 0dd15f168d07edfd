import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drive, type DriverOptions } from '../src/local/driver.js';
import { startLocalServer, type LocalServer } from '../src/local/server.js';
import { fakeDoToken, fakeSpacesKey } from './support/credentials.js';
import { FULL_ACCESS, startFakeDigitalOcean, type FakeDigitalOcean } from './support/fake-digitalocean.js';
import { startFakeSpaces, type FakeSpaces } from './support/fake-spaces.js';

/** `npm start` without a Slack app, driven like `npm run slack -- ...`, storing in the file store. */

let server: LocalServer;
let dataDir: string;
let digitalocean: FakeDigitalOcean;
let spaces: FakeSpaces;
let options: DriverOptions;
const printed: string[] = [];
const asked: string[] = [];
let answers: Record<string, string> = {};

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'do-creds-local-'));
  [digitalocean, spaces] = await Promise.all([startFakeDigitalOcean(), startFakeSpaces()]);
  server = await startLocalServer({
    port: 0,
    dataDir,
    // No Slack secrets and no AWS configuration: terminal mode and the file store.
    env: { DO_API_URL: digitalocean.url, DO_TOKEN_INFO_URL: digitalocean.tokenInfoUrl, SPACES_ENDPOINT_URL: spaces.url, LOG_LEVEL: 'warn' },
    print: (line) => printed.push(line),
  });
  const secret = (await readFile(join(dataDir, 'dev-signing-secret'), 'utf8')).trim();
  options = {
    url: server.url,
    secret,
    ask: (question) => {
      asked.push(question);
      return Promise.resolve(answers[question] ?? '');
    },
  };
});
afterAll(async () => {
  await server.close();
  await Promise.all([digitalocean.close(), spaces.close()]);
});

describe('terminal mode', () => {
  it('says at start that it runs without Slack and where credentials are stored', () => {
    expect(server.mode).toBe('terminal');
    expect(printed.join('\n')).toContain('terminal mode');
    expect(printed.join('\n')).toContain(`encrypted local file store in ${join(dataDir, 'creds')}`);
  });

  it('prints the guide as readable text, naming the local store', async () => {
    const out = await drive(['/do-creds setup'], options);
    expect(out).toContain('== DigitalOcean credentials for Terraform ==');
    expect(out).toContain('the encrypted local file store');
    expect(out).toContain('npm run slack -- click open_credentials_modal');
    expect(out).not.toContain('"type"');
  });

  it('opens the form, takes the secrets it asks for, checks them and stores them encrypted', async () => {
    const opened = await drive(['click', 'open_credentials_modal'], options);
    expect(opened).toContain('[a form opens]');
    expect(opened).toContain('Personal access token <do_token>');

    const token = fakeDoToken();
    const { accessKey, secretKey } = fakeSpacesKey();
    digitalocean.setToken(token, { scopes: FULL_ACCESS, expiresInSeconds: null });
    spaces.addKey(accessKey, { secret: secretKey });
    answers = { 'DigitalOcean API token (dop_v1_...): ': token, 'Spaces access key: ': accessKey, 'Spaces secret key: ': secretKey };

    const out = await drive(['submit', 'environment=prod', 'expiry=never', 'region=nyc3'], options);
    expect(asked).toHaveLength(3);
    expect(out).toContain('(the form closed)');
    expect(out).toContain('Saved: prod');
    expect(out).not.toContain(token);
    const data = await readFile(join(dataDir, 'creds', 'store.json'), 'utf8');
    expect(data).toContain('"environment": "prod"');
    expect(data).not.toContain(token);
    expect(data).not.toContain(secretKey);

    expect(await drive(['/do-creds status'], options)).toContain('*prod*: token');
  });

  it('refuses a submit argument that is not field=value, without repeating it', async () => {
    const pasted = fakeDoToken();
    const error = await drive(['submit', pasted], options).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('must be field=value');
    expect((error as Error).message).not.toContain(pasted);
  });

  it('shows field errors as text', async () => {
    await drive(['click', 'open_credentials_modal'], options);
    // Secrets are asked for, never taken as arguments (npm prints arguments; shells keep history).
    answers = { 'DigitalOcean API token (dop_v1_...): ': 'x', 'Spaces access key: ': 'y', 'Spaces secret key: ': 'z' };
    const out = await drive(['submit', 'environment=Bad Name'], options);
    expect(out).toContain('The form shows errors:');
    expect(out).toContain('environment: Use 1 to 32 lowercase letters');
  });
});
