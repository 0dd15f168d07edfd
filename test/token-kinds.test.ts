import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fakeSpacesKey } from './support/credentials.js';
import { customScopes, FULL_ACCESS, LEGACY_FULL_ACCESS, READ_ONLY } from './support/fake-digitalocean.js';
import { captureOutput, loadSlackHandler, type InvokeResult } from './support/harness.js';
import { eventCallbackBody, signedEvent, USER_ID } from './support/slack-request.js';
import { startWorld, type FormValues, type World } from './support/world.js';

/**
 * Every kind of token DigitalOcean issues, through the exported handler: saved as it should be, told
 * apart in the confirmation, status and the Home tab, checked against the operators' scope policy,
 * with at most two DigitalOcean requests when token info answers.
 */

const PROD_STACK = ['droplet:create', 'droplet:delete', 'vpc:create', 'vpc:delete'];
const POLICY = {
  environments: {
    prod: { require: PROD_STACK, maxLifetimeDays: 90, unverifiable: 'refuse' },
    staging: { require: ['droplet:read'] },
  },
};

let world: World;
beforeAll(async () => {
  world = await startWorld({ SCOPE_POLICY: JSON.stringify(POLICY), DO_TOKEN_INFO_HEDGE_MS: '300' });
});
afterEach(() => {
  world.slack.reset();
  world.digitalocean.requests.length = 0;
});
afterAll(() => world.close());

function confirmation(res: InvokeResult): string {
  expect(res.json?.errors).toBeUndefined();
  expect(res.json?.response_action).toBe('clear');
  return JSON.stringify(world.slack.callsTo('chat.postEphemeral').at(-1)?.args);
}

function errorsOf(res: InvokeResult): Record<string, string> {
  expect(res.json?.response_action).toBe('errors');
  return res.json?.errors as Record<string, string>;
}

/** DigitalOcean requests made with this submission's token. */
const requestsBy = (v: FormValues) => world.digitalocean.requests.filter((r) => r.authorization === `Bearer ${v.token}`).map((r) => r.path.split('?')[0]);

describe('with no policy for the environment, every valid token is saved', () => {
  it('a Full Access token (api:write), with two DigitalOcean requests', async () => {
    const v = { ...world.validCredentials({ scopes: FULL_ACCESS }), environment: 'dev' };
    const text = confirmation(await world.submit(v));
    expect(text).toContain('*Token kind:* Full Access');
    expect(text).toContain('follow their creator');
    expect(text).not.toContain('lacks');
    expect(requestsBy(v).sort()).toEqual(['/v1/oauth/token/info', '/v2/account']);
  });

  it('a Read Only token (api:read), with a plain warning', async () => {
    const v = { ...world.validCredentials({ scopes: READ_ONLY }), environment: 'dev' };
    const text = confirmation(await world.submit(v));
    expect(text).toContain('*Token kind:* Read Only');
    expect(text).toContain(':warning: This is a Read Only token');
    expect(requestsBy(v)).toHaveLength(2);
  });

  it('a least-privilege custom token for Droplets and Spaces, its scopes grouped by resource', async () => {
    const v = { ...world.validCredentials({ scopes: customScopes('droplet:create', 'droplet:delete', 'spaces_key:read') }), environment: 'dev' };
    const text = confirmation(await world.submit(v));
    expect(text).toContain('Custom scopes');
    expect(text).toContain('droplet: read, create, delete');
    expect(text).toContain('regions: read');
    expect(text).not.toContain(':warning:');
    expect(requestsBy(v)).toHaveLength(2);
  });

  it('a legacy read/write token, said to predate custom scopes', async () => {
    const v = { ...world.validCredentials({ scopes: LEGACY_FULL_ACCESS }), environment: 'dev' };
    const text = confirmation(await world.submit(v));
    expect(text).toContain('Full Access (legacy write scope)');
  });

  it('a token whose kind cannot be told (token info down) is saved with a plain warning, without probes', async () => {
    const v = { ...world.validCredentials({ scopes: READ_ONLY, tokenInfo: 'server_error' }), environment: 'dev', expiry: '30d' };
    const text = confirmation(await world.submit(v));
    expect(text).toContain("cannot tell whether it is Read Only, Full Access or custom");
    expect(requestsBy(v).filter((p) => p?.startsWith('/v2/'))).toEqual(['/v2/account']);
  });
});

