import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from '@cdktn/hcl2json';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredSet } from '../src/lib/credential-set.js';
import { SPACES_REGIONS, spacesEndpoint, type SpacesRegion } from '../src/lib/regions.js';
import { terraformMessage } from '../src/lib/slack/manage.js';
import {
  EXAMPLE_PARAMS,
  REQUIRED_AWS_PROVIDER,
  REQUIRED_TERRAFORM,
  SnippetParamError,
  backendEnvSnippet,
  backendSnippet,
  exampleMainTf,
  providerSnippet,
  spacesCredentialsFile,
  spacesProfile,
  type SnippetParams,
} from '../src/lib/terraform-snippet.js';
import { startFakeSpaces, type FakeSpaces } from './support/fake-spaces.js';

/**
 * The Terraform `/do-creds terraform` prints (src/lib/terraform-snippet.ts): parsed as HCL, checked
 * with `terraform fmt`, and its backend block and shell lines run for real (`terraform init`)
 * against the local Spaces stand-in, which verifies every SigV4 signature.
 *
 * `terraform` (>= 1.10) and `jq` must be on PATH for the last two parts: a developer's run without
 * them skips with the reason; under CI (`process.env.CI`) the suite fails instead.
 */

// ---------------------------------------------------------------------------------------------
// Tools

type ToolStatus = { ok: true; detail: string } | { ok: false; reason: string };

const EMPTY_DIR = mkdtempSync(join(tmpdir(), 'do-creds-tf-'));
const EMPTY_CLI_CONFIG = join(EMPTY_DIR, 'empty.tfrc');
writeFileSync(EMPTY_CLI_CONFIG, '');

/** Environment for every child: no developer credentials, profile, CLI config or network. */
function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: EMPTY_DIR,
    LANG: 'C.UTF-8',
    TF_IN_AUTOMATION: '1',
    TF_CLI_CONFIG_FILE: EMPTY_CLI_CONFIG,
    CHECKPOINT_DISABLE: '1',
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  };
}

function probe(cmd: string, args: string[], check: (out: string) => string | undefined): ToolStatus {
  const res = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000, env: childEnv() });
  if (res.error) return { ok: false, reason: `\`${cmd}\` could not be run (${res.error.message})` };
  if (res.status !== 0) return { ok: false, reason: `\`${cmd} ${args.join(' ')}\` exited ${res.status}: ${res.stderr.trim().split('\n').at(-1) ?? ''}` };
  const problem = check(res.stdout);
  return problem === undefined ? { ok: true, detail: res.stdout.trim().split('\n')[0] ?? '' } : { ok: false, reason: problem };
}

function required(name: string, status: ToolStatus): ToolStatus {
  if (!status.ok && process.env.CI) throw new Error(`${name} is required in CI but is not usable: ${status.reason}`);
  return status;
}

const TERRAFORM = required(
  'terraform',
  probe('terraform', ['version', '-json'], (out) => {
    const version = (JSON.parse(out) as { terraform_version?: string }).terraform_version ?? '';
    const [major = 0, minor = 0] = version.split('.').map(Number);
    return major > 1 || (major === 1 && minor >= 10) ? undefined : `terraform ${version} is older than 1.10, which the snippet requires`;
  }),
);
const JQ = required('jq', probe('jq', ['--version'], () => undefined));
const skipped = (s: ToolStatus) => (s.ok ? '' : ` (skipped: ${s.reason})`);

afterAll(() => rmSync(EMPTY_DIR, { recursive: true, force: true }));

// ---------------------------------------------------------------------------------------------
// What the bot can print

interface HclJson {
  terraform?: {
    required_version?: string;
    required_providers?: Record<string, { source: string; version: string }>[];
    backend?: { s3?: Record<string, unknown>[] };
  }[];
  provider?: Record<string, Record<string, unknown>[]>;
  ephemeral?: Record<string, Record<string, Record<string, unknown>[]>>;
  data?: Record<string, unknown>;
  locals?: Record<string, unknown>[];
}

async function hcl(text: string): Promise<HclJson> {
  return (await parse('snippet.tf', text)) as HclJson;
}

const base: SnippetParams = { environment: 'prod', secretName: 'do-creds/prod', awsRegion: 'us-east-1', spacesEndpoint: spacesEndpoint('nyc3'), bucket: 'tf-state' };

