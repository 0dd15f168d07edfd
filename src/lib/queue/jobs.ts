import type { KnownBlock } from '@slack/types';
import { z } from 'zod';
import { ENVIRONMENT_PATTERN } from '../credential-input.js';

/**
 * Work nobody waits for: posted after Slack's answer has left, and the expiry scan's fan-out. Done by
 * the worker (SQS) or, locally, in-process. Each job carries an id that stays the same however often
 * it is delivered, so it posts once. No job carries a secret: messages show fingerprints at most,
 * scan jobs name environments and read values themselves.
 */

export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

const id = z.string().min(1).max(200);
const environment = z.string().regex(ENVIRONMENT_PATTERN);
/** The schedule's time: every job of one scan judges expiry as of it. */
const runAt = z.string().datetime();
// Blocks were built (and checked against Block Kit's limits) by do-creds before they were queued.
const message = z.object({ text: z.string(), blocks: z.array(z.record(z.string(), z.unknown())) }).transform((m) => m as unknown as SlackMessage);

const tell = z.object({ kind: z.literal('tell'), id, user: z.string().min(1), channel: z.string().min(1).optional(), message });
const audit = z.object({ kind: z.literal('audit'), id, channel: z.string().min(1), message });

/** The listing goes on from `cursor` (an earlier invocation ran out of time there); `run` names the scan in job ids. */
const scanList = z.object({ kind: z.literal('scan-list'), id, runAt, run: z.string().min(1).max(64), cursor: z.string().min(1).max(4096), part: z.number().int().min(1) });

/** One page of sets to check with DigitalOcean (`check`) and/or describe afresh from their value (`repair`). */
const batchEntry = z.object({
  environment,
  validation: z.enum(['ok', 'revoked', 'unchecked']),
  check: z.boolean(),
  repair: z.boolean(),
});
const scanBatch = z.object({ kind: z.literal('scan-batch'), id, runAt, sets: z.array(batchEntry).min(1).max(100) });

/**
 * Expiry alerts found due in the listing, for one channel: the first few are looked at afresh, sent (a
 * digest if many) and recorded; the rest follow in a job of their own, so a channel's posts never overlap.
 * `total`: how many the channel has in this run, for the digest's heading.
 */
const scanAlerts = z.object({
  kind: z.literal('scan-alerts'),
  id,
  runAt,
  environments: z.array(environment).min(1).max(2_400),
  total: z.number().int().min(1).optional(),
});

const job = z.discriminatedUnion('kind', [tell, audit, scanList, scanBatch, scanAlerts]);

export type Job = z.infer<typeof job>;
export type ScanJob = Extract<Job, { kind: `scan-${string}` }>;
export type BatchEntry = z.infer<typeof batchEntry>;

export const isScanJob = (j: Job): j is ScanJob => j.kind.startsWith('scan-');

export interface SendOptions {
  /** Bounds the hand-over (Slack is waiting); in-process sending never waits. */
  signal?: AbortSignal;
  /** Not delivered before this (SQS DelaySeconds, at most 900). */
  delaySeconds?: number;
}

/** Sends jobs for later; false when they could not be handed over (the caller then answers otherwise). */
export interface JobQueue {
  readonly description: string;
  send(jobs: Job[], options?: SendOptions): Promise<boolean>;
}

/** SQS: "The minimum is 0 seconds. The maximum is 15 minutes" (SendMessage, DelaySeconds). */
export const MAX_DELAY_SECONDS = 900;

/** A job from the wire, checked: anything else is dropped (and dead-lettered by the worker). */
export function parseJob(body: string): Job | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    return undefined;
  }
  const parsed = job.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}
