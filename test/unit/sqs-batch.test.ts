import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { processMessages, processMessagesInOrder, RetryLaterError } from '../../lambdas/shared/sqs-batch.ts';
import { sqsRecord } from '../support/sqs-records.ts';

const schema = z.object({ n: z.number() });

const record = sqsRecord;

const batch = (...records: SQSRecord[]): SQSEvent => ({ Records: records });
const failedIds = (response: { batchItemFailures: { itemIdentifier: string }[] }) =>
  response.batchItemFailures.map((f) => f.itemIdentifier).sort();

describe('a consumer batch', () => {
  it('hands each record its parsed message and its receive count', async () => {
    const seen: [number, number][] = [];
    const response = await processMessages(
      batch(record('a', { n: 1 }), record('b', { n: 2 }, 3)),
      schema,
      async (m, c) => {
        seen.push([m.n, c.receiveCount]);
      },
    );
    expect(failedIds(response)).toEqual([]);
    expect(seen.sort()).toEqual([
      [1, 1],
      [2, 3],
    ]);
  });

  it('works on all records at once, so one slow record does not hold up the others', async () => {
    let releaseFirst: () => void = () => {};
    const firstWaits = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    const finished: number[] = [];
    // The first record finishes only once the last has started: sequential handling would never finish.
    const response = await processMessages(
      batch(...Array.from({ length: 10 }, (_, i) => record(`m${i}`, { n: i }))),
      schema,
      async ({ n }) => {
        if (n === 0) await firstWaits;
        if (n === 9) releaseFirst();
        finished.push(n);
      },
    );
    expect(failedIds(response)).toEqual([]);
    expect(finished.at(-1)).toBe(0);
  });

  it('fails only the malformed, the retry-later and the failing records, and never throws when all fail', async () => {
    const response = await processMessages(
      batch(
        record('ok', { n: 1 }),
        record('junk', '{"n":'),
        record('wrong', { n: 'x' }),
        record('later', { n: 2 }),
        record('boom', { n: 3 }),
      ),
      schema,
      async ({ n }) => {
        if (n === 2) throw new RetryLaterError('later');
        if (n === 3) throw new Error('boom');
      },
    );
    expect(failedIds(response)).toEqual(['boom', 'junk', 'later', 'wrong']);

    const allBad = await processMessages(batch(record('x', 'not json'), record('y', { n: 3 })), schema, async () => {
      throw new Error('down');
    });
    expect(failedIds(allBad)).toEqual(['x', 'y']);
  });

  it('in order, starts a record only when the one before it has finished', async () => {
    const events: string[] = [];
    await processMessagesInOrder(batch(record('a', { n: 1 }), record('b', { n: 2 })), schema, async ({ n }) => {
      events.push(`start ${n}`);
      await new Promise((resolve) => setImmediate(resolve));
      events.push(`end ${n}`);
    });
    expect(events).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
  });
});
