// Sending many messages to a queue: SendMessageBatch, 10 to a request (SQS's limit).
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { batchesOf, inParallel } from './async.ts';
import { sqs } from './clients/sqs.ts';

export const SEND_BATCH_MESSAGES = 10;

/**
 * Sends every body as JSON, `parallel` requests at once. Throws if any message was refused: the caller's
 * own message then fails and is redelivered, so every receiver must take a message twice.
 */
export async function sendMessages(queueUrl: string, bodies: readonly unknown[], parallel = 1): Promise<void> {
  await inParallel(batchesOf(bodies, SEND_BATCH_MESSAGES), parallel, async (batch) => {
    const entries = batch.map((body, n) => ({ Id: String(n), MessageBody: JSON.stringify(body) }));
    const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
    if (out.Failed && out.Failed.length > 0) {
      throw new Error(`${out.Failed.length} of ${entries.length} messages were not sent to ${queueUrl}`);
    }
  });
}
