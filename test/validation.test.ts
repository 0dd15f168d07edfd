import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fakeDoToken, fakeSpacesKey } from './support/credentials.js';
import { customScopes } from './support/fake-digitalocean.js';
import { captureOutput, type InvokeResult } from './support/harness.js';
import { startWorld, type FormValues, type World } from './support/world.js';

/** `strict` requires a Terraform stack's scopes; every other environment has no policy. */
const STACK = ['droplet:create', 'droplet:delete', 'vpc:create', 'vpc:delete', 'database:create', 'database:delete'];
let world: World;
beforeAll(async () => {
  world = await startWorld({ SCOPE_POLICY: JSON.stringify({ environments: { strict: { require: STACK } } }) });
});
afterEach(() => {
  world.slack.reset();
  world.digitalocean.requests.length = 0;
  world.spaces.requests.length = 0;
  world.spaces.setFault(undefined);
});
afterAll(() => world.close());

function errorsOf(res: InvokeResult): Record<string, string> {
  expect(res.statusCode).toBe(200);
  expect(res.json?.response_action).toBe('errors');
  return res.json?.errors as Record<string, string>;
}

/** A valid submission closes the form; the confirmation arrives as an ephemeral message. */
function viewText(res: InvokeResult): string {
  expect(res.json?.response_action).toBe('clear');
  const posted = world.slack.callsTo('chat.postEphemeral').at(-1);
  expect(posted).toBeDefined();
  return JSON.stringify(posted?.args);
}

function expectNoSecretIn(text: string, values: FormValues): void {
  for (const secret of [values.token, values.secretKey]) {
    if (secret) expect(text).not.toContain(secret);
  }
}

/** A custom token holding the stack's scopes (and those the control panel adds) except `drop`. */
const withoutScopes = (...drop: string[]) => customScopes('account:read', ...STACK).filter((s) => !drop.includes(s));

describe('a valid submission', () => {
  it('passes every check, and the confirmation shows what was checked without a secret', async () => {
    const values = world.validCredentials({ account: { email: 'ops@example.test', teamName: 'Ops' } }, 'tf-state');
    const res = await world.submit(values);
    const text = viewText(res);
    expect(text).toContain('Saved: prod');
    expect(text).toContain(values.token.slice(-4));
    expect(text).toContain('ops@example.test');
    expect(text).toContain('Full Access');
    expect(text).toContain(values.accessKey);
    expectNoSecretIn(res.body + text, values);
    expect(world.digitalocean.requests.every((r) => r.authorization === `Bearer ${values.token}`)).toBe(true);
    expect(world.spaces.requests.map((r) => r.accessKey)).toEqual([values.accessKey]);
    expect(world.spaces.requests[0]?.path).toMatch(/^\/tf-state\/?\?list-type=2&max-keys=1/);
  });

  it('trims surrounding spaces and newlines that come with pasting', async () => {
    const values = world.validCredentials();
    const res = await world.submit({ ...values, token: `\n  ${values.token} \n`, accessKey: ` ${values.accessKey}\t`, secretKey: `${values.secretKey}\n`, environment: ' prod ' });
    expect(viewText(res)).toMatch(/(Saved|Rotated): prod/);
  });

  it('lists buckets when no bucket is given', async () => {
    await world.submit(world.validCredentials());
    expect(world.spaces.requests[0]?.path).toMatch(/^\/(\?x-id=ListBuckets)?$/);
  });

  it('takes the expiry from DigitalOcean and says so when it differs from the form', async () => {
    const values = world.validCredentials({ expiresInSeconds: 10 * 24 * 3600 });
    const text = viewText(await world.submit({ ...values, expiry: '90d' }));
    expect(text).toContain('DigitalOcean says this token expires on');
    expect(text).toContain('in 10 days');
    expect(text).toContain('(from DigitalOcean)');
  });

  it('falls back to read probes when the token-info endpoint fails, and marks write scopes unconfirmed', async () => {
    const values = world.validCredentials({ tokenInfo: 'server_error' });
    const text = viewText(await world.submit({ ...values, environment: 'strict', expiry: '30d' }));
    expect(text).toContain('checked with read-only calls');
    expect(text).toContain('Not confirmed');
    expect(text).toContain('droplet:create');
    expect(text).not.toContain('(from DigitalOcean)');
    expect(world.digitalocean.requests.some((r) => r.path.startsWith('/v2/droplets?per_page=1'))).toBe(true);
  });

  it('does not wait for a token-info endpoint that never answers, and still answers in Slack\'s time', async () => {
    const values = world.validCredentials({ tokenInfo: 'hang' });
    const started = Date.now();
    const res = await world.submit(values);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(viewText(res)).toMatch(/(Saved|Rotated): prod/);
  });

  it('accepts a custom-scoped token without account:read and says the account cannot be shown', async () => {
    const values = world.validCredentials({ scopes: withoutScopes('account:read') });
    const text = viewText(await world.submit(values));
    expect(text).toContain('no account:read scope');
  });

  it('warns when the account is not active', async () => {
    const values = world.validCredentials({ account: { status: 'locked' } });
    const text = viewText(await world.submit(values));
    expect(text).toContain('\\"locked\\"');
  });
});