const CASES: { label: string; params: SnippetParams }[] = [
  ...(Object.keys(SPACES_REGIONS) as SpacesRegion[]).map((region) => ({ label: `region ${region}`, params: { ...base, spacesEndpoint: spacesEndpoint(region) } })),
  {
    label: 'dotted bucket, long names',
    params: { environment: 'staging-eu', secretName: 'team/do-creds/staging-eu', awsRegion: 'eu-central-1', spacesEndpoint: spacesEndpoint('fra1'), bucket: 'tf.state.example-co' },
  },
  { label: 'no bucket', params: { ...base, environment: 'dev', secretName: 'do-creds/dev', awsRegion: 'ap-southeast-2', spacesEndpoint: spacesEndpoint('syd1'), bucket: undefined } },
  { label: 'local endpoint', params: { ...base, spacesEndpoint: 'http://127.0.0.1:4566' } },
  { label: 'the example', params: EXAMPLE_PARAMS },
];

const DIGITALOCEAN_FROM_EPHEMERAL = {
  token: '${local.do_creds.do_token}',
  spaces_access_id: '${local.do_creds.do_access_key}',
  spaces_secret_key: '${local.do_creds.do_secret_key}',
};

function expectProvider(json: HclJson, text: string, p: SnippetParams): void {
  expect(json.ephemeral?.aws_secretsmanager_secret_version?.do_creds).toEqual([{ secret_id: p.secretName }]);
  expect(json.data).toBeUndefined();
  expect(text).not.toMatch(/data\s+"aws_secretsmanager_secret_version"/);
  expect(json.locals).toEqual([{ do_creds: '${jsondecode(ephemeral.aws_secretsmanager_secret_version.do_creds.secret_string)}' }]);
  expect(json.provider?.digitalocean).toEqual([DIGITALOCEAN_FROM_EPHEMERAL]);
  // The aws provider takes the person's AWS identity from the usual chain: no key, no profile pinned here.
  expect(json.provider?.aws).toEqual([{ region: p.awsRegion }]);
  const settings = (json.terraform ?? []).filter((t) => t.required_version !== undefined);
  expect(settings.map((t) => t.required_version)).toEqual([REQUIRED_TERRAFORM]);
  expect(settings[0]?.required_providers).toEqual([
    { aws: { source: 'hashicorp/aws', version: REQUIRED_AWS_PROVIDER }, digitalocean: { source: 'digitalocean/digitalocean', version: '~> 2.0' } },
  ]);
}

function expectBackend(json: HclJson, p: SnippetParams): void {
  const backends = (json.terraform ?? []).flatMap((t) => t.backend?.s3 ?? []);
  // Exactly these keys: in particular no access_key / secret_key copied into the configuration.
  expect(backends).toEqual([
    {
      bucket: p.bucket ?? 'YOUR-STATE-BUCKET',
      key: `${p.environment}/terraform.tfstate`,
      endpoints: { s3: p.spacesEndpoint },
      shared_credentials_files: [spacesCredentialsFile(p.environment)],
      profile: spacesProfile(p.environment),
      region: 'us-east-1',
      use_path_style: true,
      skip_credentials_validation: true,
      skip_requesting_account_id: true,
      skip_metadata_api_check: true,
      skip_region_validation: true,
      skip_s3_checksum: true,
    },
  ]);
}

describe('the printed HCL parses and has the expected structure', () => {
  for (const { label, params } of CASES) {
    it(`provider, backend and both together: ${label}`, async () => {
      const provider = providerSnippet(params);
      const backend = backendSnippet(params);
      for (const text of [provider, backend]) {
        // Nothing is interpolated: every value is a literal string.
        expect(text).not.toContain('${');
        expect(text).not.toContain('%{');
      }
      expectProvider(await hcl(provider), provider, params);
      expectBackend(await hcl(backend), params);
      const both = await hcl(provider + '\n' + backend);
      expectProvider(both, provider, params);
      expectBackend(both, params);
    });
  }

  it('examples/terraform/main.tf (the same text, with the shell lines as comments)', async () => {
    const text = exampleMainTf();
    const json = await hcl(text);
    expectProvider(json, text, EXAMPLE_PARAMS);
    expectBackend(json, EXAMPLE_PARAMS);
    expect(readFileSync(new URL('../examples/terraform/main.tf', import.meta.url), 'utf8')).toBe(text);
  });

  it('the parser really rejects broken HCL (so the checks above mean something)', async () => {
    await expect(parse('broken.tf', 'terraform {\n  required_version = ">= 1.10\n}\n')).rejects.toThrow();
    await expect(parse('broken.tf', providerSnippet(base).replace('secret_id = "do-creds/prod"', 'secret_id = "do-creds/"prod"'))).rejects.toThrow();
  });
});

