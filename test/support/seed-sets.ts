import { fakeDoToken, fakeSpacesKey } from './credentials.js';
import { FULL_ACCESS, type FakeDigitalOcean, type TokenBehaviour } from './fake-digitalocean.js';
import type { FakeSecretsManager } from './fake-secrets-manager.js';
import type { FakeSlack } from './fake-slack.js';

/**
 * Stores credential sets directly in the Secrets Manager stand-in, as do-creds' store writes them
 * (value JSON, do-creds:* tags, the version the tags describe), each with a token registered at the
 * DigitalOcean stand-in and a submitter who is a member of the Slack workspace.
 */

const DAY = 86_400_000;

export interface SeedOptions {
  /** The scan's "now" (epoch ms): expiry and submission dates count from it. */
  now: number;
  /** undefined: the token never expires. */
  expiresInDays: number | undefined;
  /** The set's alert channel; null: none (ALERT_CHANNEL_ID, then the submitter's DM). */
  channel?: string | null;
  behaviour?: Partial<TokenBehaviour>;
  alerted?: number;
  /** A token shared with other sets; default: a fresh one. */
  token?: string;
}

export interface Seeded {
  env: string;
  token: string;
}

export function seedSet(
  up: { digitalocean: FakeDigitalOcean; secretsManager: FakeSecretsManager; slack: FakeSlack; spacesUrl: string },
  env: string,
  o: SeedOptions,
): Seeded {
  const token = o.token ?? fakeDoToken();
  const { accessKey, secretKey } = fakeSpacesKey();
  if (o.token === undefined || o.behaviour) up.digitalocean.setToken(token, { scopes: FULL_ACCESS, ...o.behaviour });
  const submitter = `U${env.toUpperCase().replace(/-/g, '')}`;
  up.slack.addUser(submitter);
  const expiry = o.expiresInDays === undefined ? 'never' : new Date(o.now + o.expiresInDays * DAY).toISOString().slice(0, 10);
  const tags = [
    { Key: 'do-creds:environment', Value: env },
    { Key: 'do-creds:token-expiry', Value: expiry },
    { Key: 'do-creds:submitted-by', Value: submitter },
    { Key: 'do-creds:submitted-at', Value: new Date(o.now - 10 * DAY).toISOString() },
    { Key: 'do-creds:token-fingerprint', Value: token.slice(-4) },
    { Key: 'do-creds:spaces-key-id', Value: accessKey },
    { Key: 'do-creds:spaces-region', Value: 'nyc3' },
    { Key: 'do-creds:validation', Value: 'ok' },
    { Key: 'do-creds:validated-at', Value: new Date(o.now - 10 * DAY).toISOString() },
    ...(o.channel === null ? [] : [{ Key: 'do-creds:alert-channel', Value: o.channel ?? 'C0PLATFORM' }]),
    ...(o.alerted === undefined ? [] : [{ Key: 'do-creds:alerted-threshold', Value: String(o.alerted) }]),
  ];
  const value = { do_token: token, do_access_key: accessKey, do_secret_key: secretKey, spaces_region: 'nyc3', spaces_endpoint: up.spacesUrl };
  up.secretsManager.seed(`do-creds/${env}`, JSON.stringify(value), tags);
  // do-creds records which version its tags describe.
  const secret = up.secretsManager.secret(`do-creds/${env}`);
  secret?.tags.push({ Key: 'do-creds:metadata-version', Value: secret.versions[0]?.id ?? '' });
  return { env, token };
}