describe('the scope policy', () => {
  it('refuses a token missing a required scope, naming it', async () => {
    const v = { ...world.validCredentials({ scopes: customScopes('droplet:create', 'droplet:delete', 'vpc:create'), expiresInSeconds: 30 * 86400 }), environment: 'prod' };
    const errors = errorsOf(await world.submit(v));
    expect(errors.do_token).toContain('prod requires scopes this token lacks: vpc:delete.');
    expect(world.secretsManager.currentValue('do-creds/prod')).toBeUndefined();
  });

  it('accepts a custom token holding exactly the required scopes, and says how many', async () => {
    const v = { ...world.validCredentials({ scopes: customScopes(...PROD_STACK), expiresInSeconds: 30 * 86400 }), environment: 'prod' };
    const text = confirmation(await world.submit(v));
    expect(text).toContain('*Scopes prod requires* (from the scopes DigitalOcean lists for the token)');
    expect(text).toContain('4 of 4 held');
    expect(requestsBy(v)).toHaveLength(2);
  });

  it('refuses a Read Only token where write scopes are required', async () => {
    const v = { ...world.validCredentials({ scopes: READ_ONLY, expiresInSeconds: 30 * 86400 }), environment: 'prod' };
    expect(errorsOf(await world.submit(v)).do_token).toContain('droplet:create, droplet:delete, vpc:create, vpc:delete');
  });

  it('refuses tokens that live longer than the environment allows, or forever', async () => {
    const never = { ...world.validCredentials({ scopes: FULL_ACCESS, expiresInSeconds: null }), environment: 'prod' };
    expect(errorsOf(await world.submit(never)).do_token).toContain('prod only accepts tokens that live at most 90 days. DigitalOcean says this token never expires');
    const year = { ...world.validCredentials({ scopes: FULL_ACCESS, expiresInSeconds: 365 * 86400 }), environment: 'prod' };
    expect(errorsOf(await world.submit(year)).do_token).toMatch(/prod only accepts tokens that live at most 90 days; this one was made to live 365 days \(until \d{4}-\d{2}-\d{2}\)/);
    const ninety = { ...world.validCredentials({ scopes: FULL_ACCESS, expiresInSeconds: 90 * 86400 }), environment: 'prod' };
    expect(confirmation(await world.submit(ninety))).toMatch(/(Saved|Rotated): prod/);
  });

  it('refuses when token info is down and the environment will not take unconfirmed scopes', async () => {
    const v = { ...world.validCredentials({ scopes: FULL_ACCESS, tokenInfo: 'server_error' }), environment: 'prod', expiry: '30d' };
    const errors = errorsOf(await world.submit(v));
    expect(errors.do_token).toContain("DigitalOcean's token info did not answer, so do-creds cannot confirm scopes prod requires");
    // Probes ran only for the resources the policy names, never the rate-limited /v2/account/keys.
    expect(requestsBy(v).filter((p) => p?.startsWith('/v2/')).sort()).toEqual(['/v2/account', '/v2/droplets', '/v2/vpcs']);
  });

  it('says token info is turned off, not that it failed, when the installation disabled it', async () => {
    const off = await startWorld({ SCOPE_POLICY: JSON.stringify(POLICY), DO_TOKEN_INFO_URL: 'off' });
    try {
      const v = { ...off.validCredentials({ scopes: FULL_ACCESS }), environment: 'prod', expiry: '30d' };
      const errors = errorsOf(await off.submit(v));
      expect(errors.do_token).toContain("This installation has DigitalOcean's token info turned off");
      expect(errors.do_token).not.toContain('try again');
    } finally {
      await off.close();
    }
  });

  it('falls back to probes on an unrecognised token-info answer and says so', async () => {
    const v = { ...world.validCredentials({ scopes: customScopes('droplet:read'), tokenInfo: 'unrecognised' }), environment: 'staging', expiry: '30d' };
    const text = confirmation(await world.submit(v));
    expect(text).toContain('names do-creds does not know');
    expect(text).toContain('checked with read-only calls');
    expect(text).toContain('1 of 1 held');
  });

  it('uses token info when it answers after the hedge, and cuts the probes short', async () => {
    const v = { ...world.validCredentials({ scopes: customScopes('droplet:read'), tokenInfo: 'slow', tokenInfoDelayMs: 500, expiresInSeconds: 86400 }), environment: 'staging' };
    const text = confirmation(await world.submit(v));
    expect(text).toContain('from the scopes DigitalOcean lists for the token');
    expect(requestsBy(v).length).toBeLessThanOrEqual(3);
  });

  it('does not spend a token\'s last requests on probes', async () => {
    const v = { ...world.validCredentials({ scopes: customScopes('droplet:read'), tokenInfo: 'server_error', usedThisHour: 4_600 }), environment: 'staging', expiry: '30d' };
    const text = confirmation(await world.submit(v));
    expect(text).toContain('did not spend more of them');
    expect(requestsBy(v).filter((p) => p?.startsWith('/v2/'))).toEqual(['/v2/account']);
  });
});

