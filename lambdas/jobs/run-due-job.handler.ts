// Consumer of the jobs queue: each due run of a job (see run-due-job.ts).
import type { SQSEvent } from 'aws-lambda';
import { withMetrics } from '../shared/metrics.ts';
import { processMessages } from '../shared/sqs-batch.ts';
import { runDueJobMessage } from './messages.ts';
import { runDueJob } from './run-due-job.ts';

export const handler = withMetrics((event: SQSEvent) =>
  processMessages(event, runDueJobMessage, (message, { record, receiveCount }) =>
    runDueJob(message, { receiveCount, receiptHandle: record.receiptHandle }, record.messageId),
  ),
);
