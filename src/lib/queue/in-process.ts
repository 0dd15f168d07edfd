import type { Job, JobQueue } from './jobs.js';

/**
 * The embedded queue for `npm start` and tests: jobs run in this process right after the answer
 * has been sent (a timer later, or after their delay), never inside Slack's 3 seconds. Not for
 * Lambda, which freezes the process once it has answered: deployed, the SQS queue is used.
 */

/** Every in-process run still going, across module instances (tests import handlers afresh). */
const pending: Set<Promise<unknown>> = ((globalThis as Record<symbol, unknown>)[Symbol.for('do-creds.in-process-jobs')] ??= new Set()) as Set<
  Promise<unknown>
>;

export function createInProcessQueue(run: (job: Job) => Promise<void>): JobQueue {
  return {
    description: 'in-process',
    send(jobs, options) {
      const delayMs = (options?.delaySeconds ?? 0) * 1000;
      for (const job of jobs) {
        const done: Promise<void> = new Promise<void>((resolve) => setTimeout(resolve, delayMs))
          .then(() => run(job))
          .catch(() => undefined)
          .finally(() => pending.delete(done));
        pending.add(done);
      }
      return Promise.resolve(true);
    },
  };
}

/** Resolves once every job sent in-process so far (and any they sent) has run: for tests and the local driver. */
export async function inProcessJobsDone(): Promise<void> {
  while (pending.size > 0) await Promise.all([...pending]);
}
