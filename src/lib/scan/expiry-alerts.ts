import pMap from 'p-map';
import type { CredentialStore } from '../credential-set.js';
import type { Logger } from '../logger.js';
import type { ScanJob } from '../queue/jobs.js';
import type { Alert, AlertSender } from './alert.js';
import { dueExpiryAlert } from './due.js';
import { emptyTally, type ScanTally } from './tally.js';

/**
 * Expiry alerts the listing found due, for one channel: each set looked at afresh (ListSecrets may lag
 * by minutes, AWS says, so a set deleted or already alerted meanwhile is left out), sent together (a
 * digest when there are many), and the threshold recorded on each, so re-runs send nothing new.
 */

export interface ExpiryAlertDeps {
  store: CredentialStore;
  alerts: AlertSender;
  logger: Logger;
  thresholds: readonly number[];
}

type AlertsJob = Extract<ScanJob, { kind: 'scan-alerts' }>;

/** Looks at this many sets at once: DescribeSecret's quota is 10,000 a second. */
const LOOK_CONCURRENCY = 8;

/** `retry`: some alert did not go (or a set could not be looked at): the job should be delivered again. */
export async function runExpiryAlerts(job: AlertsJob, deps: ExpiryAlertDeps): Promise<{ tally: ScanTally; retry: boolean }> {
  const now = new Date(job.runAt);
  const tally = emptyTally();
  let retry = false;
  const due: Extract<Alert, { kind: 'expiry' }>[] = [];
  const looked = await pMap(job.environments, (env) => deps.store.describe(env), { concurrency: LOOK_CONCURRENCY });
  for (const [i, fresh] of looked.entries()) {
    if (fresh.kind !== 'ok') {
      retry = true;
      deps.logger.warn({ event: 'scan_alert_look_failed', environment: job.environments[i], fault: fresh.kind }, 'could not look at a set before alerting');
      continue;
    }
    const alert = fresh.set && dueExpiryAlert(fresh.set, now, deps.thresholds);
    if (alert) due.push(alert);
  }
  if (due.length === 0) return { tally, retry };
  const delivered = await deps.alerts.sendAll(due);
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
