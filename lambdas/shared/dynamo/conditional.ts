// Conditional writes: every effect here happens once because its write is conditional, so "the condition
// did not hold" is an expected answer, not an error. One place reads DynamoDB's ways of saying so.
import { TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { backoffMs, sleep } from '../async.ts';
import { dynamo } from '../clients/dynamo.ts';
import { ConflictError } from '../errors.ts';

type DynamoError = { name?: string; CancellationReasons?: { Code?: string }[] } | undefined;

/** Whether a single-item write failed only because its condition did not hold. */
export function isConditionFailure(error: unknown): boolean {
  return (error as DynamoError)?.name === 'ConditionalCheckFailedException';
}

/**
 * The cancellation code of each item of a cancelled transaction, in the order of its TransactItems
 * ('None' for an item that was fine); undefined when the error is no cancelled transaction.
 */
export function cancellationCodes(error: unknown): string[] | undefined {
  const e = error as DynamoError;
  if (e?.name !== 'TransactionCanceledException') return undefined;
  return (e.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
}

/** Whether a transaction was cancelled because one of its conditions did not hold (and nothing else). */
export function isTransactionConditionFailure(error: unknown): boolean {
  const codes = cancellationCodes(error);
  if (!codes) return false;
  return codes.includes('ConditionalCheckFailed') && codes.every((c) => c === 'ConditionalCheckFailed' || c === 'None');
}

/**
 * The index (in TransactItems) of the first item whose condition did not hold, when only conditions
 * cancelled the transaction; undefined otherwise. Lets a transaction's items stand for its answers.
 */
export function firstFailedCondition(error: unknown): number | undefined {
  if (!isTransactionConditionFailure(error)) return undefined;
  return cancellationCodes(error)?.indexOf('ConditionalCheckFailed');
}

/** Two writers on one item at the same moment: DynamoDB refuses one of them rather than queue it. */
export function isTransactionConflict(error: unknown): boolean {
  if ((error as DynamoError)?.name === 'TransactionConflictException') return true;
  return cancellationCodes(error)?.includes('TransactionConflict') ?? false;
}

/**
 * The write's result, or undefined when its condition did not hold (a single write's, or only conditions
 * of a transaction's). Any other failure is thrown.
 */
export async function ifConditionHolds<T>(write: () => Promise<T>): Promise<T | undefined> {
  try {
    return await write();
  } catch (error) {
    if (isConditionFailure(error) || isTransactionConditionFailure(error)) return undefined;
    throw error;
  }
}

/** Whether the conditional write happened: false when its condition did not hold. */
export async function conditionHeld(write: () => Promise<unknown>): Promise<boolean> {
  const wrote = await ifConditionHolds(async () => {
    await write();
    return true;
  });
  return wrote ?? false;
}

/** Attempts of a write that keeps losing conflicts, the first included. */
export const CONFLICT_ATTEMPTS = 8;

/**
 * Retries a write that lost a conflict (the SDK does not: TransactionCanceledException is not retryable
 * to it), after a full-jitter backoff below 20 ms at first, doubling up to 1 s. Safe only for conditional writes: the retry
 * meets the winner's result and its condition decides.
 */
export async function retryingConflicts<T>(write: () => Promise<T>, attempts = CONFLICT_ATTEMPTS): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (!isTransactionConflict(error) || attempt >= attempts) throw error;
      await sleep(backoffMs(attempt, 10, 1_000));
    }
  }
}

/**
 * For the API: retried like any conflict, and if it still loses after every attempt, a 409
 * WRITE_CONFLICT the client may retry, never a 500.
 */
export async function retryingConflictsOr409<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await retryingConflicts(write);
  } catch (error) {
    if (!isTransactionConflict(error)) throw error;
    throw new ConflictError('Another change to the same data was in progress; try again', 'WRITE_CONFLICT');
  }
}

/**
 * A transaction on items that other transactions write at the same moment: an account's profile, which
 * the absence batch takes score from while the API counts alarms on it or deletes it. In AWS such a race
 * cancels one transaction with TransactionConflict; this retries it, and a write that keeps losing is a
 * 409 WRITE_CONFLICT the client may retry, never a 500. Every caller's items are conditional or
 * idempotent deletes, so a retry meets the winner's result.
 */
export async function transactWrite(input: TransactWriteCommandInput): Promise<void> {
  await retryingConflictsOr409(() => dynamo.send(new TransactWriteCommand(input)));
}
