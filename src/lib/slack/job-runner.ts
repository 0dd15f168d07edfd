import { WebClient } from '@slack/web-api';
import type { SlackConfig } from '../config.js';
import { toBoltLogger } from '../logger.js';
import type { Logger } from '../logger.js';
import type { Job } from '../queue/jobs.js';
import type { JobLedger } from '../queue/ledger.js';
import { classifySlackError, faultLabel } from './slack-errors.js';
import { tellPrivately } from './notify.js';

/**
 * Does one job: a private message or an audit-channel post. A job already done is skipped; a job
 * that fails is released and throws, so the queue delivers it again (and dead-letters it at last).
 */
export async function runJob(job: Job, deps: { client: WebClient; logger: Logger; ledger: JobLedger }): Promise<void> {
  if (!(await deps.ledger.claim(job.id))) {
    deps.logger.info({ event: 'job_already_done', kind: job.kind }, 'job delivered again; nothing to do');
    return;
  }
  try {
    await perform(job, deps);
  } catch (error) {
    await deps.ledger.release(job.id).catch(() => undefined);
    throw error;
  }
}

async function perform(job: Job, deps: { client: WebClient; logger: Logger }): Promise<void> {
  switch (job.kind) {
    case 'tell':
      if (!(await tellPrivately(deps.client, deps.logger, { user: job.user, channel: job.channel }, job.message))) {
        throw new JobFailed('the private message could not be delivered');
      }
      return;
    case 'audit':
      try {
        await deps.client.chat.postMessage({ channel: job.channel, ...job.message });
      } catch (error) {
        deps.logger.warn({ event: 'audit_post_failed', fault: faultLabel(classifySlackError(error)) }, 'could not post to the audit channel');
        throw new JobFailed('the audit message could not be posted');
      }
  }
}

export class JobFailed extends Error {
  override name = 'JobFailed';
}

/**
 * A Web API client for work Slack does not wait for: rides out rate limits and retries. The client
 * counts each 429 (after waiting its Retry-After) as a retry, and posts from several workers to one
 * channel can meet Slack's one-a-second limit a few times in a row (measured in the 100,000-set
 * bench: a revoked-token alert lost to four 429s), so it tries up to 8 times.
 */
export function backgroundSlackClient(slack: SlackConfig, logger: Logger): WebClient {
  return new WebClient(slack.botToken, {
    slackApiUrl: slack.apiUrl,
    logger: toBoltLogger(logger),
    timeout: 10_000,
    retryConfig: { retries: 8, factor: 2, minTimeout: 500, maxTimeout: 3_000 },
  });
}
