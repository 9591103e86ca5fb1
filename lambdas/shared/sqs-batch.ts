// Runs a consumer's use case once per SQS record and reports only the failed records back to SQS,
// so a failure re-drives its own message (and, after maxReceiveCount, moves it to the DLQ).
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { z } from 'zod';
import { logger } from './logger.ts';

export interface RecordContext {
  readonly record: SQSRecord;
  /** How many times this message has been received, this time included. */
  readonly receiveCount: number;
}

/** Thrown by a use case that wants its message back later; `delaySeconds` is already set on it. */
export class RetryLaterError extends Error {}

export async function processMessages<M>(
  event: SQSEvent,
  schema: z.ZodType<M>,
  useCase: (message: M, ctx: RecordContext) => Promise<void>,
): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? '1');
    logger.appendKeys({ messageId: record.messageId });
    try {
      let json: unknown;
      try {
        json = JSON.parse(record.body);
      } catch {
        json = undefined;
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) {
        // Poison message: keep failing it so it ends in the DLQ where someone is alarmed about it.
        logger.error('Malformed message', { messageId: record.messageId, issues: parsed.error.issues });
        batchItemFailures.push({ itemIdentifier: record.messageId });
        continue;
      }
      await useCase(parsed.data, { record, receiveCount });
    } catch (error) {
      if (!(error instanceof RetryLaterError)) {
        logger.error('Message failed', { messageId: record.messageId, receiveCount, error });
      }
      batchItemFailures.push({ itemIdentifier: record.messageId });
    } finally {
      logger.removeKeys(['messageId']);
    }
  }
  return { batchItemFailures };
}
