// Consumer of the account-expiry queue: deletes a demo account when its schedule fires.
import type { SQSEvent } from 'aws-lambda';
import { logger } from '../shared/logger.ts';
import { processMessages } from '../shared/sqs-batch.ts';
import { expireDemoAccount } from './accounts.ts';
import { expireDemoAccountMessage } from './messages.ts';

export const handler = (event: SQSEvent) =>
  processMessages(event, expireDemoAccountMessage, async (message, { record }) => {
    const outcome = await expireDemoAccount(message);
    logger.info('Expiry message handled', { messageId: record.messageId, accountId: message.accountId, outcome });
  });
