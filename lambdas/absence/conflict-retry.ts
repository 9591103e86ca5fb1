// Writes that lost a TransactionConflict: two writers on one item at the same moment, where DynamoDB
// refuses one of them rather than queue it. In AWS (not in DynamoDB Local) an attendance mark or a
// membership change that meets the batch's absence transaction on the same item is refused this way.

import { sleep } from '../shared/async.ts';
import { ConflictError } from '../shared/errors.ts';

/** A single write refused by a transaction in flight, or a transaction cancelled by another one. */
export function isTransactionConflict(error: unknown): boolean {
  const e = error as { name?: string; CancellationReasons?: { Code?: string }[] } | undefined;
  if (e?.name === 'TransactionConflictException') return true;
  return (
    e?.name === 'TransactionCanceledException' &&
    (e.CancellationReasons ?? []).some((r) => r.Code === 'TransactionConflict')
  );
}

const CONFLICT_ATTEMPTS = 8;

/**
 * Retries a write that lost a conflict (the SDK does not: neither TransactionConflictException nor
 * TransactionCanceledException is retryable to it). Safe because every write here is conditional: the
 * retry meets the winner's result and its condition decides. Concurrent runs conflict on the same
 * absentee, every chunk on its run's record, an attendance mark on the batch's absence row.
 */
export async function retryingConflicts<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (!isTransactionConflict(error) || attempt >= CONFLICT_ATTEMPTS) throw error;
      await sleep(Math.random() * Math.min(1_000, 10 * 2 ** attempt));
    }
  }
}

/**
 * For the API: retried with jitter like any conflict, and if it still loses after every attempt, a 409
 * the client may retry, never a 500.
 */
export async function retryingConflictsOr409<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await retryingConflicts(write);
  } catch (error) {
    if (!isTransactionConflict(error)) throw error;
    throw new ConflictError('Another change to the same data was in progress; try again', 'WRITE_CONFLICT');
  }
}