describe('status and the Home tab tell the token kinds apart', () => {
  it('shows Full Access, Read Only and custom scopes for stored sets', async () => {
    await world.submit({ ...world.validCredentials({ scopes: FULL_ACCESS }), environment: 'kind-full' });
    await world.submit({ ...world.validCredentials({ scopes: READ_ONLY }), environment: 'kind-read' });
    await world.submit({ ...world.validCredentials({ scopes: customScopes('vpc:create') }), environment: 'kind-custom' });
    const status = JSON.stringify((await world.command('status')).json);
    expect(status).toMatch(/kind-full\*.*Full Access/);
    expect(status).toMatch(/kind-read\*.*Read Only/);
    expect(status).toMatch(/kind-custom\*.*Custom scopes \(\d+\): .*vpc: read, create/);
    const body = eventCallbackBody({ type: 'app_home_opened', user: USER_ID, channel: 'D0', tab: 'home', event_ts: '1.1' });
    await world.send(signedEvent({ secret: world.secret, body, contentType: 'application/json' }));
    const home = JSON.stringify(world.slack.callsTo('views.publish').at(-1)?.args);
    expect(home).toContain('Read Only');
    expect(home).toContain('vpc: read, create');
  });
});

describe('/do-creds scopes', () => {
  it('lists what to tick for an environment, with the scopes DigitalOcean adds and its lifetime rule', async () => {
    const text = JSON.stringify((await world.command('scopes prod')).json);
    expect(text).toContain('Custom Scopes');
    expect(text).toContain('*droplet*: read, create, delete');
    expect(text).toContain('*regions*: read');
    expect(text).toContain('expiring within 90 days');
  });

  it('lists what Terraform resource types need, and points Spaces types at the key', async () => {
    const text = JSON.stringify((await world.command('scopes digitalocean_droplet digitalocean_spaces_bucket')).json);
    expect(text).toContain('*droplet*: read, create, update, delete');
    expect(text).toContain('`digitalocean_spaces_bucket` works on Spaces with the Spaces access key');
    expect(JSON.stringify((await world.command('scopes digitalocean_fire')).json)).toContain('did you mean `digitalocean_firewall`');
  });

  it('suggests a resource type for a typo, and explains itself with no argument', async () => {
    expect(JSON.stringify((await world.command('scopes digitalocean_dropet')).json)).toContain('did you mean `digitalocean_droplet`');
    const overview = JSON.stringify((await world.command('scopes')).json);
    expect(overview).toContain('What this workspace requires');
    expect(overview).toContain('*prod*');
  });

  it('is linked from the setup guide, which shows the policy', async () => {
    const guide = JSON.stringify((await world.command('setup')).json);
    expect(guide).toContain('/do-creds scopes');
    expect(guide).toContain('What this workspace requires');
  });
});

