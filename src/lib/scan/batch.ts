import type { CredentialStore, SecretValue, SetMetadata, StoredSet } from '../credential-set.js';
import { ACCESS_KEY_PATTERN, BUCKET_PATTERN, looksLikeCredential } from '../credential-input.js';
import type { DigitalOceanClient } from '../digitalocean/client.js';
import { accessFromTokenInfo } from '../digitalocean/scopes.js';
import { fingerprint } from '../fingerprint.js';
import { alwaysInfo, type Logger } from '../logger.js';
import type { BatchEntry, Job, JobQueue, ScanJob } from '../queue/jobs.js';
import type { JobLedger } from '../queue/ledger.js';
import { isSpacesRegion } from '../regions.js';
import type { Alert, AlertSender } from './alert.js';
import { describesAnotherVersion, dueExpiryAlert } from './due.js';
import { emptyTally, type ScanTally } from './tally.js';
import { createTokenQueue } from './token-queue.js';

/**
 * One page of the scan: read the tokens (BatchGetSecretValue, 20 a call), describe afresh the sets
 * whose tags are of another version, and ask DigitalOcean whether each token still works. Tags are
 * written only when something changed (AWS allows 50 tag writes a second, account-wide). A token
 * DigitalOcean now rejects is alerted once. What a 429 or the deadline leaves undone is queued again.
 */

export interface BatchDeps {
  store: CredentialStore;
  digitalocean: DigitalOceanClient;
  alerts: AlertSender;
  queue: JobQueue;
  ledger: JobLedger;
  logger: Logger;
  thresholds: readonly number[];
  concurrency: number;
  /** Epoch ms: no check starts after it; what is left is queued again. */
  deadline: number;
  sleep?: (ms: number) => Promise<void>;
}

type BatchJob = Extract<ScanJob, { kind: 'scan-batch' }>;

export class ScanJobFailed extends Error {
  override name = 'ScanJobFailed';
}

export async function runScanBatch(job: BatchJob, deps: BatchDeps): Promise<ScanTally> {
  const now = new Date(job.runAt);
  const tally = emptyTally();
  const read = await deps.store.readValues(job.sets.map((e) => e.environment));
  // Nothing done yet: the queue delivers the job again (and dead-letters it if this keeps failing).
  if (read.kind !== 'ok') throw new ScanJobFailed(`could not read the batch's tokens (${read.kind})`);
  const repairedDue: string[] = [];
  for (const entry of job.sets.filter((e) => e.repair)) {
    const value = read.values.get(entry.environment);
    const version = read.versions.get(entry.environment);
    if (value && version && (await repair(entry.environment, value, version, now, deps, tally))) repairedDue.push(entry.environment);
  }
  if (repairedDue.length > 0) await handOver([{ kind: 'scan-alerts', id: `${job.id}:repaired`, runAt: job.runAt, environments: repairedDue }], deps);
  const revoked = await checkHealth(job, read, deps, tally);
  await alertRevoked(revoked, deps, tally);
  return tally;
}

async function handOver(jobs: Job[], deps: BatchDeps, delaySeconds?: number): Promise<void> {
  if (!(await deps.queue.send(jobs, delaySeconds ? { delaySeconds } : {}))) throw new ScanJobFailed('follow-up work could not be queued');
}

/**
 * Describes a set afresh from its stored value and DigitalOcean's token info (a write landed without
 * its tags, or the set predates versions). Without token info, the next run tries again. True when
 * the set, as now described, is due an expiry alert.
 */
async function repair(environment: string, value: SecretValue, versionId: string, now: Date, deps: BatchDeps, tally: ScanTally): Promise<boolean> {
  // The listing may be minutes old: look again, so a set repaired or deleted meanwhile is left alone.
  const fresh = await deps.store.describe(environment);
  if (fresh.kind !== 'ok') {
    tally.failures += 1;
    deps.logger.warn({ event: 'scan_repair_read_failed', environment, fault: fresh.kind }, 'could not look at a set whose description is out of date');
    return false;
  }
  const set = fresh.set;
  if (set === undefined || !describesAnotherVersion(set) || set.currentVersion !== versionId) return false;
  const info = await deps.digitalocean.getTokenInfo(value.do_token, now);
  if (info.kind !== 'ok') {
    deps.logger.info({ event: 'scan_repair_postponed', environment, cause: info.kind }, 'description out of date; token info unavailable, trying next run');
    return false;
  }
  const sameToken = fingerprint(value.do_token) === set.metadata.tokenFingerprint;
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
    alertedThreshold: sameToken ? set.metadata.alertedThreshold : undefined,
    describesVersion: versionId,
  };
  const saved = await deps.store.updateMetadata(environment, patch);
  if (saved.kind !== 'ok') {
    tally.failures += 1;
    deps.logger.warn({ event: 'scan_tag_failed', environment, fault: saved.kind }, 'could not repair the description');
    return false;
  }
  alwaysInfo(deps.logger).info({ event: 'scan_repaired_description', environment }, 'description brought up to date with the current version');
  const repaired: StoredSet = { ...set, metadata: { ...set.metadata, ...patch } };
  return dueExpiryAlert(repaired, now, deps.thresholds) !== undefined;
}

