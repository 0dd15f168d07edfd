import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Env, StoreConfig } from '../lib/config.js';

/**
 * Who `npm start` would write to AWS Secrets Manager as, asked once at start when CREDS_STORE=aws
 * points at the real AWS: STS GetCallerIdentity with the same credential chain the store uses.
 * Only names and codes of the SDK's errors are used, never their messages or objects.
 */

export type AwsIdentity =
  | { kind: 'known'; account: string; arn: string }
  /** Asked, no answer (offline, slow): the store may still work. */
  | { kind: 'unknown'; reason: string }
  /** The credentials cannot work (missing profile, none at all, refused by AWS): saving would fail. */
  | { kind: 'refused'; reason: string };

const TIMEOUT_MS = 4_000;

export async function lookUpAwsIdentity(store: StoreConfig, env: Env): Promise<AwsIdentity> {
  const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
  const endpoint = (env.AWS_ENDPOINT_URL_STS ?? '').trim();
  const client = new STSClient({
    region: store.region,
    maxAttempts: 1,
    ...(endpoint ? { endpoint } : {}),
    requestHandler: { connectionTimeout: TIMEOUT_MS, requestTimeout: TIMEOUT_MS },
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<AwsIdentity>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'unknown', reason: `AWS STS did not answer within ${TIMEOUT_MS / 1000} s (offline?)` }), TIMEOUT_MS);
  });
  const ask = client.send(new GetCallerIdentityCommand({})).then(
    (out): AwsIdentity => ({ kind: 'known', account: out.Account ?? '?', arn: out.Arn ?? '?' }),
    (error: unknown) => identityFault(error, env),
  );
  try {
    return await Promise.race([ask, timeout]);
  } finally {
    clearTimeout(timer);
    client.destroy();
  }
}

/** What a failed GetCallerIdentity means, from the error's name (and, for credentials, which source was tried). */
export function identityFault(error: unknown, env: Env): AwsIdentity {
  const name = (error as { name?: string } | undefined)?.name ?? '';
  const raw = (error as { message?: unknown } | undefined)?.message;
  const message = typeof raw === 'string' ? raw : '';
  const profile = (env.AWS_PROFILE ?? '').trim();
  if (name === 'CredentialsProviderError' || name === 'ProviderError' || name === 'TokenProviderError') {
    if (profile) {
      const files = awsConfigFiles(env);
      if (!profileExists(profile, files)) return { kind: 'refused', reason: `the AWS profile "${profile}" (AWS_PROFILE) is not in ${files.join(' or ')}` };
      return {
        kind: 'refused',
        reason: `the AWS profile "${profile}" (AWS_PROFILE) gave no credentials (an expired SSO session? \`aws sso login --profile ${profile}\`)`,
      };
    }
    if (/sso/i.test(message)) return { kind: 'refused', reason: 'the AWS SSO session is missing or expired (`aws sso login`)' };
    return { kind: 'refused', reason: 'no AWS credentials were found (AWS_PROFILE, AWS_ACCESS_KEY_ID, SSO, or an instance role)' };
  }
  switch (name) {
    case 'InvalidClientTokenId':
    case 'SignatureDoesNotMatch':
    case 'UnrecognizedClientException':
    case 'ExpiredToken':
    case 'ExpiredTokenException':
    case 'AccessDenied':
      return { kind: 'refused', reason: `AWS refused the credentials (${name}, from ${awsCredentialSource(env)})` };
  }
  return { kind: 'unknown', reason: `AWS STS could not be asked (${name || 'no answer'})` };
}

/** The files the SDK reads profiles from, as it finds them. */
function awsConfigFiles(env: Env): string[] {
  const set = (name: string) => (env[name] ?? '').trim();
  return [set('AWS_CONFIG_FILE') || join(homedir(), '.aws', 'config'), set('AWS_SHARED_CREDENTIALS_FILE') || join(homedir(), '.aws', 'credentials')];
}

/** Whether a profile has a section: `[profile name]` (or `[default]`) in the config file, `[name]` in the credentials file. */
function profileExists(profile: string, files: string[]): boolean {
  const headers = new Set([`[${profile}]`, `[profile ${profile}]`]);
  return files.some((file) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return false;
    }
    return text.split(/\r?\n/).some((line) => headers.has(line.trim().replace(/\s+/g, ' ')));
  });
}

/** Where the SDK's default chain takes its credentials from, as far as the environment tells. */
export function awsCredentialSource(env: Env): string {
  const set = (name: string) => (env[name] ?? '').trim();
  // The JavaScript SDK prefers AWS_PROFILE over AWS_ACCESS_KEY_ID when both are set.
  if (set('AWS_PROFILE')) return `profile "${set('AWS_PROFILE')}" (AWS_PROFILE)`;
  if (set('AWS_ACCESS_KEY_ID')) return `AWS_ACCESS_KEY_ID …${set('AWS_ACCESS_KEY_ID').slice(-4)} from the environment`;
  if (set('AWS_WEB_IDENTITY_TOKEN_FILE')) return 'web identity token (AWS_WEB_IDENTITY_TOKEN_FILE)';
  if (set('AWS_CONTAINER_CREDENTIALS_FULL_URI') || set('AWS_CONTAINER_CREDENTIALS_RELATIVE_URI')) return 'container credentials';
  return 'the default profile, SSO or instance role (no AWS_PROFILE or AWS_ACCESS_KEY_ID set)';
}
