/** What one scan job did, added up per run locally and published as metrics per job when deployed. */
export interface ScanTally {
  /** Sets listed (the listing). */
  listed: number;
  /** Tokens DigitalOcean gave an answer about (the health check). */
  checked: number;
  alertsSent: number;
  revokedFound: number;
  /** Anything that did not get done: alerts not delivered, checks without an answer, records not written. */
  failures: number;
}

export const emptyTally = (): ScanTally => ({ listed: 0, checked: 0, alertsSent: 0, revokedFound: 0, failures: 0 });

export function addTally(into: ScanTally, more: ScanTally): void {
  for (const key of Object.keys(into) as (keyof ScanTally)[]) into[key] += more[key];
}
