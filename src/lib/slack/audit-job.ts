import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.js';
import type { Job, JobQueue } from '../queue/jobs.js';
import { auditMessage, logAudit, type AuditEntry } from './notify.js';

/**
 * An audit entry outside a submission (a deletion, a refusal): the log line now, and the
 * audit-channel post as a job, which the worker retries past Slack's rate limit (one message a
 * second per channel) instead of losing it, as submissions do.
 */
export async function auditLater(jobs: JobQueue, logger: Logger, channel: string | undefined, entry: AuditEntry, id?: string): Promise<void> {
  logAudit(logger, entry);
  const job = auditJob(channel, entry, id);
  if (job === undefined) return;
  const sent = await jobs.send([job]);
  if (!sent) logger.warn({ event: 'job_enqueue_failed', kind: 'audit' }, 'the audit-channel post could not be queued; the audit log line stands');
}

/**
 * The audit-channel post of an entry as a job (none without an audit channel). A refusal is posted at
 * most once per person per hour: its id repeats within the hour, and the ledger lets one job with an
 * id post (memory locally; DynamoDB on the worker). Other entries take `id`, or a fresh one.
 */
export function auditJob(channel: string | undefined, entry: AuditEntry, id?: string): Job | undefined {
  if (channel === undefined) return undefined;
  const jobId =
    entry.action === 'refused' ? `audit:refused:${entry.actor}:${entry.at.toISOString().slice(0, 13)}` : (id ?? `audit:${entry.action}:${randomUUID()}`);
  return { kind: 'audit', id: jobId, channel, message: auditMessage(entry) };
}
