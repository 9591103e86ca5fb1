// Consumer of the account-expiry queue: deletes a demo account when its schedule fires.
import type { SQSEvent } from 'aws-lambda';
import { expireDemoAccountMessage } from '../accounts/messages.ts';
import { logger } from '../shared/logger.ts';
import { METRICS, MetricUnit, metrics, withMetrics } from '../shared/metrics.ts';
import { processMessages } from '../shared/sqs-batch.ts';
import { expireDemoAccount } from './account-deletion.ts';

export const handler = withMetrics((event: SQSEvent) =>
  processMessages(event, expireDemoAccountMessage, async (message, { record }) => {
    const outcome = await expireDemoAccount(message);
    logger.info('Expiry message handled', { messageId: record.messageId, accountId: message.accountId, outcome });
    if (outcome === 'expired') {
      metrics.addMetric(METRICS.accountsExpired, MetricUnit.Count, 1);
      metrics.addMetric(METRICS.expiryLag, MetricUnit.Milliseconds, Date.now() - Date.parse(message.expiresAt));
    }
  }),
);