describe('missing scopes', () => {
  it('names the write scopes DigitalOcean reports missing, on the token field', async () => {
    const values = world.validCredentials({ scopes: withoutScopes('droplet:create', 'vpc:delete') });
    const errors = errorsOf(await world.submit({ ...values, environment: 'strict' }));
    expect(errors.do_token).toContain('strict requires scopes this token lacks: droplet:create, vpc:delete.');
    expect(errors.do_token).toContain('/do-creds scopes strict');
    expect(Object.keys(errors)).toEqual(['do_token']);
  });

  it('finds a missing read scope with probes when token info is unavailable, and its write scopes with it', async () => {
    const values = world.validCredentials({ scopes: withoutScopes('database:read', 'database:create', 'database:delete'), tokenInfo: 'server_error' });
    const errors = errorsOf(await world.submit({ ...values, environment: 'strict' }));
    expect(errors.do_token).toContain('lacks: database:create, database:delete.');
  });
});

describe('local checks (no network call)', () => {
  afterEach(() => {
    expect(world.digitalocean.requests).toHaveLength(0);
    expect(world.spaces.requests).toHaveLength(0);
  });

  it('asks for every required field of an empty form', async () => {
    const errors = errorsOf(await world.submit({}));
    expect(Object.keys(errors).sort()).toEqual(
      ['do_token', 'environment', 'spaces_access_key', 'spaces_region', 'spaces_secret_key', 'token_expiry'].sort(),
    );
  });

  it('explains that an OAuth token or a refresh token is not a personal access token', async () => {
    const base = world.validCredentials();
    const oauth = errorsOf(await world.submit({ ...base, token: fakeDoToken().replace('dop_', 'doo_') }));
    expect(oauth.do_token).toContain('OAuth application token');
    const refresh = errorsOf(await world.submit({ ...base, token: fakeDoToken().replace('dop_', 'dor_') }));
    expect(refresh.do_token).toContain('refresh token');
  });

  it('says a random string does not look like a personal access token, without repeating it', async () => {
    const bogus = 'ghp_' + 'x'.repeat(36);
    const errors = errorsOf(await world.submit({ ...world.validCredentials(), token: bogus }));
    expect(errors.do_token).toContain('does not look like a DigitalOcean personal access token');
    expect(JSON.stringify(errors)).not.toContain(bogus);
  });

  it('says a truncated token is incomplete', async () => {
    const errors = errorsOf(await world.submit({ ...world.validCredentials(), token: fakeDoToken().slice(0, 40) }));
    expect(errors.do_token).toContain('incomplete');
  });

  it('notices an access key and a secret pasted into each other\'s fields', async () => {
    const v = world.validCredentials();
    const errors = errorsOf(await world.submit({ ...v, accessKey: v.secretKey, secretKey: v.accessKey }));
    expect(errors.spaces_access_key).toContain('swapped');
    expect(errors.spaces_secret_key).toContain('swapped');
    expectNoSecretIn(JSON.stringify(errors), v);
  });

  it('notices a secret pasted into the access key field', async () => {
    const v = world.validCredentials();
    const errors = errorsOf(await world.submit({ ...v, accessKey: fakeSpacesKey().secretKey }));
    expect(errors.spaces_access_key).toContain('looks like the secret key');
  });

  it('refuses a bad environment name and a bad bucket name', async () => {
    const errors = errorsOf(await world.submit({ ...world.validCredentials(), environment: 'Prod_EU', bucket: 'My_Bucket' }));
    expect(errors.environment).toContain('lowercase letters, digits and dashes');
    expect(errors.spaces_bucket).toContain('3 to 63 lowercase letters');
    const dots = errorsOf(await world.submit({ ...world.validCredentials(), bucket: 'tf..state' }));
    expect(dots.spaces_bucket).toContain('single dots');
  });

  it('refuses an expiry date in the past', async () => {
    const errors = errorsOf(await world.submit({ ...world.validCredentials(), expiry: 'date', expiryDate: '2020-01-01' }));
    expect(errors.token_expiry_date).toContain('in the past');
  });

  it('asks for the date when "On a date" is chosen, and refuses a date next to a fixed expiration', async () => {
    const noDate = errorsOf(await world.submit({ ...world.validCredentials(), expiry: 'date' }));
    expect(noDate.token_expiry_date).toContain('Pick the date');
    const both = errorsOf(await world.submit({ ...world.validCredentials(), expiry: '30d', expiryDate: '2099-01-01' }));
    expect(both.token_expiry_date).toContain('choose "On a date"');
  });
});

