import { startFakeDigitalOcean, type FakeDigitalOcean } from './fake-digitalocean.js';
import { startFakeSecretsManager, type FakeSecretsManager } from './fake-secrets-manager.js';
import { startFakeSlack, type FakeSlack } from './fake-slack.js';
import { startFakeSpaces, type FakeSpaces } from './fake-spaces.js';

/** Every outside system do-creds talks to, as local servers, and the environment that points at them. */

export interface Upstreams {
  slack: FakeSlack;
  digitalocean: FakeDigitalOcean;
  spaces: FakeSpaces;
  secretsManager: FakeSecretsManager;
}

export async function startUpstreams(botToken: string): Promise<Upstreams> {
  const [slack, digitalocean, spaces, secretsManager] = await Promise.all([
    startFakeSlack(botToken),
    startFakeDigitalOcean(),
    startFakeSpaces(),
    startFakeSecretsManager(),
  ]);
  return { slack, digitalocean, spaces, secretsManager };
}

export function upstreamEnv(u: Upstreams, slack: { signingSecret: string; botToken: string }): Record<string, string> {
  return {
    SLACK_SIGNING_SECRET: slack.signingSecret,
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_API_URL: u.slack.apiUrl,
    DO_API_URL: u.digitalocean.url,
    DO_TOKEN_INFO_URL: u.digitalocean.tokenInfoUrl,
    SPACES_ENDPOINT_URL: u.spaces.url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: u.secretsManager.url,
    AWS_REGION: 'us-east-1',
  };
}

export async function closeUpstreams(u: Upstreams): Promise<void> {
  await Promise.all([u.slack.close(), u.digitalocean.close(), u.spaces.close(), u.secretsManager.close()]);
}
