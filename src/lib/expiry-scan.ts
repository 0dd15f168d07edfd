import type { CredentialStore, StoredSet } from './credential-set.js';
import type { DigitalOceanClient } from './digitalocean/client.js';
import { alertDue, daysLeft } from './expiry.js';
import { alwaysInfo, type Logger } from './logger.js';

/**
 * The daily scan: expiry alerts decided from metadata alone (one ListSecrets page per 100 sets),
 * then a health check of every unexpired token against DigitalOcean. One alert per threshold,
 * remembered on the secret, so re-runs and retries send nothing new. One failing set never stops
 * the others.
 */

export type Alert =
  | { kind: 'expiry'; set: StoredSet; daysLeft: number; threshold: number }
  | { kind: 'revoked'; set: StoredSet };

export interface AlertSender {
  /** true when the alert reached someone (its channel or, failing that, the submitter). */
  send(alert: Alert): Promise<boolean>;
}

export interface ScanDeps {
  store: CredentialStore;
  digitalocean: DigitalOceanClient;
  alerts: AlertSender;
  logger: Logger;
  now: Date;
  thresholds: readonly number[];
  healthCheckConcurrency: number;
  /** The longest a rate-limited health check waits before trying again. */
  maxRateLimitWaitSeconds?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface ScanSummary {
  scanned: number;
  alertsSent: number;
  revokedFound: number;
  failures: number;
}

export async function runExpiryScan(deps: ScanDeps): Promise<ScanSummary> {
  const started = Date.now();
  const summary: ScanSummary = { scanned: 0, alertsSent: 0, revokedFound: 0, failures: 0 };
  const listed = await deps.store.list();
  if (listed.kind !== 'ok') {
    deps.logger.error({ event: 'scan_list_failed', fault: listed.kind }, 'could not list the stored sets');
    summary.failures += 1;
  } else {
    summary.scanned = listed.sets.length;
    for (const set of listed.sets) await alertExpiry(set, deps, summary);
    await checkHealth(listed.sets.filter((s) => !isPastExpiry(s, deps.now)), deps, summary);
  }
  alwaysInfo(deps.logger).info({ event: 'expiry_scan_done', ...summary, durationMs: Date.now() - started }, 'expiry scan finished');
  return summary;
}

async function alertExpiry(set: StoredSet, deps: ScanDeps, summary: ScanSummary): Promise<void> {
  const { expiresAt, alertedThreshold, environment } = set.metadata;
  if (expiresAt === undefined) return;
  const days = daysLeft(expiresAt, deps.now);
  const threshold = alertDue(days, alertedThreshold, deps.thresholds);
  if (threshold === undefined) return;
  try {
    if (!(await deps.alerts.send({ kind: 'expiry', set, daysLeft: days, threshold }))) {
      summary.failures += 1;
      return;
    }
    summary.alertsSent += 1;
    const saved = await deps.store.updateMetadata(environment, { alertedThreshold: threshold });
    if (saved.kind !== 'ok') {
      summary.failures += 1;
      deps.logger.warn({ event: 'scan_tag_failed', environment, fault: saved.kind }, 'alert sent but not recorded; a re-run may repeat it');
    }
  } catch (error) {
    summary.failures += 1;
    deps.logger.error({ event: 'scan_set_failed', environment, error: (error as Error).name }, 'expiry alert failed');
  }
}

function isPastExpiry(set: StoredSet, now: Date): boolean {
  return set.metadata.expiresAt !== undefined && daysLeft(set.metadata.expiresAt, now) < 0;
}

async function checkHealth(sets: StoredSet[], deps: ScanDeps, summary: ScanSummary): Promise<void> {
  if (sets.length === 0) return;
  const read = await deps.store.readValues(sets.map((s) => s.metadata.environment));
  if (read.kind !== 'ok') {
    deps.logger.error({ event: 'scan_read_failed', fault: read.kind }, 'could not read tokens for the health check');
    summary.failures += 1;
    return;
  }
  const queue = healthQueue(deps);
  for (const set of sets) {
    const token = read.values.get(set.metadata.environment)?.do_token;
    if (token === undefined) summary.failures += 1;
    else queue.add({ set, token, attempts: 0 });
  }
  const worker = async () => {
    for (let job = await queue.next(); job !== undefined; job = await queue.next()) {
      try {
        const result = await deps.digitalocean.getAccount(job.token);
        if (result.kind === 'rate_limited' && queue.retryLater(job, result.retryAfterSeconds)) continue;
        await recordCheck(job.set, result, deps, summary);
      } catch (error) {
        summary.failures += 1;
        deps.logger.error({ event: 'scan_set_failed', environment: job.set.metadata.environment, error: (error as Error).name }, 'health check failed');
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(deps.healthCheckConcurrency, sets.length) }, worker));
}

interface HealthJob {
  set: StoredSet;
  token: string;
  attempts: number;
}

/**
 * The health checks still to do. A 429 pauses that token only (DigitalOcean's limits are per
 * token): its checks wait until the limit resets while other tokens' checks go on.
 */
function healthQueue(deps: ScanDeps) {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const maxWait = (deps.maxRateLimitWaitSeconds ?? 60) * 1000;
  const jobs: HealthJob[] = [];
  const pausedUntil = new Map<string, number>();
  const readyAt = (job: HealthJob) => pausedUntil.get(job.token) ?? 0;
  return {
    add(job: HealthJob) {
      jobs.push(job);
    },
    /** The next job whose token is not paused, waiting for one if all are; undefined when none are left. */
    async next(): Promise<HealthJob | undefined> {
      for (;;) {
        if (jobs.length === 0) return undefined;
        const now = Date.now();
        const i = jobs.findIndex((j) => readyAt(j) <= now);
        if (i >= 0) return jobs.splice(i, 1)[0];
        await sleep(Math.min(...jobs.map(readyAt)) - now);
      }
    },
    /** Puts a rate-limited job back for after the token's limit resets; false after three retries. */
    retryLater(job: HealthJob, retryAfterSeconds: number): boolean {
      if (job.attempts >= 3) return false;
      const until = Date.now() + Math.min(retryAfterSeconds * 1000, maxWait);
      pausedUntil.set(job.token, Math.max(pausedUntil.get(job.token) ?? 0, until));
      jobs.push({ ...job, attempts: job.attempts + 1 });
      deps.logger.info({ event: 'scan_rate_limited', environment: job.set.metadata.environment, waitMs: until - Date.now() }, 'DigitalOcean rate limit: pausing this token');
      return true;
    },
  };
}

async function recordCheck(
  set: StoredSet,
  result: Awaited<ReturnType<DigitalOceanClient['getAccount']>>,
  deps: ScanDeps,
  summary: ScanSummary,
): Promise<void> {
  const environment = set.metadata.environment;
  if (result.kind === 'unauthorized') {
    if (set.metadata.validation === 'revoked') return; // already told; stays so until rotated
    summary.revokedFound += 1;
    if (!(await deps.alerts.send({ kind: 'revoked', set }))) {
      summary.failures += 1;
      return;
    }
    summary.alertsSent += 1;
    await recordValidation(environment, 'revoked', deps, summary);
    return;
  }
  if (result.kind === 'ok' || result.kind === 'forbidden') {
    // 403 on /v2/account: a custom-scoped token without account:read, which still works.
    await recordValidation(environment, 'ok', deps, summary);
    return;
  }
  summary.failures += 1;
  const cause = result.kind === 'unavailable' ? result.reason : result.kind;
  deps.logger.warn({ event: 'scan_check_inconclusive', environment, fault: result.kind, cause }, 'DigitalOcean did not give an answer');
}

async function recordValidation(environment: string, validation: 'ok' | 'revoked', deps: ScanDeps, summary: ScanSummary): Promise<void> {
  const saved = await deps.store.updateMetadata(environment, { validation, validatedAt: deps.now });
  if (saved.kind !== 'ok') {
    summary.failures += 1;
    deps.logger.warn({ event: 'scan_tag_failed', environment, fault: saved.kind }, 'could not record the check');
  }
}
