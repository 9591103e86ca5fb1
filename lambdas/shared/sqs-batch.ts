// Runs a consumer's use case once per SQS record with Powertools' BatchProcessor and reports only the
// failed records back to SQS (ReportBatchItemFailures), so a failure re-drives its own message (and, after
// maxReceiveCount, moves it to the DLQ).
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
// Queue messages are zod/mini schemas: a consumer's bundle then holds a fifth of zod (classic zod's methods
// on every schema are for the API's validation and docs), and they are quicker to build at cold start.
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { logger } from './logger.ts';

export interface RecordContext {
  readonly record: SQSRecord;
  /** How many times this message has been received, this time included. */
  readonly receiveCount: number;
}

/** Thrown by a use case that wants its message back later; `delaySeconds` is already set on it. */
export class RetryLaterError extends Error {}

// Classic zod sets English issue messages on its own; a consumer bundle of zod/mini alone would say only
// "Invalid input" (in its logs, and in a condition answer's FAILED detail).
z.config(en());

/** A message no schema accepts: it keeps failing until it lands in the DLQ, where someone is alarmed about it. */
class MalformedMessageError extends Error {}

function parse<M>(record: SQSRecord, schema: z.core.$ZodType<M>): M {
  let json: unknown;
  try {
    json = JSON.parse(record.body);
  } catch {
    json = undefined;
  }
  const parsed = z.safeParse(schema, json);
  if (!parsed.success) {
    logger.error('Malformed message', { messageId: record.messageId, issues: parsed.error.issues });
    throw new MalformedMessageError(`Message ${record.messageId} matches no schema`);
  }
  return parsed.data;
}

/**
 * Parses every record with `schema` (here, not with the batch parser: it would bring its own SQS record
 * schemas into every bundle, and the failure must log the issues) and runs `useCase` on it, all records at
 * once. Never throws for failed records, not even when all fail: a batch of poison
 * messages is the DLQ's business, not an invocation error that would raise the function's error alarm.
 */
export async function processMessages<M>(
  event: SQSEvent,
  schema: z.core.$ZodType<M>,
  useCase: (message: M, ctx: RecordContext) => Promise<void>,
  { inOrder = false }: { inOrder?: boolean } = {},
): Promise<SQSBatchResponse> {
  // One processor per invocation: it keeps the batch's state, and the local cloud may run two invocations
  // of one handler at once in the same process.
  const processor = new BatchProcessor(EventType.SQS);
  return processPartialResponse(
    event,
    async (record: SQSRecord) => {
      const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? '1');
      const message = parse(record, schema);
      try {
        await useCase(message, { record, receiveCount });
      } catch (error) {
        if (!(error instanceof RetryLaterError)) {
          logger.error('Message failed', { messageId: record.messageId, receiveCount, error });
        }
        throw error;
      }
    },
    processor,
    { processInParallel: !inOrder, throwOnFullBatchFailure: false },
  );
}

/** The same, one record after another: for consumers whose records each carry heavy work of their own. */
export const processMessagesInOrder = <M>(
  event: SQSEvent,
  schema: z.core.$ZodType<M>,
  useCase: (message: M, ctx: RecordContext) => Promise<void>,
): Promise<SQSBatchResponse> => processMessages(event, schema, useCase, { inOrder: true });
