import type { ScanSummary } from './expiry-scan.js';

/**
 * The scan's figures as CloudWatch metrics, written as one Embedded Metric Format log line by
 * Powertools for AWS Lambda's Metrics utility: CloudWatch turns the line into metrics, so publishing
 * costs no API call. serverless.yml alarms on them: failures, and a scan that has not completed.
 */
export const METRICS_NAMESPACE = 'do-creds';

export async function publishScanMetrics(summary: ScanSummary): Promise<void> {
  const { Metrics, MetricUnit } = await import('@aws-lambda-powertools/metrics');
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'expiry-scan' });
  metrics.addMetric('ScanCompleted', MetricUnit.Count, 1);
  metrics.addMetric('SetsScanned', MetricUnit.Count, summary.scanned);
  metrics.addMetric('AlertsSent', MetricUnit.Count, summary.alertsSent);
  metrics.addMetric('RevokedFound', MetricUnit.Count, summary.revokedFound);
  metrics.addMetric('ScanFailures', MetricUnit.Count, summary.failures);
  metrics.publishStoredMetrics();
}
