import type { CredentialStore, StoredSet } from '../credential-set.js';
import { alwaysInfo, type Logger } from '../logger.js';
import { MAX_DELAY_SECONDS, type BatchEntry, type Job, type JobQueue } from '../queue/jobs.js';
import { describesAnotherVersion, dueExpiryAlert, isPastExpiry } from './due.js';
import { emptyTally, type ScanTally } from './tally.js';

/**
 * The scan's first step: list the sets (tags only, 100 a page) and hand the work to the queue: a
 * batch job per page for the health check, and the expiry alerts due, one job per channel so a channel
 * with many gets a digest. Deciding expiry from tags costs one ListSecrets call per 100 sets. When the
 * invocation runs short of time, the rest of the listing becomes a job of its own, from the cursor.
 */

export interface ListingDeps {
  store: CredentialStore;
  queue: JobQueue;
  logger: Logger;
  thresholds: readonly number[];
  /** Epoch ms: no new page is started after it. */
  deadline: number;
}

export interface ListingResult {
  tally: ScanTally;
  batches: number;
  /** false: cut off, and the rest queued as a `scan-list` job. */
  complete: boolean;
}

/**
 * Alerts in one chain of jobs: a channel's alerts go 24 a job (one digest), each job handing the rest
 * to the next, so a channel's posts never overlap. 2,400 (100 messages) keeps a job within SQS's size.
 */
export const ALERTS_PER_CHAIN = 2_400;
/** A channel's next chain starts after the previous one has posted (100 messages at about one a second). */
const SECONDS_PER_CHAIN = 150;
/** Batch jobs handed over together (SQS takes 10 a call). */
const FLUSH_EVERY = 10;

export class ScanListingFailed extends Error {
  override name = 'ScanListingFailed';
}

/**
 * `run` names this scan in its jobs' ids: a message SQS delivers twice keeps its id (the ledger lets
 * one delivery post), while a retried schedule is a new run (fresh looks keep it from alerting twice).
 */
export async function runListing(job: { runAt: string; run: string; cursor?: string | undefined; part: number }, deps: ListingDeps): Promise<ListingResult> {
  const now = new Date(job.runAt);
  const tally = emptyTally();
  const alertsByChannel = new Map<string, string[]>();
  let pending: Job[] = [];
  let batches = 0;
  let cursor = job.cursor;
  let page = 0;
  const flush = async () => {
    if (pending.length === 0) return;
    if (!(await deps.queue.send(pending))) throw new ScanListingFailed('the batch jobs could not be queued');
    batches += pending.length;
    pending = [];
  };
  do {
    const listed = await deps.store.listPage(cursor);
    if (listed.kind !== 'ok') throw new ScanListingFailed(`could not list the stored sets (${listed.kind})`);
    tally.listed += listed.sets.length;
    const entries: BatchEntry[] = [];
    for (const set of listed.sets) {
      const entry = batchEntry(set, now);
      if (entry) entries.push(entry);
      const alert = describesAnotherVersion(set) ? undefined : dueExpiryAlert(set, now, deps.thresholds);
      if (alert) {
        // The worker resolves the channel from fresh metadata; grouping here only keeps a channel's alerts together.
        const key = set.metadata.alertChannel ?? '';
        const list = alertsByChannel.get(key) ?? [];
        if (list.length === 0) alertsByChannel.set(key, list);
        list.push(set.metadata.environment);
      }
    }
    page += 1;
    if (entries.length > 0) pending.push({ kind: 'scan-batch', id: `scan:${job.run}:${job.part}.${page}`, runAt: job.runAt, sets: entries });
    if (pending.length >= FLUSH_EVERY) await flush();
    cursor = listed.cursor;
  } while (cursor !== undefined && Date.now() < deps.deadline);
  await flush();
  await queueAlerts(job, alertsByChannel, deps);
  if (cursor !== undefined) {
    const rest: Job = { kind: 'scan-list', id: `scan-list:${job.run}:${job.part + 1}`, runAt: job.runAt, run: job.run, cursor, part: job.part + 1 };
    if (!(await deps.queue.send([rest]))) throw new ScanListingFailed('the rest of the listing could not be queued');
    alwaysInfo(deps.logger).info({ event: 'scan_listing_continues', part: job.part + 1 }, 'out of time: the rest of the listing is queued');
  }
  return { tally, batches, complete: cursor === undefined };
}

/** What the batch job does with a set: check its token (unless past expiry), describe it afresh (if out of date). */
function batchEntry(set: StoredSet, now: Date): BatchEntry | undefined {
  const check = !isPastExpiry(set, now);
  const repair = describesAnotherVersion(set);
  if (!check && !repair) return undefined;
  return { environment: set.metadata.environment, validation: set.metadata.validation, check, repair };
}

/** One chain of alert jobs per channel (more, spaced out, for a channel with very many). */
async function queueAlerts(job: { runAt: string; run: string; part: number }, byChannel: Map<string, string[]>, deps: ListingDeps): Promise<void> {
  for (const [channel, environments] of byChannel) {
    for (let k = 0; k * ALERTS_PER_CHAIN < environments.length; k += 1) {
      const alertJob: Job = {
        kind: 'scan-alerts',
        id: `scan-alerts:${job.run}:${job.part}:${channel || '-'}:${k}`,
        runAt: job.runAt,
        environments: environments.slice(k * ALERTS_PER_CHAIN, (k + 1) * ALERTS_PER_CHAIN),
        total: environments.length,
      };
      const delaySeconds = Math.min(MAX_DELAY_SECONDS, k * SECONDS_PER_CHAIN);
      if (!(await deps.queue.send([alertJob], delaySeconds > 0 ? { delaySeconds } : {}))) {
        throw new ScanListingFailed('the expiry alerts could not be queued');
      }
    }
  }
}