// ---------------------------------------------------------------------------------------------
// Refusing unsafe values

const BAD: Record<keyof SnippetParams, string[]> = {
  environment: ['', 'Prod', '-prod', 'prod-', 'pr od', 'prod"', 'prod\n', '${var.x}', '%{if true}x%{endif}', 'a'.repeat(33), 'prod/../x', 'pröd'],
  secretName: ['', 'do-creds/"prod"', "do-creds/it's", 'do creds', 'do-creds/${x}', 'do-creds/%{x}', 'do-creds/prod\n', 'do-creds\\prod', 'x'.repeat(513), 'do-creds/prod;rm -rf ~', '$(id)'],
  awsRegion: ['', 'US-EAST-1', 'us-east', 'us-east-1"', 'us-east-1\n', '${x}', 'us east 1', 'us-east-1; id'],
  spacesEndpoint: [
    '',
    'https://REGION.digitaloceanspaces.com',
    'https://.digitaloceanspaces.com',
    'https://atlantis1.digitaloceanspaces.com',
    'https://nyc3.digitaloceanspaces.com/"',
    'https://nyc3.digitaloceanspaces.com.evil.example',
    'https://bucket.nyc3.digitaloceanspaces.com',
    'http://nyc3.digitaloceanspaces.com',
    'ftp://spaces.example.com',
    'https://spaces.example.com/${x}',
    'https://spaces.example.com/%{x}',
    'https://spaces.example.com/\n',
    'https://user:pw@spaces.example.com',
    'https://spaces.example.com/"x',
    'https://spaces.example.com/a b',
    'javascript:alert(1)',
  ],
  bucket: ['', 'ab', 'a..b', 'Tf-State', 'tf_state', '-tf', 'tf-', '.tf', 'tf"state', 'tf\nstate', 'a'.repeat(64), '${x}', 'tf state'],
};

const GOOD: Partial<Record<keyof SnippetParams, string[]>> = {
  environment: ['a', 'prod', 'staging-eu', '0', 'a'.repeat(32)],
  secretName: ['do-creds/prod', 'a+b=c.d@e_f-g/h', 'x'.repeat(512)],
  awsRegion: ['us-east-1', 'eu-central-2', 'ap-southeast-7', 'us-gov-west-1', 'cn-northwest-1'],
  spacesEndpoint: [...(Object.keys(SPACES_REGIONS) as SpacesRegion[]).map((r) => spacesEndpoint(r)), 'http://127.0.0.1:4566', 'https://spaces.example.com/prefix'],
  bucket: ['abc', 'a.b.c', 'tf-state', 'a'.repeat(63)],
};