describe('DigitalOcean faults', () => {
  it('says DigitalOcean rejected a revoked or expired token (401)', async () => {
    const values = world.validCredentials({ fault: 'unauthorized' });
    const errors = errorsOf(await world.submit(values));
    expect(errors.do_token).toContain('DigitalOcean rejected this token');
  });

  it('says how long to wait when rate limited (429), from the rate-limit headers', async () => {
    const values = world.validCredentials({ fault: 'rate_limited' });
    const errors = errorsOf(await world.submit(values));
    const wait = Number(/try again in (\d+) seconds/.exec(errors.do_token ?? '')?.[1]);
    expect(wait).toBeGreaterThanOrEqual(40);
    expect(wait).toBeLessThanOrEqual(42);
  });

  it.each([
    ['a server error (500)', 'server_error'],
    ['malformed JSON', 'malformed'],
    ['a reset connection', 'reset'],
  ] as const)('names the cause and says nothing was saved, on %s', async (_label, fault) => {
    const values = world.validCredentials({ fault });
    const errors = errorsOf(await world.submit(values));
    const cause = { server_error: 'server error (5xx)', malformed: 'not its usual JSON', reset: 'could not connect' }[fault];
    expect(errors.do_token).toContain(cause);
    expect(errors.do_token).toContain('Nothing was saved');
  });

  it('answers before Slack\'s 3 seconds when DigitalOcean hangs', async () => {
    const values = world.validCredentials({ delayMs: 5000 });
    const started = Date.now();
    const errors = errorsOf(await world.submit(values));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(errors.do_token).toContain('did not answer');
  });
});

