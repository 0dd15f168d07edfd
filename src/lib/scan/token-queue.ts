/**
 * Health checks still to do in one job. DigitalOcean's rate limits are per token: a 429 pauses that
 * token's checks until its limit resets while other tokens' checks go on. A job has a deadline; what
 * cannot start before it is left over, with the time it may resume, for a later job.
 */
export interface TokenQueue<T extends { token: string; attempts: number }> {
  add(job: T): void;
  /** The next job whose token is not paused, waiting for one if all are; undefined when none is left that can start before the deadline. */
  next(): Promise<T | undefined>;
  /** Puts a rate-limited job back for after its token's limit resets; false after three retries. */
  retryLater(job: T, retryAfterSeconds: number): boolean;
  /** Jobs not done, and the earliest time one may start (epoch ms). */
  leftover(): { jobs: T[]; resumeAt: number };
}

export function createTokenQueue<T extends { token: string; attempts: number }>(options: {
  deadline: number;
  sleep: (ms: number) => Promise<void>;
}): TokenQueue<T> {
  const jobs: T[] = [];
  const pausedUntil = new Map<string, number>();
  const readyAt = (job: T) => pausedUntil.get(job.token) ?? 0;
  return {
    add: (job) => void jobs.push(job),
    async next() {
      for (;;) {
        const now = Date.now();
        if (jobs.length === 0 || now >= options.deadline) return undefined;
        const i = jobs.findIndex((j) => readyAt(j) <= now);
        if (i >= 0) return jobs.splice(i, 1)[0];
        const soonest = Math.min(...jobs.map(readyAt));
        if (soonest >= options.deadline) return undefined;
        await options.sleep(soonest - now);
      }
    },
    retryLater(job, retryAfterSeconds) {
      if (job.attempts >= 3) return false;
      const until = Date.now() + Math.max(1, retryAfterSeconds) * 1000;
      pausedUntil.set(job.token, Math.max(pausedUntil.get(job.token) ?? 0, until));
      jobs.push({ ...job, attempts: job.attempts + 1 });
      return true;
    },
    leftover: () => ({ jobs: [...jobs], resumeAt: jobs.length === 0 ? Date.now() : Math.max(Date.now(), Math.min(...jobs.map(readyAt))) }),
  };
}
