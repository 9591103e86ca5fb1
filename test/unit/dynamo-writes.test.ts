import '../support/unit-env.ts';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { BatchGetCommand, BatchWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { batchesOf, inParallel } from '../../lambdas/shared/async.ts';
import { dynamo } from '../../lambdas/shared/clients/dynamo.ts';
import { batchDelete, batchGet, batchWrite } from '../../lambdas/shared/dynamo/batch.ts';
import {
  CONFLICT_ATTEMPTS,
  cancellationCodes,
  conditionHeld,
  firstFailedCondition,
  ifConditionHolds,
  isTransactionConflict,
  retryingConflicts,
  retryingConflictsOr409,
} from '../../lambdas/shared/dynamo/conditional.ts';
import { sendMessages } from '../../lambdas/shared/send-messages.ts';
import { db, sqs } from '../support/sdk-mocks.ts';
import { UNIT_ENV } from '../support/unit-env.ts';

const TABLE = UNIT_ENV.TABLE_NAME;

const named = (name: string, codes?: string[]) =>
  Object.assign(new Error(name), {
    name,
    ...(codes ? { CancellationReasons: codes.map((Code) => ({ Code })) } : {}),
  });
const cancelled = (...codes: string[]) => named('TransactionCanceledException', codes);
const update = () => dynamo.send(new UpdateCommand({ TableName: TABLE, Key: { pk: 'a', sk: 'b' } }));

beforeEach(() => {
  db.reset();
  sqs.reset();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('a conditional write', () => {
  it('answers false, not an error, when its condition did not hold', async () => {
    db.on(UpdateCommand).rejects(named('ConditionalCheckFailedException'));
    await expect(conditionHeld(update)).resolves.toBe(false);
  });

  it('answers true when it wrote', async () => {
    db.on(UpdateCommand).resolves({});
    await expect(conditionHeld(update)).resolves.toBe(true);
  });

  it('gives back the write’s result when it wrote and undefined when a transaction’s conditions failed', async () => {
    await expect(ifConditionHolds(async () => 'written')).resolves.toBe('written');
    await expect(
      ifConditionHolds(() => Promise.reject(cancelled('None', 'ConditionalCheckFailed'))),
    ).resolves.toBeUndefined();
  });

  it('throws any other failure, including a transaction cancelled for a conflict as well as a condition', async () => {
    db.on(UpdateCommand).rejects(named('ProvisionedThroughputExceededException'));
    await expect(conditionHeld(update)).rejects.toThrow('ProvisionedThroughputExceededException');
    await expect(
      ifConditionHolds(() => Promise.reject(cancelled('ConditionalCheckFailed', 'TransactionConflict'))),
    ).rejects.toThrow('TransactionCanceledException');
  });
});

describe('a cancelled transaction', () => {
  it('tells which of its items failed, in the order they were written', () => {
    expect(cancellationCodes(cancelled('None', 'ConditionalCheckFailed'))).toEqual(['None', 'ConditionalCheckFailed']);
    expect(cancellationCodes(named('ConditionalCheckFailedException'))).toBeUndefined();
  });

  it('names the first item whose condition failed, only when conditions alone cancelled it', () => {
    expect(firstFailedCondition(cancelled('None', 'ConditionalCheckFailed', 'ConditionalCheckFailed'))).toBe(1);
    expect(firstFailedCondition(cancelled('ConditionalCheckFailed', 'TransactionConflict'))).toBeUndefined();
    expect(firstFailedCondition(named('ConditionalCheckFailedException'))).toBeUndefined();
  });

  it('counts as a conflict when any item conflicted, or the whole transaction did', () => {
    expect(isTransactionConflict(cancelled('None', 'TransactionConflict'))).toBe(true);
    expect(isTransactionConflict(named('TransactionConflictException'))).toBe(true);
    expect(isTransactionConflict(cancelled('ConditionalCheckFailed'))).toBe(false);
  });
});

describe('a write that lost a conflict', () => {
  it('is tried again after a backoff until it wins', async () => {
    vi.useFakeTimers();
    const write = vi
      .fn<() => Promise<string>>()
      .mockRejectedValueOnce(cancelled('TransactionConflict'))
      .mockRejectedValueOnce(named('TransactionConflictException'))
      .mockResolvedValue('won');
    const result = retryingConflicts(write);
    await vi.runAllTimersAsync();
    await expect(result).resolves.toBe('won');
    expect(write).toHaveBeenCalledTimes(3);
  });

  it('gives up after its attempts with the last conflict, and never retries a failed condition', async () => {
    vi.useFakeTimers();
    const losing = vi.fn(() => Promise.reject(cancelled('TransactionConflict')));
    const result = retryingConflicts(losing).catch((error: unknown) => error);
    await vi.runAllTimersAsync();
    expect(await result).toMatchObject({ name: 'TransactionCanceledException' });
    expect(losing).toHaveBeenCalledTimes(CONFLICT_ATTEMPTS);

    const refused = vi.fn(() => Promise.reject(cancelled('ConditionalCheckFailed')));
    await expect(retryingConflicts(refused)).rejects.toThrow('TransactionCanceledException');
    expect(refused).toHaveBeenCalledTimes(1);
  });

  it('through the API, becomes a 409 WRITE_CONFLICT once it has lost every attempt', async () => {
    vi.useFakeTimers();
    const losing = vi.fn(() => Promise.reject(named('TransactionConflictException')));
    const result = retryingConflictsOr409(losing).catch((error: unknown) => error);
    await vi.runAllTimersAsync();
    expect(await result).toMatchObject({ status: 409, code: 'WRITE_CONFLICT' });
    expect(losing).toHaveBeenCalledTimes(CONFLICT_ATTEMPTS);
  });
});

describe('batch writes', () => {
  it('send 25 writes to a request and ask again, after a backoff, for what DynamoDB left unprocessed', async () => {
    vi.useFakeTimers();
    const puts = Array.from({ length: 30 }, (_, i) => ({ PutRequest: { Item: { pk: `p${i}`, sk: 's' } } }));
    const leftOver = puts.slice(0, 2);
    db.on(BatchWriteCommand)
      .resolvesOnce({ UnprocessedItems: { [TABLE]: leftOver } })
      .resolves({ UnprocessedItems: {} });
    const done = batchWrite(puts);
    await vi.runAllTimersAsync();
    await done;
    const sizes = db.commandCalls(BatchWriteCommand).map((c) => c.args[0].input.RequestItems?.[TABLE]?.length);
    expect(sizes.sort()).toEqual([2, 25, 5].sort());
  });

  it('send a request again when it met a transaction on one of its items', async () => {
    vi.useFakeTimers();
    db.on(BatchWriteCommand).rejectsOnce(named('TransactionConflictException')).resolves({});
    const done = batchDelete([{ pk: 'a', sk: '1' }]);
    await vi.runAllTimersAsync();
    await done;
    expect(db).toHaveReceivedCommandTimes(BatchWriteCommand, 2);
  });

  it('delete each key once, however often it is named', async () => {
    db.on(BatchWriteCommand).resolves({});
    await batchDelete([
      { pk: 'a', sk: '1' },
      { pk: 'a', sk: '1' },
      { pk: 'a', sk: '2' },
    ]);
    expect(db).toHaveReceivedCommandWith(BatchWriteCommand, {
      RequestItems: {
        [TABLE]: [{ DeleteRequest: { Key: { pk: 'a', sk: '1' } } }, { DeleteRequest: { Key: { pk: 'a', sk: '2' } } }],
      },
    });
  });
});

describe('batch reads', () => {
  it('read 100 keys to a request and every unprocessed key again until all are answered', async () => {
    vi.useFakeTimers();
    const keys = Array.from({ length: 101 }, (_, i) => ({ pk: `p${i}`, sk: 's' }));
    db.on(BatchGetCommand)
      .resolvesOnce({
        Responses: { [TABLE]: [{ pk: 'p0', sk: 's' }] },
        UnprocessedKeys: { [TABLE]: { Keys: [{ pk: 'p1', sk: 's' }] } },
      })
      .resolvesOnce({ Responses: { [TABLE]: [{ pk: 'p1', sk: 's' }] } })
      .resolves({ Responses: { [TABLE]: [{ pk: 'p100', sk: 's' }] } });
    const read = batchGet(keys, { consistentRead: true });
    await vi.runAllTimersAsync();
    expect((await read).map((item) => item.pk)).toEqual(['p0', 'p1', 'p100']);
    const calls = db.commandCalls(BatchGetCommand).map((c) => c.args[0].input.RequestItems?.[TABLE]);
    expect(calls.map((c) => c?.Keys?.length)).toEqual([100, 1, 1]);
    expect(calls.every((c) => c?.ConsistentRead === true)).toBe(true);
  });
});

describe('sending many messages', () => {
  it('sends 10 to a request and fails when SQS refused any of them', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    await sendMessages(
      'https://queue',
      Array.from({ length: 21 }, (_, i) => ({ i })),
    );
    const sizes = sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries?.length);
    expect(sizes).toEqual([10, 10, 1]);

    sqs.on(SendMessageBatchCommand).resolves({
      Failed: [{ Id: '0', Code: 'InternalError', SenderFault: false }],
      Successful: [],
    });
    await expect(sendMessages('https://queue', [{ i: 0 }])).rejects.toThrow('1 of 1 messages were not sent');
  });
});

describe('bounded concurrency', () => {
  it('never has more than the limit in flight, and does every item', async () => {
    let inFlight = 0;
    let most = 0;
    const done: number[] = [];
    await inParallel(
      Array.from({ length: 20 }, (_, i) => i),
      3,
      async (i) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await Promise.resolve();
        inFlight--;
        done.push(i);
      },
    );
    expect(most).toBe(3);
    expect(done.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(batchesOf([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
  });
});
