// Consumer of the absence queue: starts runs (nightly schedule or admin API) and handles their chunks.
import type { SQSEvent } from 'aws-lambda';
import { withMetrics } from '../shared/metrics.ts';
import { processMessagesInOrder } from '../shared/sqs-batch.ts';
import { handleAbsenceMessage } from './absence-run.ts';
import { absenceMessage } from './messages.ts';

// Records one at a time: each chunk already keeps 10 transactions in flight, and the chunks of a batch
// mostly belong to one run, whose record each updates as it closes; side by side they would only multiply
// the load on the table and conflict on that record.
export const handler = withMetrics((event: SQSEvent) =>
  processMessagesInOrder(event, absenceMessage, async (message, { record, receiveCount }) => {
    const now = Date.now();
    // When the message was first sent: the same on every redelivery (the nightly run's fallback instant).
    const sentAt = Number(record.attributes.SentTimestamp ?? now);
    await handleAbsenceMessage(message, { sentAt, receiveCount, now });
  }),
);
