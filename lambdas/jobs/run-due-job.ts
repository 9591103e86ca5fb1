// What happens when a job's run is due: its URL is called until one call succeeds or the budget is
// spent, through the timer core, and the outcome counted in the job metrics.
import { logger } from '../shared/logger.ts';
import { METRICS, MetricUnit, metrics } from '../shared/metrics.ts';
import { type Delivery, runDueOccurrence } from '../timers/occurrence.ts';
import { jobTimers } from './job-kind.ts';
import type { RunDueJobMessage } from './messages.ts';
import { callWebhook } from './webhook-call.ts';

export async function runDueJob(message: RunDueJobMessage, delivery: Delivery, messageId: string): Promise<void> {
  const report = await runDueOccurrence(jobTimers, message, delivery, callWebhook, {
    onRecorded: (run) => {
      if (run.status === 'SUCCEEDED') metrics.addMetric(METRICS.jobRunsSucceeded, MetricUnit.Count, 1);
      else metrics.addMetric(METRICS.jobRunsFailed, MetricUnit.Count, 1);
    },
  });
  // Job lag: how late a run's first call began after runAt.
  if (report.attempt === 1 && report.startLagMs !== undefined) {
    metrics.addMetric(METRICS.jobLag, MetricUnit.Milliseconds, report.startLagMs);
  }
  logger.info('Job message handled', { messageId, jobId: message.id, ...report });
}
