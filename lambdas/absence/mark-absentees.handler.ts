// Consumer of the absence queue: starts runs (nightly schedule or admin API) and handles their chunks.
import type { SQSEvent } from 'aws-lambda';
import { QUEUES } from '../../lib/definitions.ts';
import { METRICS, MetricUnit, metrics, withMetrics } from '../shared/metrics.ts';
import { processMessagesInOrder } from '../shared/sqs-batch.ts';
import { failAbsenceRun, markAbsenteesOfChunk, runIdOf, startAbsenceRun } from './absence-run.ts';
import { absenceMessage } from './messages.ts';

// Records one at a time: each chunk already keeps 10 transactions in flight, and the chunks of a batch
// mostly belong to one run, whose record each updates as it closes; side by side they would only multiply
// the load on the table and conflict on that record.
export const handler = withMetrics((event: SQSEvent) =>
  processMessagesInOrder(event, absenceMessage, async (message, { record, receiveCount }) => {
    const now = Date.now();
    // When the message was first sent: the same on every redelivery (the nightly run's fallback instant).
    const sentAt = Number(record.attributes.SentTimestamp ?? now);
    try {
      if (message.kind === 'absence-run') {
        await startAbsenceRun(message, sentAt, now);
        metrics.addMetric(METRICS.absenceRunsStarted, MetricUnit.Count, 1);
      } else {
        const marked = await markAbsenteesOfChunk(message, now);
        metrics.addMetric(METRICS.absencesMarked, MetricUnit.Count, marked);
      }
    } catch (error) {
      // The last attempt before the DLQ: say so on the run, so nobody waits for it to finish.
      if (receiveCount >= QUEUES.absence.maxReceiveCount) {
        await failAbsenceRun(message.kind === 'absence-run' ? runIdOf(message, sentAt) : message.runId, now);
      }
      throw error;
    }
  }),
);
