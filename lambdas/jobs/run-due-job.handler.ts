// Consumer of the jobs queue: each due run of a job calls its URL until one call succeeds or the
// budget is spent, through the timer core.
import type { SQSEvent } from 'aws-lambda';
import { logger } from '../shared/logger.ts';
import { METRICS, MetricUnit, metrics, withMetrics } from '../shared/metrics.ts';
import { processMessages } from '../shared/sqs-batch.ts';
import { runDueOccurrence } from '../timers/occurrence.ts';
import { jobTimers } from './job-kind.ts';
import { runDueJobMessage } from './messages.ts';
import { callWebhook } from './webhook-call.ts';

export const handler = withMetrics((event: SQSEvent) =>
  processMessages(event, runDueJobMessage, async (message, { record, receiveCount }) => {
    const report = await runDueOccurrence(
      jobTimers,
      message,
      { receiveCount, receiptHandle: record.receiptHandle },
      callWebhook,
      {
        onRecorded: (run) => {
          if (run.status === 'SUCCEEDED') metrics.addMetric(METRICS.jobRunsSucceeded, MetricUnit.Count, 1);
          else metrics.addMetric(METRICS.jobRunsFailed, MetricUnit.Count, 1);
        },
      },
    );
    // Job lag: how late a run's first call began after runAt.
    if (report.attempt === 1 && report.startLagMs !== undefined) {
      metrics.addMetric(METRICS.jobLag, MetricUnit.Milliseconds, report.startLagMs);
    }
    logger.info('Job message handled', { messageId: record.messageId, jobId: message.id, ...report });
  }),
);
