import { ConfigError, loadConfig } from '../../src/lib/config.js';

/** The least environment the Slack function starts with (fake values). */
export const BASE_ENV = { SLACK_SIGNING_SECRET: 'signing-secret-for-test', SLACK_BOT_TOKEN: 'bot-token-for-test' };

/** The problems loadConfig names for `env`; none when it loads. */
export function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}
