// CloudWatch metrics in Embedded Metric Format (written with the logs, no API call on the hot path).
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE } from '../../lib/definitions.ts';

export { METRICS } from '../../lib/definitions.ts';
export { MetricUnit };

export const metrics = new Metrics({
  namespace: METRICS_NAMESPACE,
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'scheduling-backend',
});

/** Runs a handler and flushes the metrics it recorded, also when it throws. */
export function withMetrics<E, C, R>(
  handler: (event: E, context?: C) => Promise<R>,
): (event: E, context?: C) => Promise<R> {
  return async (event: E, context?: C) => {
    try {
      return await handler(event, context);
    } finally {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  };
}
