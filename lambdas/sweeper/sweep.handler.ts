// Consumer of the sweep queue, fed every five minutes by a recurring schedule.
import type { SQSEvent } from 'aws-lambda';
import * as z from 'zod/mini';
import { METRICS, MetricUnit, metrics, withMetrics } from '../shared/metrics.ts';
import { processMessages } from '../shared/sqs-batch.ts';
import { sweep } from './sweep.ts';

const sweepMessage = z.object({ kind: z.literal('sweep') });

export const handler = withMetrics((event: SQSEvent) =>
  processMessages(event, sweepMessage, async () => {
    const report = await sweep(Date.now());
    metrics.addMetric(METRICS.sweptOverdueAlarms, MetricUnit.Count, report.overdueAlarms);
    metrics.addMetric(METRICS.sweptExpiredDemoAccounts, MetricUnit.Count, report.expiredDemoAccounts);
  }),
);