interface Check {
  entry: BatchEntry;
  token: string;
  version: string | undefined;
  attempts: number;
}

/** Asks DigitalOcean about each token; records changes; returns the sets whose token it now rejects. */
async function checkHealth(job: BatchJob, read: { values: Map<string, SecretValue>; versions: Map<string, string> }, deps: BatchDeps, tally: ScanTally): Promise<Check[]> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const queue = createTokenQueue<Check>({ deadline: deps.deadline, sleep });
  for (const entry of job.sets.filter((e) => e.check)) {
    const token = read.values.get(entry.environment)?.do_token;
    // No value: deleted since the (possibly minutes-old) listing, or unreadable (the store logs which).
    if (token === undefined) deps.logger.info({ event: 'scan_set_gone', environment: entry.environment }, 'no value to check: deleted since it was listed, or unreadable');
    else queue.add({ entry, token, version: read.versions.get(entry.environment), attempts: 0 });
  }
  const rejected: Check[] = [];
  const worker = async () => {
    for (let check = await queue.next(); check !== undefined; check = await queue.next()) {
      const environment = check.entry.environment;
      const result = await deps.digitalocean.getAccount(check.token);
      if (result.kind === 'rate_limited' && queue.retryLater(check, result.retryAfterSeconds)) {
        deps.logger.info({ event: 'scan_rate_limited', environment, retryAfterSeconds: result.retryAfterSeconds }, 'DigitalOcean rate limit: pausing this token');
        continue;
      }
      if (result.kind === 'unauthorized') {
        tally.checked += 1;
        if (check.entry.validation !== 'revoked') rejected.push(check); // else already told; stays so until rotated
      } else if (result.kind === 'ok' || result.kind === 'forbidden') {
        // 403 on /v2/account: a custom-scoped token without account:read, which still works.
        tally.checked += 1;
        if (check.entry.validation !== 'ok') await recordValidation(environment, 'ok', deps, tally);
      } else {
        tally.failures += 1;
        const cause = result.kind === 'unavailable' ? result.reason : result.kind;
        deps.logger.warn({ event: 'scan_check_inconclusive', environment, fault: result.kind, cause }, 'DigitalOcean did not give an answer');
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, deps.concurrency) }, worker));
  await requeueLeftover(job, queue.leftover(), deps);
  return rejected;
}

/** Checks not started before the deadline (or waiting out a 429) become a job of their own, delayed until they may go. */
async function requeueLeftover(job: BatchJob, left: { jobs: Check[]; resumeAt: number }, deps: BatchDeps): Promise<void> {
  if (left.jobs.length === 0) return;
  const round = Number(/#(\d+)$/.exec(job.id)?.[1] ?? 0) + 1;
  const rest: Job = {
    kind: 'scan-batch',
    id: `${job.id.replace(/#\d+$/, '')}#${round}`,
    runAt: job.runAt,
    sets: left.jobs.map((c) => ({ ...c.entry, repair: false })),
  };
  const delaySeconds = Math.ceil((left.resumeAt - Date.now()) / 1000);
  await handOver([rest], deps, delaySeconds > 0 ? delaySeconds : undefined);
  alwaysInfo(deps.logger).info({ event: 'scan_batch_continues', left: left.jobs.length, delaySeconds: Math.max(0, delaySeconds) }, 'checks left over are queued again');
}

/**
 * Alerts the sets whose token DigitalOcean rejects: looked at afresh (a rotation since the read means
 * the new token is not the rejected one), once per version (the ledger), then marked revoked.
 */
async function alertRevoked(checks: Check[], deps: BatchDeps, tally: ScanTally): Promise<void> {
  const alerts: Alert[] = [];
  const claims: string[] = [];
  for (const check of checks) {
    const fresh = await deps.store.describe(check.entry.environment);
    if (fresh.kind !== 'ok') {
      tally.failures += 1;
      continue;
    }
    const set = fresh.set;
    if (set === undefined || set.metadata.validation === 'revoked' || (check.version !== undefined && set.currentVersion !== check.version)) continue;
    tally.revokedFound += 1;
    const claim = `revoked:${set.metadata.environment}:${check.version ?? '-'}`;
    if (!(await deps.ledger.claim(claim))) continue;
    claims.push(claim);
    alerts.push({ kind: 'revoked', set });
  }
  if (alerts.length === 0) return;
  const delivered = await deps.alerts.sendAll(alerts);
  for (const [i, alert] of alerts.entries()) {
    if (!delivered[i]) {
      tally.failures += 1;
      await deps.ledger.release(claims[i]!).catch(() => undefined);
      continue;
    }
    tally.alertsSent += 1;
    await recordValidation(alert.set.metadata.environment, 'revoked', deps, tally);
  }
}

async function recordValidation(environment: string, validation: 'ok' | 'revoked', deps: BatchDeps, tally: ScanTally): Promise<void> {
  const saved = await deps.store.updateMetadata(environment, { validation, validatedAt: new Date() });
  if (saved.kind !== 'ok') {
    tally.failures += 1;
    deps.logger.warn({ event: 'scan_tag_failed', environment, fault: saved.kind }, 'could not record the check');
  }
}
