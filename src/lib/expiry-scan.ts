import type { CredentialStore, SetMetadata, StoredSet } from './credential-set.js';
import { ACCESS_KEY_PATTERN, BUCKET_PATTERN, looksLikeCredential } from './credential-input.js';
import { accessFromTokenInfo } from './digitalocean/scopes.js';
import { isSpacesRegion } from './regions.js';
import { fingerprint } from './fingerprint.js';
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
  /** Expiry alerts of one run, in order; many for one channel may go as a digest. Per alert: reached someone. */
  sendAll(alerts: Extract<Alert, { kind: 'expiry' }>[]): Promise<boolean[]>;
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
    const sets = await repairDescriptions(listed.sets, deps, summary);
    await alertExpiries(sets, deps, summary);
    await checkHealth(sets.filter((s) => !isPastExpiry(s, deps.now)), deps, summary);
  }
  alwaysInfo(deps.logger).info({ event: 'expiry_scan_done', ...summary, durationMs: Date.now() - started }, 'expiry scan finished');
  return summary;
}

/** Every expiry alert due this run, sent together (a channel with many gets a digest), then recorded. */
async function alertExpiries(sets: StoredSet[], deps: ScanDeps, summary: ScanSummary): Promise<void> {
  const due: Extract<Alert, { kind: 'expiry' }>[] = [];
  for (const listed of sets) {
    const alert = await dueAlert(listed, deps);
    if (alert) due.push(alert);
  }
  if (due.length === 0) return;
  let delivered: boolean[];
  try {
    delivered = await deps.alerts.sendAll(due);
  } catch (error) {
    summary.failures += due.length;
    deps.logger.error({ event: 'scan_alerts_failed', error: (error as Error).name }, 'expiry alerts failed');
    return;
  }
  for (const [i, alert] of due.entries()) {
    const environment = alert.set.metadata.environment;
    if (!delivered[i]) {
      summary.failures += 1;
      continue;
    }
    summary.alertsSent += 1;
    const saved = await deps.store.updateMetadata(environment, { alertedThreshold: alert.threshold });
    if (saved.kind !== 'ok') {
      summary.failures += 1;
      deps.logger.warn({ event: 'scan_tag_failed', environment, fault: saved.kind }, 'alert sent but not recorded; a re-run may repeat it');
    }
  }
}

async function dueAlert(listed: StoredSet, deps: ScanDeps): Promise<Extract<Alert, { kind: 'expiry' }> | undefined> {
  if (dueThreshold(listed, deps) === undefined) return undefined;
  // ListSecrets may lag by minutes (AWS): look again before alerting, so a set deleted or already
  // alerted meanwhile is not alerted (again).
  const fresh = await deps.store.describe(listed.metadata.environment);
  if (fresh.kind === 'ok' && fresh.set === undefined) return undefined;
  const set = fresh.kind === 'ok' && fresh.set ? fresh.set : listed;
  const threshold = dueThreshold(set, deps);
  const { expiresAt } = set.metadata;
  if (threshold === undefined || expiresAt === undefined) return undefined;
  return { kind: 'expiry', set, daysLeft: daysLeft(expiresAt, deps.now), threshold };
}

function dueThreshold(set: StoredSet, deps: ScanDeps): number | undefined {
  const { expiresAt, alertedThreshold } = set.metadata;
  return expiresAt === undefined ? undefined : alertDue(daysLeft(expiresAt, deps.now), alertedThreshold, deps.thresholds);
}

/**
 * Sets whose description is not of their current version (a write that landed after its answer
 * timed out, tags that failed, or sets saved before versions were recorded) are described afresh
 * from the stored value and DigitalOcean's token info. Without token info, the next run tries again.
 */
async function repairDescriptions(sets: StoredSet[], deps: ScanDeps, summary: ScanSummary): Promise<StoredSet[]> {
  const stale = sets.filter((s) => s.currentVersion !== undefined && s.metadata.describesVersion !== s.currentVersion);
  if (stale.length === 0) return sets;
  const read = await deps.store.readValues(stale.map((s) => s.metadata.environment));
  if (read.kind !== 'ok') {
    summary.failures += 1;
    deps.logger.warn({ event: 'scan_repair_read_failed', fault: read.kind }, 'could not read sets whose description is out of date');
    return sets;
  }
  const repaired = new Map<string, StoredSet>();
  for (const set of stale) {
    const env = set.metadata.environment;
    const value = read.values.get(env);
    const versionId = read.versions.get(env);
    if (!value || !versionId) continue;
    const info = await deps.digitalocean.getTokenInfo(value.do_token, deps.now);
    if (info.kind !== 'ok') {
      deps.logger.info({ event: 'scan_repair_postponed', environment: env, cause: info.kind }, 'description out of date; token info unavailable, trying next run');
      continue;
    }
    const patch: Partial<SetMetadata> = {
      tokenFingerprint: fingerprint(value.do_token),
      // The keyed HMAC needs a key the scan does not hold: better none than the old token's.
      tokenHmac: undefined,
      tokenAccess: accessFromTokenInfo(info.info.scopes) ?? { kind: 'unknown' },
      expiresAt: info.info.expiresAt,
      // From the stored value, checked as the form checks them: a value written outside do-creds
      // (keys swapped, say) must never put a secret into a tag anyone with DescribeSecret can read.
      spacesKeyId: ACCESS_KEY_PATTERN.test(value.do_access_key) && !looksLikeCredential(value.do_access_key) ? value.do_access_key : '',
      spacesRegion: isSpacesRegion(value.spaces_region) ? value.spaces_region : '',
      spacesBucket: value.spaces_bucket !== undefined && BUCKET_PATTERN.test(value.spaces_bucket) ? value.spaces_bucket : undefined,
      // Another token starts its expiry alerts afresh; the same token keeps what it was told.
      alertedThreshold: fingerprint(value.do_token) === set.metadata.tokenFingerprint ? set.metadata.alertedThreshold : undefined,
      describesVersion: versionId,
    };
    const saved = await deps.store.updateMetadata(env, patch);
    if (saved.kind !== 'ok') {
      summary.failures += 1;
      deps.logger.warn({ event: 'scan_tag_failed', environment: env, fault: saved.kind }, 'could not repair the description');
      continue;
    }
    alwaysInfo(deps.logger).info({ event: 'scan_repaired_description', environment: env }, 'description brought up to date with the current version');
    repaired.set(env, { ...set, metadata: { ...set.metadata, ...patch } });
  }
  return sets.map((s) => repaired.get(s.metadata.environment) ?? s);
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
    // No value: deleted since the (possibly minutes-old) listing. Nothing to check.
    if (token === undefined) deps.logger.info({ event: 'scan_set_gone', environment: set.metadata.environment }, 'set deleted since it was listed');
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
    // 403 on /v2/account: a custom-scoped token without account:read, which still works. Recorded only
    // when it changes: tag writes share a quota of 50 a second across the account (aws.md).
    if (set.metadata.validation !== 'ok') await recordValidation(environment, 'ok', deps, summary);
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
