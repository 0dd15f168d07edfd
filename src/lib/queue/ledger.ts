/**
 * Which jobs have been done, so a job delivered twice (SQS delivers at least once) posts once. A job
 * is claimed before its work and released if the work fails, so a retry can do it.
 */
export interface JobLedger {
  /** true: this delivery should do the job; false: it is done, or being done by another delivery. */
  claim(id: string): Promise<boolean>;
  release(id: string): Promise<void>;
}

/** For one process (local runs and tests): a set of ids. */
export function createMemoryLedger(): JobLedger {
  const done = new Set<string>();
  return {
    claim: (id) => Promise.resolve(!done.has(id) && Boolean(done.add(id))),
    release: (id) => Promise.resolve(void done.delete(id)),
  };
}
