// Consumer of the alarm-push queue: sends each due alarm's push through FCM, once.
import type { SQSEvent } from 'aws-lambda';
import { logger } from '../shared/logger.ts';
import { METRICS, MetricUnit, metrics, withMetrics } from '../shared/metrics.ts';
import { processMessages } from '../shared/sqs-batch.ts';
import { pushQueueMessage } from './messages.ts';
import { sendDueAlarm } from './send-due-alarm.ts';

export const handler = withMetrics((event: SQSEvent) =>
  processMessages(event, pushQueueMessage, async (message, { record, receiveCount }) => {
    const report = await sendDueAlarm(message, { receiveCount, receiptHandle: record.receiptHandle });
    const alarmId = 'alarmId' in message ? message.alarmId : message.id;
    logger.info('Push message handled', { messageId: record.messageId, alarmId, ...report });
    if (report.outcome === 'sent') {
      metrics.addMetric(METRICS.alarmsSent, MetricUnit.Count, 1);
      metrics.addMetric(METRICS.fireLag, MetricUnit.Milliseconds, report.lagMs ?? 0);
    }
    if (report.outcome === 'failed') metrics.addMetric(METRICS.alarmsFailed, MetricUnit.Count, 1);
  }),
);