describe('values outside the strict patterns are refused', () => {
  const printers = { providerSnippet, backendSnippet, backendEnvSnippet };
  for (const [field, values] of Object.entries(BAD) as [keyof SnippetParams, string[]][]) {
    it(`refuses a bad ${field} in every printer`, () => {
      for (const value of values) {
        for (const [name, print] of Object.entries(printers)) {
          let thrown: unknown;
          try {
            print({ ...base, [field]: value });
          } catch (err) {
            thrown = err;
          }
          expect(thrown, `${name} with ${field} = ${JSON.stringify(value)}`).toBeInstanceOf(SnippetParamError);
          expect((thrown as SnippetParamError).field).toBe(field);
        }
      }
    });
  }

  it('accepts the values the bot really stores', () => {
    for (const [field, values] of Object.entries(GOOD) as [keyof SnippetParams, string[]][]) {
      for (const value of values) {
        expect(() => providerSnippet({ ...base, [field]: value }), `${field} = ${value}`).not.toThrow();
        expect(() => backendSnippet({ ...base, [field]: value }), `${field} = ${value}`).not.toThrow();
        expect(() => backendEnvSnippet({ ...base, [field]: value }), `${field} = ${value}`).not.toThrow();
      }
    }
  });

  it('any value either is refused or comes back out of the HCL exactly as given', async () => {
    const tricky = fc.constantFrom('"', '\\', '${', '%{', '\n', '}', '#', '//', '/*', "'", '`', '$(', ' ', '.', '-', '/', '=', '@', '+', '_');
    const piece = fc.oneof(fc.string({ maxLength: 6 }), tricky, fc.constantFrom('prod', 'a', 'do-creds', 'tf.state', 'nyc3'));
    const value = fc.array(piece, { maxLength: 5 }).map((parts) => parts.join(''));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom<keyof SnippetParams>('environment', 'secretName', 'awsRegion', 'bucket'), value, async (field, v) => {
        const p = { ...base, [field]: v };
        let provider: string, backend: string;
        try {
          provider = providerSnippet(p);
          backend = backendSnippet(p);
        } catch (err) {
          expect(err).toBeInstanceOf(SnippetParamError);
          return;
        }
        const json = await hcl(provider + backend);
        expectProvider(json, provider, p);
        expectBackend(json, p);
      }),
      { numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// What Slack shows

function storedSet(over: Partial<StoredSet['metadata']> = {}, damaged: StoredSet['damaged'] = []): StoredSet {
  const environment = over.environment ?? 'prod';
  return {
    name: `do-creds/${environment}`,
    damaged,
    metadata: {
      environment,
      expiresAt: undefined,
      submittedBy: 'U0TEST',
      submittedAt: new Date('2026-01-01T00:00:00Z'),
      tokenFingerprint: 'abcd',
      spacesKeyId: 'DO00EXAMPLE',
      spacesRegion: 'nyc3',
      spacesBucket: 'tf.state',
      alertChannel: undefined,
      validatedAt: new Date('2026-01-01T00:00:00Z'),
      validation: 'ok',
      alertedThreshold: undefined,
      ...over,
    },
  };
}

function sectionTexts(message: ReturnType<typeof terraformMessage>): string[] {
  return message.blocks.flatMap((b) => (b.type === 'section' && b.text ? [b.text.text] : []));
}

describe('terraformMessage', () => {
  it('shows the provider, the backend and the shell lines, each within Slack\'s 3,000-character section limit', async () => {
    const texts = sectionTexts(terraformMessage(storedSet(), 'eu-west-1'));
    const all = texts.join('\n');
    expect(all).toContain('ephemeral "aws_secretsmanager_secret_version" "do_creds"');
    expect(all).not.toContain('data "aws_secretsmanager_secret_version"');
    expect(all).toContain('region = "eu-west-1"');
    expect(all).toContain('bucket = "tf.state"');
    expect(all).toContain('profile                  = "do-creds-spaces-prod"');
    // Slack's three control characters are escaped (the shell lines redirect with > and chain with &&).
    expect(all).toContain('&gt; ~/.do-creds/prod.spaces-credentials.tmp &amp;&amp;');
    expect(all).not.toMatch(/[<>]/);
    for (const t of texts) expect(t.length).toBeLessThanOrEqual(3000);
    // The code blocks are exactly the snippets, once unescaped.
    const code = texts.flatMap((t) => [...t.matchAll(/```([\s\S]*?)```/g)].map((m) => m[1]!.replaceAll('&gt;', '>').replaceAll('&lt;', '<').replaceAll('&amp;', '&')));
    const p: SnippetParams = { environment: 'prod', secretName: 'do-creds/prod', awsRegion: 'eu-west-1', spacesEndpoint: spacesEndpoint('nyc3'), bucket: 'tf.state' };
    expect(code).toEqual([providerSnippet(p), backendSnippet(p), backendEnvSnippet(p)]);
    const json = await hcl(code[0]! + code[1]!);
    expectProvider(json, code[0]!, p);
    expectBackend(json, p);
  });

  const damagedCases: [string, StoredSet, string][] = [
    ['an unknown Spaces region', storedSet({ spacesRegion: 'atlantis1' }), 'Spaces region'],
    ['an empty Spaces region', storedSet({ spacesRegion: '' }), 'Spaces region'],
    ['a region with HCL in it', storedSet({ spacesRegion: 'nyc3.digitaloceanspaces.com"\n}\nprovider "x" {' }), 'Spaces region'],
    ['a bucket with a quote', storedSet({ spacesBucket: 'tf"state' }), 'bucket'],
    ['a bucket with two dots', storedSet({ spacesBucket: 'tf..state' }), 'bucket'],
    ['an environment with a quote', storedSet({ environment: 'prod"' }), 'environment'],
    ['a bucket the store flagged as damaged', storedSet({ spacesBucket: undefined }, ['spacesBucket']), 'bucket'],
  ];
  for (const [label, set, what] of damagedCases) {
    it(`answers that the metadata look damaged instead of printing HCL: ${label}`, () => {
      const message = terraformMessage(set, 'us-east-1');
      const all = JSON.stringify(message);
      expect(all).toContain('looks damaged');
      expect(all).toContain(`its ${what} is not a valid value`);
      expect(all).not.toContain('```');
      expect(all).not.toContain('provider');
    });
  }

  it("says when do-creds' own AWS region setting is invalid", () => {
    const all = JSON.stringify(terraformMessage(storedSet(), 'us-east-1"'));
    expect(all).toContain('AWS region setting is not a valid region name');
    expect(all).not.toContain('```');
  });
});

// ---------------------------------------------------------------------------------------------
// terraform fmt

describe.skipIf(!TERRAFORM.ok)(`terraform fmt -check${skipped(TERRAFORM)}`, () => {
  it('every printed snippet and examples/terraform/main.tf are formatted as terraform fmt formats them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'do-creds-fmt-'));
    try {
      CASES.forEach(({ params }, i) => {
        writeFileSync(join(dir, `provider-${i}.tf`), providerSnippet(params));
        writeFileSync(join(dir, `backend-${i}.tf`), backendSnippet(params));
      });
      writeFileSync(join(dir, 'main.tf'), exampleMainTf());
      const res = spawnSync('terraform', ['fmt', '-check', '-list=true', '-no-color', dir], { encoding: 'utf8', timeout: 60_000, env: childEnv() });
      expect(res.error).toBeUndefined();
      expect(res.stdout, `files terraform fmt would change:\n${res.stdout}${res.stderr}`).toBe('');
      expect(res.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// terraform init of the backend block, with the printed shell lines, against the Spaces stand-in

const TOOLS = TERRAFORM.ok && JQ.ok ? TERRAFORM : TERRAFORM.ok ? JQ : TERRAFORM;

describe.skipIf(!TOOLS.ok)(`terraform init of the printed backend against the Spaces stand-in${skipped(TOOLS)}`, () => {
  const SPACES_KEY = 'DO00SPACESKEYTERRAFORM';
  const SPACES_SECRET = 'spaces-secret-for-terraform-init/0123456789abcdefABCDEF';
  const BUCKET = 'tf.state.do-creds'; // dotted: only path-style requests can reach it
  // What an AWS session looks like in the shell where the person runs Terraform: none of it may reach the backend.
  const DECOY_AWS = {
    AWS_ACCESS_KEY_ID: 'AKIAREALAWSIDENTITY00',
    AWS_SECRET_ACCESS_KEY: 'real-aws-secret-never-for-spaces',
    AWS_SESSION_TOKEN: 'real-aws-session-token',
    AWS_PROFILE: 'my-aws-sso-profile',
  };
  let fake: FakeSpaces;

  beforeAll(async () => {
    fake = await startFakeSpaces();
    fake.addKey(SPACES_KEY, { secret: SPACES_SECRET, buckets: [BUCKET] });
    fake.addBucket(BUCKET);
  });
  afterAll(() => fake.close());

  interface Run {
    code: number;
    stdout: string;
    stderr: string;
    home: string;
    dir: string;
    awsCalls: string;
  }

  /** Runs the printed shell lines (with `aws` stubbed to print `secret`, or fail) in a fresh home and config dir. */
  function runShellLines(p: SnippetParams, secret: object | 'fail', prepare?: (home: string) => void): Promise<Run> {
    const root = mkdtempSync(join(tmpdir(), 'do-creds-init-'));
    const home = join(root, 'home');
    const dir = join(root, 'config');
    const bin = join(root, 'bin');
    for (const d of [home, dir, bin]) mkdirSync(d);
    prepare?.(home);
    writeFileSync(join(dir, 'main.tf'), `terraform {\n  required_version = "${REQUIRED_TERRAFORM}"\n}\n\n${backendSnippet(p)}`);
    writeFileSync(join(root, 'secret.json'), secret === 'fail' ? '' : JSON.stringify(secret) + '\n');
    writeFileSync(
      join(bin, 'aws'),
      `#!/bin/sh\nprintf '%s\\n' "$*" >> '${root}/aws-calls'\n` +
        (secret === 'fail' ? `echo 'An error occurred (AccessDeniedException)' >&2\nexit 254\n` : `cat '${root}/secret.json'\n`),
    );
    chmodSync(join(bin, 'aws'), 0o755);
    return new Promise((resolve) => {
      execFile(
        'sh',
        ['-c', backendEnvSnippet(p)],
        { cwd: dir, encoding: 'utf8', timeout: 120_000, env: childEnv({ ...DECOY_AWS, TF_CLI_ARGS_init: '-no-color -input=false', HOME: home, PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}` }) },
        (err, stdout, stderr) => {
          const awsCalls = existsSync(join(root, 'aws-calls')) ? readFileSync(join(root, 'aws-calls'), 'utf8') : '';
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr, home, dir, awsCalls });
        },
      );
    });
  }

  const params = (): SnippetParams => ({ environment: 'prod', secretName: 'do-creds/prod', awsRegion: 'eu-west-1', spacesEndpoint: fake.url, bucket: BUCKET });
  const secretValue = (secretKey = SPACES_SECRET) => ({
    do_token: 'dop_v1_' + '0'.repeat(64),
    do_access_key: SPACES_KEY,
    do_secret_key: secretKey,
    spaces_region: 'nyc3',
    spaces_endpoint: fake.url,
    spaces_bucket: BUCKET,
  });

  it(
    'the shell lines write a private credentials file and terraform init signs every request with the stored Spaces key',
    async () => {
      fake.requests.length = 0;
      const run = await runShellLines(params(), secretValue());
      const report = `terraform init exited ${run.code}\n${run.stdout}\n${run.stderr}\nrequests the stand-in saw:\n${fake.requests.map((r) => `  ${r.method} ${r.path} (${r.accessKey ?? 'unsigned'})`).join('\n')}`;

      // The aws CLI was asked for exactly this secret, in the bot's region.
      expect(run.awsCalls).toBe('secretsmanager get-secret-value --region eu-west-1 --secret-id do-creds/prod --query SecretString --output text\n');
      // The file the backend reads: only the person may read it, and it holds exactly the profile.
      const file = join(run.home, '.do-creds', 'prod.spaces-credentials');
      expect(readFileSync(file, 'utf8')).toBe(`[do-creds-spaces-prod]\naws_access_key_id = ${SPACES_KEY}\naws_secret_access_key = ${SPACES_SECRET}\n`);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(join(run.home, '.do-creds')).mode & 0o777).toBe(0o700);
      expect(existsSync(`${file}.tmp`)).toBe(false);

      // Every request reached the stand-in path-style, signed with the Spaces key from that file, never with AWS_*.
      expect(fake.requests.length, report).toBeGreaterThan(0);
      for (const r of fake.requests) {
        expect(r.accessKey, report).toBe(SPACES_KEY);
        expect(r.path.startsWith(`/${BUCKET}`), report).toBe(true);
      }

      expect(run.code, report).toBe(0);
      expect(run.stdout).toContain('Successfully configured the backend "s3"');
      // The backend settings Terraform keeps in .terraform/ name the file and profile, not the key.
      const kept = readFileSync(join(run.dir, '.terraform', 'terraform.tfstate'), 'utf8');
      expect(kept).toContain('do-creds-spaces-prod');
      expect(kept).not.toContain(SPACES_SECRET);
      expect(kept).not.toContain(DECOY_AWS.AWS_ACCESS_KEY_ID);
    },
    180_000,
  );

  it(
    'a wrong Spaces secret in the stored set fails terraform init with the signature error (the stand-in really checks)',
    async () => {
      fake.requests.length = 0;
      const run = await runShellLines(params(), secretValue('not-the-real-secret'));
      expect(run.code).not.toBe(0);
      expect(run.stderr).toContain('SignatureDoesNotMatch');
      expect(fake.requests.every((r) => r.accessKey === SPACES_KEY)).toBe(true);
    },
    180_000,
  );

  it(
    'a failed secret read leaves the previous credentials file as it was and does not run terraform init',
    async () => {
      fake.requests.length = 0;
      const previous = `[do-creds-spaces-prod]\naws_access_key_id = OLD\naws_secret_access_key = old\n`;
      const run = await runShellLines(params(), 'fail', (home) => {
        mkdirSync(join(home, '.do-creds'), { mode: 0o700 });
        writeFileSync(join(home, '.do-creds', 'prod.spaces-credentials'), previous, { mode: 0o600 });
      });
      expect(run.code).not.toBe(0);
      expect(readFileSync(join(run.home, '.do-creds', 'prod.spaces-credentials'), 'utf8')).toBe(previous);
      expect(fake.requests).toEqual([]);
    },
    60_000,
  );
});