describe('Spaces checks over the S3 API', () => {
  it('puts an unknown access key on the access key field', async () => {
    const v = world.validCredentials();
    const errors = errorsOf(await world.submit({ ...v, accessKey: fakeSpacesKey().accessKey }));
    expect(errors.spaces_access_key).toContain('does not know this access key');
  });

  it('puts a wrong secret on the secret field (the signature does not match)', async () => {
    const v = world.validCredentials();
    const errors = errorsOf(await world.submit({ ...v, secretKey: fakeSpacesKey().secretKey }));
    expect(errors.spaces_secret_key).toContain('does not belong to this access key');
    expect(Object.keys(errors)).toEqual(['spaces_secret_key']);
  });

  it('puts a bucket that does not exist on the bucket field', async () => {
    const errors = errorsOf(await world.submit({ ...world.validCredentials(), bucket: 'no-such-bucket' }));
    expect(errors.spaces_bucket).toContain('no bucket with this name in nyc3');
  });

  it('says a key limited to other buckets has no access to this one', async () => {
    const v = world.validCredentials({}, 'tf-state');
    const limited = fakeSpacesKey();
    world.spaces.addKey(limited.accessKey, { secret: limited.secretKey, buckets: ['other-bucket'] });
    const errors = errorsOf(await world.submit({ ...v, ...limited }));
    expect(errors.spaces_bucket).toContain('no access to this bucket');
  });

  it('asks for a bucket when a limited key cannot list buckets', async () => {
    const v = world.validCredentials();
    const limited = fakeSpacesKey();
    world.spaces.addKey(limited.accessKey, { secret: limited.secretKey, buckets: ['tf-state'] });
    const errors = errorsOf(await world.submit({ ...v, ...limited }));
    expect(errors.spaces_bucket).toContain('limited to particular buckets');
  });

  it('accepts a limited key on its own bucket', async () => {
    const v = world.validCredentials({}, 'tf-state');
    const limited = fakeSpacesKey();
    world.spaces.addKey(limited.accessKey, { secret: limited.secretKey, buckets: ['tf-state'] });
    expect(viewText(await world.submit({ ...v, ...limited }))).toMatch(/(Saved|Rotated): prod/);
  });

  it('says Spaces did not answer on a server error, and is rate limited on SlowDown', async () => {
    world.spaces.setFault({ status: 500 });
    expect(errorsOf(await world.submit(world.validCredentials())).spaces_access_key).toContain('server error (5xx)');
    world.spaces.setFault({ status: 503 });
    expect(errorsOf(await world.submit(world.validCredentials())).spaces_access_key).toContain('rate limiting');
  });

  it('answers before Slack\'s 3 seconds when Spaces hangs', async () => {
    world.spaces.setFault({ delayMs: 5000 });
    const started = Date.now();
    const errors = errorsOf(await world.submit(world.validCredentials()));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(errors.spaces_access_key).toContain('did not answer');
  });
});

describe('no secret leaks from validation', () => {
  it('a canary token and secret pushed through every failing path appear in no log, Slack call or response', async () => {
    const output = captureOutput();
    const bodies: string[] = [];
    const canaries: string[] = [];
    try {
      const scenarios: [Parameters<World['validCredentials']>[0], Partial<FormValues>, { status?: number; delayMs?: number } | undefined][] = [
        [{ fault: 'unauthorized' }, {}, undefined],
        [{ fault: 'rate_limited' }, {}, undefined],
        [{ fault: 'server_error' }, {}, undefined],
        [{ fault: 'malformed' }, {}, undefined],
        [{ scopes: withoutScopes('droplet:create') }, { environment: 'strict' }, undefined],
        [{}, { secretKey: fakeSpacesKey().secretKey }, undefined],
        [{}, { bucket: 'missing-bucket' }, undefined],
        [{}, {}, { status: 500 }],
        [{}, { environment: 'BAD NAME' }, undefined],
      ];
      for (const [behaviour, overrides, spacesFault] of scenarios) {
        world.spaces.setFault(spacesFault);
        const values = { ...world.validCredentials(behaviour), ...overrides };
        canaries.push(values.token, values.secretKey);
        bodies.push((await world.submit(values)).body);
      }
    } finally {
      output.restore();
    }
    const everything = [output.text(), JSON.stringify(world.slack.calls), JSON.stringify(world.slack.responses), ...bodies].join('\n');
    for (const canary of canaries) expect(everything).not.toContain(canary);
  });
});
