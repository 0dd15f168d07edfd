import type { KnownBlock } from '@slack/types';

/**
 * Work Slack does not wait for: posted after the answer has left, by the worker (SQS) or, locally,
 * in-process. Each job carries an id that stays the same however often it is delivered, so it
 * posts once. No job carries a secret: messages show fingerprints at most.
 */

export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

export type Job =
  /** A private message: ephemeral in `channel`, else a DM. */
  | { kind: 'tell'; id: string; user: string; channel: string | undefined; message: SlackMessage }
  /** A message in the audit channel (the audit log line itself is written when the change happens). */
  | { kind: 'audit'; id: string; channel: string; message: SlackMessage };

/** Sends jobs for later; false when they could not be handed over (the caller then answers otherwise). */
export interface JobQueue {
  readonly description: string;
  /** `signal` bounds the hand-over (Slack is waiting); in-process sending never waits. */
  send(jobs: Job[], signal?: AbortSignal): Promise<boolean>;
}

/** A job from the wire, checked: anything else is dropped (and dead-lettered by the worker). */
export function parseJob(body: string): Job | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    return undefined;
  }
  const j = raw as Partial<Record<string, unknown>> | null;
  if (typeof j !== 'object' || j === null || typeof j.id !== 'string' || j.id.length > 200) return undefined;
  const message = j.message as Partial<SlackMessage> | undefined;
  if (typeof message?.text !== 'string' || !Array.isArray(message.blocks)) return undefined;
  const channel = j.channel;
  if (j.kind === 'tell' && typeof j.user === 'string' && (channel === undefined || typeof channel === 'string')) {
    return { kind: 'tell', id: j.id, user: j.user, channel, message: message as SlackMessage };
  }
  if (j.kind === 'audit' && typeof j.channel === 'string') return { kind: 'audit', id: j.id, channel: j.channel, message: message as SlackMessage };
  return undefined;
}
