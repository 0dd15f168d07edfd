import type { ScanTally } from './tally.js';

/**
 * The scan's figures as CloudWatch metrics, one Embedded Metric Format log line per job, written by
 * Powertools for AWS Lambda's Metrics utility: CloudWatch turns the line into metrics, so publishing
 * costs no API call. All under service `expiry-scan`, whichever function ran the job; serverless.yml
 * alarms on ScanFailures (any) and on ScanCompleted (the listing finished) missing for 26 hours.
 */
export const METRICS_NAMESPACE = 'do-creds';

export async function publishScanMetrics(tally: ScanTally, listingCompleted: boolean): Promise<void> {
  const { Metrics, MetricUnit } = await import('@aws-lambda-powertools/metrics');
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'expiry-scan' });
  if (listingCompleted) metrics.addMetric('ScanCompleted', MetricUnit.Count, 1);
  const figures: [string, number][] = [
    ['SetsScanned', tally.listed],
    ['SetsChecked', tally.checked],
    ['AlertsSent', tally.alertsSent],
    ['RevokedFound', tally.revokedFound],
    ['ScanFailures', tally.failures],
  ];
  for (const [name, value] of figures) metrics.addMetric(name, MetricUnit.Count, value);
  metrics.publishStoredMetrics();
}