describe('a credential pasted into a command', () => {
  it('is never repeated back, whatever the subcommand', async () => {
    const { token, secretKey } = world.validCredentials();
    for (const text of [`scopes ${token}`, `scopes prod ${token}`, token, `rotate ${secretKey}`, `scopes prod \`${token}\``, `scopes "${token}"`, `"${token}`, `scopes token=${token}`, `rotate '${secretKey}'`]) {
      const answer = JSON.stringify((await world.command(text)).json);
      expect(answer).toContain('looks like a DigitalOcean token or Spaces secret');
      expect(answer).not.toContain(token.slice(7, 20));
      expect(answer).not.toContain(secretKey.slice(0, 12));
    }
  });
});

describe('the rest of the facts', () => {
  it('recognises a 40-character DO00 key id pasted into the secret field', async () => {
    const v = world.validCredentials();
    const longId = 'DO00' + 'A1B2C3D4E5'.repeat(3) + 'XYZ123';
    expect(longId).toHaveLength(40);
    const errors = errorsOf(await world.submit({ ...v, environment: 'dev', secretKey: longId }));
    expect(errors.spaces_secret_key).toContain('looks like the access key');
  });

  it('accepts a bucket name with dots and warns about virtual-host TLS', async () => {
    const v = { ...world.validCredentials({}, 'tf.state'), environment: 'dev' };
    expect(confirmation(await world.submit(v))).toContain('use_path_style');
  });
});

describe('a policy typo stops the cold start', () => {
  it('answers 500 and logs one line naming the scope, never a refusal of every token', async () => {
    const output = captureOutput();
    let res;
    try {
      const handler = await loadSlackHandler({ ...world.env, SCOPE_POLICY: '{"environments":{"prod":{"require":["droplet:craete"]}}}' });
      res = await handler(signedEvent({ secret: world.secret, body: 'command=%2Fdo-creds&text=help' }), {} as never);
    } finally {
      output.restore();
    }
    expect(res.statusCode).toBe(500);
    const line = output.lines().find((l) => l.event === 'config_invalid');
    expect(line?.problems).toContain('SCOPE_POLICY environments.prod.require names an unknown DigitalOcean scope "droplet:craete" (did you mean droplet:create?)');
  });
});

describe('network causes are named', () => {
  it('a name that does not resolve is DNS, in the message and the log field', async () => {
    const isolated = await startWorld({ DO_API_URL: 'http://do-creds-test.invalid', DO_TOKEN_INFO_URL: 'off', LOG_LEVEL: 'info' });
    const output = captureOutput();
    try {
      const errors = errorsOf(await isolated.submit({ ...isolated.validCredentials(), environment: 'dev' }));
      expect(errors.do_token).toContain('(DNS)');
    } finally {
      output.restore();
      await isolated.close();
    }
    expect(output.lines().find((l) => l.event === 'submission_invalid')?.causes).toMatchObject({ digitalocean: 'dns' });
  });

  it('a certificate that does not verify is TLS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'do-creds-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    const server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => res.end('{}'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const isolated = await startWorld({ DO_API_URL: url, DO_TOKEN_INFO_URL: 'off', SPACES_ENDPOINT_URL: url });
    try {
      const errors = errorsOf(await isolated.submit({ ...isolated.validCredentials(), environment: 'dev', ...fakeSpacesKey() }));
      expect(errors.do_token).toContain('(TLS certificate or handshake)');
      expect(errors.spaces_access_key).toContain('(TLS certificate or handshake)');
    } finally {
      await isolated.close();
      server.close();
    }
  });
});
