import pMap from 'p-map';
import type { CredentialStore } from '../credential-set.js';
import type { Logger } from '../logger.js';
import type { JobQueue, ScanJob } from '../queue/jobs.js';
import type { Alert, AlertSender } from './alert.js';
import { ScanJobFailed } from './batch.js';
import { dueExpiryAlert } from './due.js';
import { emptyTally, type ScanTally } from './tally.js';

/**
 * Expiry alerts the listing found due, for one channel: each set looked at afresh (ListSecrets may lag
 * by minutes, AWS says, so a set deleted or already alerted meanwhile is left out), sent together (a
 * digest when there are many), and the threshold recorded on each, so re-runs send nothing new.
 */

export interface ExpiryAlertDeps {
  store: CredentialStore;
  queue: JobQueue;
  alerts: AlertSender;
  logger: Logger;
  thresholds: readonly number[];
}

type AlertsJob = Extract<ScanJob, { kind: 'scan-alerts' }>;

/** Looks at this many sets at once: DescribeSecret's quota is 10,000 a second. */
const LOOK_CONCURRENCY = 8;
/** Alerts per job: one digest message. Their tag writes (paced) keep even ten such jobs in one invocation well inside its time. */
export const ALERTS_PER_JOB = 24;
/** The next job of a channel's chain waits this long: Slack takes about one message a second per channel. */
const NEXT_JOB_DELAY_SECONDS = 1;

/** `retry`: some alert did not go (or a set could not be looked at): the job should be delivered again. */
export async function runExpiryAlerts(job: AlertsJob, deps: ExpiryAlertDeps): Promise<{ tally: ScanTally; retry: boolean }> {
  const now = new Date(job.runAt);
  const tally = emptyTally();
  let retry = false;
  const due: Extract<Alert, { kind: 'expiry' }>[] = [];
  const mine = job.environments.slice(0, ALERTS_PER_JOB);
  const looked = await pMap(mine, (env) => deps.store.describe(env), { concurrency: LOOK_CONCURRENCY });
  for (const [i, fresh] of looked.entries()) {
    if (fresh.kind !== 'ok') {
      retry = true;
      deps.logger.warn({ event: 'scan_alert_look_failed', environment: mine[i], fault: fresh.kind }, 'could not look at a set before alerting');
      continue;
    }
    const alert = fresh.set && dueExpiryAlert(fresh.set, now, deps.thresholds);
    if (alert) due.push(alert);
  }
  const delivered = due.length === 0 ? [] : await deps.alerts.sendAll(due, job.total);
  await handOverRest(job, deps);
  for (const [i, alert] of due.entries()) {
    const environment = alert.set.metadata.environment;
    if (!delivered[i]) {
      tally.failures += 1;
      retry = true;
      continue;
    }
    tally.alertsSent += 1;
    const saved = await deps.store.updateMetadata(environment, { alertedThreshold: alert.threshold });
    if (saved.kind !== 'ok') {
      tally.failures += 1;
      deps.logger.warn({ event: 'scan_tag_failed', environment, fault: saved.kind }, 'alert sent but not recorded; a re-run may repeat it');
    }
  }
  return { tally, retry };
}

/** The channel's remaining alerts, as the next job of the chain (after this one's post). */
async function handOverRest(job: AlertsJob, deps: ExpiryAlertDeps): Promise<void> {
  const rest = job.environments.slice(ALERTS_PER_JOB);
  if (rest.length === 0) return;
  const round = Number(/#(\d+)$/.exec(job.id)?.[1] ?? 0) + 1;
  const next: AlertsJob = { ...job, id: `${job.id.replace(/#\d+$/, '')}#${round}`, environments: rest };
  // Not handed over: this job is delivered again, and hands over then (the ledger lets the next post once).
  if (!(await deps.queue.send([next], { delaySeconds: NEXT_JOB_DELAY_SECONDS }))) throw new ScanJobFailed('the rest of the channel\'s alerts could not be queued');
}
