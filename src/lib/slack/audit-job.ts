import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.js';
import type { JobQueue } from '../queue/jobs.js';
import { auditMessage, logAudit, type AuditEntry } from './notify.js';

/**
 * An audit entry outside a submission (a deletion, a refusal): the log line now, and the
 * audit-channel post as a job, which the worker retries past Slack's rate limit (one message a
 * second per channel) instead of losing it, as submissions do.
 */
export async function auditLater(jobs: JobQueue, logger: Logger, channel: string | undefined, entry: AuditEntry): Promise<void> {
  logAudit(logger, entry);
  if (channel === undefined) return;
  // A refusal is posted at most once per person per hour: the job id repeats within the hour, and
  // the ledger lets one job with an id post (memory locally; DynamoDB on the worker).
  const id = entry.action === 'refused' ? `audit:refused:${entry.actor}:${entry.at.toISOString().slice(0, 13)}` : `audit:${entry.action}:${randomUUID()}`;
  const sent = await jobs.send([{ kind: 'audit', id, channel, message: auditMessage(entry) }]);
  if (!sent) logger.warn({ event: 'job_enqueue_failed', kind: 'audit' }, 'the audit-channel post could not be queued; the audit log line stands');
}
