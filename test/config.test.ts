import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/lib/config.js';
import { BASE_ENV, problemsOf } from './support/config-problems.js';

const base = BASE_ENV;


describe('loadConfig', () => {
  it('applies defaults: Slack\'s API, info logging, no development mode', () => {
    const config = loadConfig(base);
    expect(config.slack.apiUrl).toBe('https://slack.com/api/');
    expect(config.logLevel).toBe('info');
    expect(config.devMode).toBe(false);
    expect(config.slack.apiTimeoutMs).toBe(2000);
  });

  it('refuses to run the Slack function on Lambda without the jobs queue, where in-process jobs would be lost', () => {
    expect(problemsOf({ ...base, AWS_LAMBDA_FUNCTION_NAME: 'do-creds-prod-slack' })).toContain(
      'QUEUE_URL is required on Lambda (without it confirmations and audit posts would be lost after the answer)',
    );
    expect(problemsOf({ ...base, AWS_LAMBDA_FUNCTION_NAME: 'do-creds-prod-slack', QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/jobs' })).toEqual([]);
  });

  it('adds the trailing slash the WebClient needs to a custom Slack API URL', () => {
    expect(loadConfig({ ...base, SLACK_API_URL: 'http://127.0.0.1:9999/api' }).slack.apiUrl).toBe('http://127.0.0.1:9999/api/');
  });

  it('names every missing variable and never includes a value', () => {
    const problems = problemsOf({ SLACK_SIGNING_SECRET: 'leak-me-not' });
    expect(problems).toEqual(['SLACK_BOT_TOKEN is required']);
    expect(problemsOf({})).toEqual(['SLACK_SIGNING_SECRET is required', 'SLACK_BOT_TOKEN is required']);
  });

  it('rejects a non-http Slack API URL and an unknown log level', () => {
    const problems = problemsOf({ ...base, SLACK_API_URL: 'ftp://x', LOG_LEVEL: 'loud' });
    expect(problems.map((p) => p.split(' ')[0])).toEqual(['SLACK_API_URL', 'LOG_LEVEL']);
  });

  it('treats empty optional values as unset', () => {
    expect(loadConfig({ ...base, SLACK_BOT_ID: '' }).slack.botId).toBeUndefined();
  });

  it('allows debug logging only in development mode', () => {
    expect(problemsOf({ ...base, LOG_LEVEL: 'debug' })[0]).toContain('DO_CREDS_DEV_MODE');
    expect(loadConfig({ ...base, LOG_LEVEL: 'debug', DO_CREDS_DEV_MODE: 'true' }).logLevel).toBe('debug');
  });

  it('rejects a development-mode flag that is neither true nor false', () => {
    expect(problemsOf({ ...base, DO_CREDS_DEV_MODE: 'yes' })).toEqual(['DO_CREDS_DEV_MODE must be true or false']);
  });
});
