// Batch reads and writes: requests of DynamoDB's size (100 keys, 25 writes), what DynamoDB left
// unprocessed (throttling, size) asked again after a growing backoff until nothing is left.
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  BatchWriteCommand,
  type BatchWriteCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { backoffMs, batchesOf, inParallel, sleep } from '../async.ts';
import { dynamo } from '../clients/dynamo.ts';
import { type Key, tableName } from '../table.ts';
import { retryingConflicts } from './conditional.ts';

export const BATCH_GET_KEYS = 100;
export const BATCH_WRITE_ITEMS = 25;
/** Batch requests in flight at once. */
const PARALLEL_REQUESTS = 4;
/** Backoff before asking again for what was left unprocessed: below 40 ms at first, doubling up to 1 s. */
const unprocessedBackoff = (retry: number) => backoffMs(retry, 20, 1_000);

type WriteRequest = NonNullable<BatchWriteCommandOutput['UnprocessedItems']>[string][number];
type GotItem = NonNullable<BatchGetCommandOutput['Responses']>[string][number];

/**
 * Every write, 25 to a request, a few requests at once. A request that meets a transaction on one of its
 * items is retried like any conflict (its puts and deletes are unconditional, so repeating them is safe).
 */
export async function batchWrite(requests: readonly WriteRequest[]): Promise<void> {
  await inParallel(batchesOf(requests, BATCH_WRITE_ITEMS), PARALLEL_REQUESTS, async (batch) => {
    let pending: WriteRequest[] | undefined = batch;
    for (let retry = 0; pending && pending.length > 0; retry++) {
      if (retry > 0) await sleep(unprocessedBackoff(retry));
      const requests = pending;
      const out: BatchWriteCommandOutput = await retryingConflicts(() =>
        dynamo.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } })),
      );
      pending = out.UnprocessedItems?.[tableName];
    }
  });
}

/** Deletes every key once (duplicates dropped: a batch may not name one item twice); gone already is fine. */
export async function batchDelete(keys: readonly Key[]): Promise<void> {
  const unique = [...new Map(keys.map((k) => [`${k.pk}\u0000${k.sk}`, k])).values()];
  await batchWrite(unique.map((k) => ({ DeleteRequest: { Key: { pk: k.pk, sk: k.sk } } })));
}

/** The items that exist among `keys`, in no particular order; 100 keys to a request, one request at a time. */
export async function batchGet(keys: readonly Key[], options: { consistentRead?: boolean } = {}): Promise<GotItem[]> {
  const items: GotItem[] = [];
  for (const batch of batchesOf(keys, BATCH_GET_KEYS)) {
    let pending: Record<string, unknown>[] | undefined = batch.map((k) => ({ pk: k.pk, sk: k.sk }));
    for (let retry = 0; pending && pending.length > 0; retry++) {
      if (retry > 0) await sleep(unprocessedBackoff(retry));
      const out: BatchGetCommandOutput = await dynamo.send(
        new BatchGetCommand({
          RequestItems: { [tableName]: { Keys: pending, ConsistentRead: options.consistentRead } },
        }),
      );
      items.push(...(out.Responses?.[tableName] ?? []));
      pending = out.UnprocessedKeys?.[tableName]?.Keys;
    }
  }
  return items;
}
