import '../support/unit-env.ts';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import {
  BatchGetCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  markAbsenteesOfChunk,
  requestAbsenceRun,
  runInstant,
  startAbsenceRun,
} from '../../lambdas/absence/absence-run.ts';
import { handler } from '../../lambdas/absence/mark-absentees.handler.ts';
import { studyItem } from '../support/absence-items.ts';
import { cancelled } from '../support/sdk-errors.ts';
import { db, sqs } from '../support/sdk-mocks.ts';

const NOW = Date.parse('2026-11-22T15:00:05Z');
const chunk = { kind: 'absence-chunk' as const, runId: 'R1', studyId: 'S1', week: 3, chunk: 0 };
const ENDS_AT = '2026-11-22T14:59:59.000Z';
const week3 = { pk: 'STUDY#S1', sk: 'WEEK#000003', studyId: 'S1', week: 3, startsAt: 'x', endsAt: ENDS_AT };
/** Joined before week 3 ended. */
const JOINED = '2026-11-10T00:00:00.000Z';
const joined = (...ids: string[]) => ids.map((accountId) => ({ accountId, joinedAt: JOINED }));
const study = studyItem();

/** Transactions that mark someone absent (attendance, score, membership). */
const marks = () =>
  db
    .commandCalls(TransactWriteCommand)
    .filter(
      (c) =>
        c.args[0].input.TransactItems?.length === 3 &&
        c.args[0].input.TransactItems[1]?.Update?.UpdateExpression?.includes('score'),
    );
/** The transaction that closes the chunk and adds its count to the run. */
const closing = () =>
  db
    .commandCalls(TransactWriteCommand)
    .find((c) => String(c.args[0].input.TransactItems?.[0]?.Update?.Key?.sk).startsWith('CHUNK#'));
const isOpening = (input: { TransactItems?: { Put?: { Item?: Record<string, unknown> } }[] }) =>
  String(input.TransactItems?.[0]?.Put?.Item?.sk).startsWith('CHUNK#');
const isClosing = (input: { TransactItems?: { Update?: { Key?: Record<string, unknown> } }[] }) =>
  String(input.TransactItems?.[0]?.Update?.Key?.sk).startsWith('CHUNK#');
const chunkKey = { pk: 'RUN#R1', sk: 'CHUNK#S1#3#0' };
const bigWeekPage = { Items: joined('B'), LastEvaluatedKey: { pk: 'STUDY#S1', sk: 'MEMBER#B' } };

beforeEach(() => {
  db.reset();
  sqs.reset();
  db.on(GetCommand).resolves({});
  db.on(GetCommand, { Key: { pk: 'STUDY#S1', sk: 'META' } }).resolves({ Item: study });
  db.on(GetCommand, { Key: { pk: 'STUDY#S1', sk: 'WEEK#000003' } }).resolves({ Item: week3 });
  db.on(QueryCommand).resolves({ Items: joined('A', 'B', 'C') });
  db.on(BatchGetCommand).resolves({ Responses: { 'unit-table': [{ accountId: 'A', status: 'ATTENDANCE' }] } });
  db.on(TransactWriteCommand).resolves({});
  db.on(UpdateCommand).resolves({});
  db.on(PutCommand).resolves({});
  sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
  sqs.on(SendMessageCommand).resolves({});
});

describe('a chunk of a week', () => {
  it('marks every still-pending participant absent with their penalty, in one transaction each', async () => {
    await expect(markAbsenteesOfChunk(chunk, NOW)).resolves.toBe(2);
    const marked = marks().map((c) => c.args[0].input.TransactItems?.[0]?.Put?.Item?.accountId);
    expect(marked.sort()).toEqual(['B', 'C']);
    const first = marks()[0]?.args[0].input.TransactItems;
    expect(first?.[0]?.Put?.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(first?.[1]?.Update?.ExpressionAttributeValues).toEqual({ ':penalty': 5 });
    expect(first?.[1]?.Update?.ConditionExpression).toBe('attribute_exists(pk)');
  });

  it('judges a participant only if it joined before the week ended, checked on its membership in the same transaction', async () => {
    await markAbsenteesOfChunk(chunk, NOW);
    const check = marks()[0]?.args[0].input.TransactItems?.[2]?.ConditionCheck;
    expect(check).toEqual({
      TableName: 'unit-table',
      Key: { pk: 'STUDY#S1', sk: expect.stringMatching(/^MEMBER#[BC]$/) },
      ConditionExpression: 'joinedAt < :endsAt',
      ExpressionAttributeValues: { ':endsAt': ENDS_AT },
    });
  });

  it('does not judge, and does not even try, a participant who joined after the week ended', async () => {
    db.on(QueryCommand).resolves({
      Items: [
        ...joined('B'),
        { accountId: 'C', joinedAt: ENDS_AT },
        { accountId: 'D', joinedAt: '2026-11-23T00:00:00.000Z' },
        { accountId: 'E' },
      ],
    });
    db.on(BatchGetCommand).resolves({ Responses: { 'unit-table': [] } });
    await expect(markAbsenteesOfChunk(chunk, NOW)).resolves.toBe(1);
    expect(marks().map((c) => c.args[0].input.TransactItems?.[0]?.Put?.Item?.accountId)).toEqual(['B']);
  });

  it('counts nothing for one who left or rejoined after the page was read (the membership condition failed)', async () => {
    db.on(TransactWriteCommand).callsFake((input) => {
      if (String(input.TransactItems?.[0]?.Put?.Item?.sk) === 'MEMBER#B')
        throw cancelled(['None', 'None', 'ConditionalCheckFailed']);
      return {};
    });
    await expect(markAbsenteesOfChunk(chunk, NOW)).resolves.toBe(1);
  });

  it('records a chunk of a week deleted since the run began, with nothing marked', async () => {
    db.on(GetCommand, { Key: { pk: 'STUDY#S1', sk: 'WEEK#000003' } }).resolves({});
    await expect(markAbsenteesOfChunk(chunk, NOW)).resolves.toBe(0);
    expect(marks()).toHaveLength(0);
  });

  it('adds its count to the run once, in the transaction that closes the chunk', async () => {
    await markAbsenteesOfChunk(chunk, NOW);
    expect(db).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ ...chunkKey, state: 'OPEN' }),
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    const items = closing()?.args[0].input.TransactItems;
    expect(items?.[0]?.Update).toMatchObject({ Key: chunkKey, ConditionExpression: '#state = :open' });
    expect(items?.[1]?.Update).toMatchObject({
      Key: { pk: 'RUN#R1', sk: 'RUN' },
      ExpressionAttributeValues: { ':a': 2, ':one': 1 },
    });
  });

  it('counts nothing for a participant another run marked first (the condition failed)', async () => {
    db.on(TransactWriteCommand).callsFake((input) => {
      const sk = String(input.TransactItems?.[0]?.Put?.Item?.sk);
      if (sk === 'MEMBER#B') throw cancelled(['ConditionalCheckFailed', 'None', 'None']);
      return {};
    });
    await expect(markAbsenteesOfChunk(chunk, NOW)).resolves.toBe(1);
    expect(closing()?.args[0].input.TransactItems?.[1]?.Update?.ExpressionAttributeValues?.[':a']).toBe(1);
  });

  it('skips a participant whose account was deleted (no score to take from)', async () => {
    db.on(TransactWriteCommand).callsFake((input) => {
      if (String(input.TransactItems?.[0]?.Put?.Item?.sk) === 'MEMBER#C')
        throw cancelled(['None', 'ConditionalCheckFailed', 'None']);
      return {};
    });
    await expect(markAbsenteesOfChunk(chunk, NOW)).resolves.toBe(1);
  });

  it('redelivered after a crash, still counts the absences this run made before it', async () => {
    db.on(PutCommand, { Item: chunkKey }).rejects(
      new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }),
    );
    db.on(GetCommand, { Key: chunkKey }).resolves({ Item: { ...chunkKey, state: 'OPEN' } });
    db.on(BatchGetCommand).resolves({
      Responses: {
        'unit-table': [
          { accountId: 'A', status: 'ATTENDANCE' },
          { accountId: 'B', status: 'ABSENCE', runId: 'R1' },
          { accountId: 'C', status: 'ABSENCE', runId: 'OTHER' },
        ],
      },
    });
    await expect(markAbsenteesOfChunk(chunk, NOW)).resolves.toBe(1);
    expect(marks()).toHaveLength(0);
  });

  it('redelivered after it was counted, marks nothing and adds nothing to the run a second time', async () => {
    db.on(PutCommand, { Item: chunkKey }).rejects(
      new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }),
    );
    db.on(GetCommand, { Key: chunkKey }).resolves({ Item: { ...chunkKey, state: 'DONE', absences: 2 } });
    await expect(markAbsenteesOfChunk(chunk, NOW)).resolves.toBe(0);
    expect(marks()).toHaveLength(0);
    expect(closing()).toBeUndefined();
    expect(db).toHaveReceivedCommandWith(UpdateCommand, {
      ExpressionAttributeValues: expect.objectContaining({ ':done': 'DONE' }),
    });
  });

  it('delivered twice at once, adds the count of only the delivery that closes the chunk', async () => {
    db.on(TransactWriteCommand).callsFake((input) => {
      if (isClosing(input)) throw cancelled(['ConditionalCheckFailed', 'None']);
      return {};
    });
    await expect(markAbsenteesOfChunk(chunk, NOW)).resolves.toBe(0);
  });

  it('sends the next page of a big week as its own chunk, expected by the run in the same write that opens this one', async () => {
    db.on(QueryCommand).resolves(bigWeekPage);
    db.on(BatchGetCommand).resolves({ Responses: { 'unit-table': [] } });
    await markAbsenteesOfChunk(chunk, NOW);
    expect(sqs).toHaveReceivedCommandWith(SendMessageBatchCommand, {
      Entries: [{ Id: '0', MessageBody: JSON.stringify({ ...chunk, chunk: 1, cursor: 'B' }) }],
    });
    const opening = db.commandCalls(TransactWriteCommand).find((c) => isOpening(c.args[0].input))?.args[0]
      .input.TransactItems;
    expect(opening?.[0]?.Put?.Item).toMatchObject({ ...chunkKey, state: 'OPEN', next: 'B' });
    expect(opening?.[1]?.Update).toMatchObject({
      Key: { pk: 'RUN#R1', sk: 'RUN' },
      UpdateExpression: 'ADD expectedChunks :one',
    });
  });

  it('opens itself (expecting the next page), sends the next page, then marks, then closes', async () => {
    const order: string[] = [];
    db.on(QueryCommand).resolves(bigWeekPage);
    db.on(BatchGetCommand).resolves({ Responses: { 'unit-table': [] } });
    db.on(TransactWriteCommand).callsFake((input) => {
      order.push(isOpening(input) ? 'open' : isClosing(input) ? 'close' : 'mark');
      return {};
    });
    sqs.on(SendMessageBatchCommand).callsFake(() => {
      order.push('send next page');
      return { Successful: [], Failed: [] };
    });
    await markAbsenteesOfChunk(chunk, NOW);
    expect(order).toEqual(['open', 'send next page', 'mark', 'close']);
  });

  it('redelivered after it was opened, sends the next page the first delivery chose and keeps to that page', async () => {
    db.on(TransactWriteCommand).callsFake((input) => {
      if (isOpening(input)) throw cancelled(['ConditionalCheckFailed', 'None']);
      return {};
    });
    // Someone joined since: the page now ends at B, but the first delivery's page ended at C.
    db.on(QueryCommand).resolves({
      Items: joined('A', 'B'),
      LastEvaluatedKey: { pk: 'STUDY#S1', sk: 'MEMBER#B' },
    });
    db.on(QueryCommand, { ExclusiveStartKey: { pk: 'STUDY#S1', sk: 'MEMBER#B' } }).resolves({
      Items: joined('C', 'D'),
      LastEvaluatedKey: { pk: 'STUDY#S1', sk: 'MEMBER#D' },
    });
    db.on(GetCommand, { Key: chunkKey }).resolves({ Item: { ...chunkKey, state: 'OPEN', next: 'C' } });
    db.on(BatchGetCommand).resolves({ Responses: { 'unit-table': [] } });
    await expect(markAbsenteesOfChunk(chunk, NOW)).resolves.toBe(3);
    expect(
      marks()
        .map((c) => c.args[0].input.TransactItems?.[0]?.Put?.Item?.accountId)
        .sort(),
    ).toEqual(['A', 'B', 'C']);
    expect(sqs).toHaveReceivedCommandWith(SendMessageBatchCommand, {
      Entries: [{ Id: '0', MessageBody: JSON.stringify({ ...chunk, chunk: 1, cursor: 'C' }) }],
    });
  });

  it('retries a mark that collided with another run, and counts it when this run wins', async () => {
    let collisions = 0;
    db.on(TransactWriteCommand).callsFake((input) => {
      if (String(input.TransactItems?.[0]?.Put?.Item?.sk) === 'MEMBER#B' && collisions++ === 0) {
        throw cancelled(['TransactionConflict', 'None', 'None']);
      }
      return {};
    });
    await expect(markAbsenteesOfChunk(chunk, NOW)).resolves.toBe(2);
    expect(marks().filter((c) => c.args[0].input.TransactItems?.[0]?.Put?.Item?.accountId === 'B')).toHaveLength(2);
  });

  it('counts nothing for a mark that collided and then found the other run had marked first', async () => {
    let attempts = 0;
    db.on(TransactWriteCommand).callsFake((input) => {
      if (String(input.TransactItems?.[0]?.Put?.Item?.sk) !== 'MEMBER#B') return {};
      throw attempts++ === 0
        ? cancelled(['TransactionConflict', 'None', 'None'])
        : cancelled(['ConditionalCheckFailed', 'None', 'None']);
    });
    await expect(markAbsenteesOfChunk(chunk, NOW)).resolves.toBe(1);
  });

  it('retries closing the chunk when another chunk was updating the run at that moment', async () => {
    let collisions = 0;
    db.on(TransactWriteCommand).callsFake((input) => {
      if (isClosing(input) && collisions++ === 0) throw cancelled(['None', 'TransactionConflict']);
      return {};
    });
    await expect(markAbsenteesOfChunk(chunk, NOW)).resolves.toBe(2);
  });

  it('records a chunk of a study deleted since the run began, with nothing marked', async () => {
    db.on(GetCommand, { Key: { pk: 'STUDY#S1', sk: 'META' } }).resolves({});
    await expect(markAbsenteesOfChunk(chunk, NOW)).resolves.toBe(0);
    expect(marks()).toHaveLength(0);
    expect(closing()?.args[0].input.TransactItems?.[1]?.Update?.ExpressionAttributeValues).toEqual({
      ':a': 0,
      ':one': 1,
    });
  });

  it('touches nobody in a study without automatic attendance', async () => {
    db.on(GetCommand, { Key: { pk: 'STUDY#S1', sk: 'META' } }).resolves({ Item: { ...study, autoAttendance: false } });
    await expect(markAbsenteesOfChunk(chunk, NOW)).resolves.toBe(0);
    expect(marks()).toHaveLength(0);
    expect(db).not.toHaveReceivedCommand(QueryCommand);
  });
});

describe('starting a run', () => {
  const runItem = (runId: string) => ({ runId, status: 'RUNNING', createdAt: '2026-11-22T15:00:04.000Z' });

  it('from the nightly schedule joins one run per fire time, however often it is delivered', async () => {
    db.on(GetCommand).resolves({ Item: runItem('nightly-2026-11-22T15:00:00.000Z') });
    db.on(QueryCommand).resolves({ Items: [{ studyId: 'S1', week: 3 }] });
    const message = { kind: 'absence-run' as const, trigger: 'schedule' as const, at: '2026-11-22T15:00:00Z' };
    const first = await startAbsenceRun(message, NOW, NOW);
    const second = await startAbsenceRun(message, NOW, NOW);
    expect(first).toBe('nightly-2026-11-22T15:00:00.000Z');
    expect(second).toBe(first);
    const puts = db.commandCalls(PutCommand).map((c) => c.args[0].input.ConditionExpression);
    expect(puts).toEqual(['attribute_not_exists(pk)', 'attribute_not_exists(pk)']);
  });

  it('queries only the week-end index, one query per UTC day of the window', async () => {
    db.on(GetCommand).resolves({ Item: runItem('R') });
    db.on(QueryCommand).resolves({ Items: [] });
    await startAbsenceRun({ kind: 'absence-run', trigger: 'api', runId: 'R', at: '2026-11-22T15:00:00Z' }, NOW, NOW);
    const queries = db.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(queries.map((q) => q.IndexName)).toEqual(['week-end-index', 'week-end-index', 'week-end-index']);
    expect(queries.map((q) => q.ExpressionAttributeValues?.[':day'])).toEqual([
      'WEEKEND#2026-11-20',
      'WEEKEND#2026-11-21',
      'WEEKEND#2026-11-22',
    ]);
    expect(queries[0]?.ExpressionAttributeValues).toMatchObject({
      ':from': '2026-11-20T15:00:00.000Z',
      ':to': '2026-11-22T15:00:00.000Z',
    });
  });

  it('looks only at weeks that existed when the run began, so a redelivery fans out the same weeks', async () => {
    db.on(GetCommand).resolves({ Item: runItem('R') });
    db.on(QueryCommand).resolves({ Items: [] });
    await startAbsenceRun({ kind: 'absence-run', trigger: 'api', runId: 'R', at: '2026-11-22T15:00:00Z' }, NOW, NOW);
    const query = db.commandCalls(QueryCommand)[0]?.args[0].input;
    expect(query?.FilterExpression).toBe('attribute_not_exists(#created) OR #created <= :createdUpTo');
    expect(query?.ExpressionAttributeValues?.[':createdUpTo']).toBe('2026-11-22T15:00:04.000Z');
  });

  it('fans out one chunk message per week, ten to a batch, after planning how many it expects', async () => {
    db.on(GetCommand).resolves({ Item: runItem('R') });
    const weeks = Array.from({ length: 23 }, (_, i) => ({ studyId: `S${i}`, week: 1 }));
    db.on(QueryCommand)
      .resolves({ Items: [] })
      .on(QueryCommand, { ExpressionAttributeValues: { ':day': 'WEEKEND#2026-11-21' } })
      .resolves({ Items: weeks });
    await startAbsenceRun({ kind: 'absence-run', trigger: 'api', runId: 'R', at: '2026-11-22T15:00:00Z' }, NOW, NOW);
    expect(db).toHaveReceivedCommandWith(UpdateCommand, {
      ExpressionAttributeValues: expect.objectContaining({ ':n': 23 }),
    });
    const sent = sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries ?? []);
    expect(sent.map((e) => e.length).sort()).toEqual([10, 10, 3]);
    expect(JSON.parse(sent.flat()[0]?.MessageBody ?? '{}')).toEqual({
      kind: 'absence-chunk',
      runId: 'R',
      studyId: 'S0',
      week: 1,
      chunk: 0,
    });
  });

  it('is DONE at once when no week ended in its window', async () => {
    db.on(GetCommand).resolves({ Item: runItem('R') });
    db.on(QueryCommand).resolves({ Items: [] });
    await startAbsenceRun({ kind: 'absence-run', trigger: 'api', runId: 'R', at: '2026-11-22T15:00:00Z' }, NOW, NOW);
    expect(db).toHaveReceivedCommandWith(UpdateCommand, {
      ExpressionAttributeValues: expect.objectContaining({ ':n': 0, ':done': 'DONE' }),
    });
    expect(sqs).not.toHaveReceivedCommand(SendMessageBatchCommand);
  });

  it('does nothing more for a run that is already DONE (a late redelivery)', async () => {
    db.on(GetCommand).resolves({ Item: { ...runItem('R'), status: 'DONE' } });
    await startAbsenceRun({ kind: 'absence-run', trigger: 'api', runId: 'R', at: '2026-11-22T15:00:00Z' }, NOW, NOW);
    expect(db).not.toHaveReceivedCommand(QueryCommand);
    expect(sqs).not.toHaveReceivedCommand(SendMessageBatchCommand);
  });

  it('falls back to the time the message was sent when the schedule left its placeholder', () => {
    expect(runInstant({ kind: 'absence-run', trigger: 'schedule', at: '<aws.scheduler.scheduled-time>' }, NOW)).toBe(
      NOW,
    );
  });

  it('from the API is taken back when the queue refuses it', async () => {
    sqs.on(SendMessageCommand).rejects(new Error('down'));
    await expect(requestAbsenceRun({ at: NOW, now: NOW })).rejects.toMatchObject({ status: 503 });
    expect(db.commandCalls(PutCommand)).toHaveLength(1);
    expect(db).toHaveReceivedCommandWith(DeleteCommand, { Key: { pk: expect.stringMatching(/^RUN#/), sk: 'RUN' } });
  });
});

describe('the mark-absentees consumer', () => {
  const event = (body: unknown, receiveCount: number): SQSEvent =>
    ({
      Records: [
        {
          messageId: 'm1',
          body: JSON.stringify(body),
          attributes: {
            ApproximateReceiveCount: String(receiveCount),
            SentTimestamp: String(Date.parse('2026-11-22T15:00:02Z')),
          },
        },
      ],
    }) as unknown as SQSEvent;
  const schedule = { kind: 'absence-run', trigger: 'schedule', at: '<aws.scheduler.scheduled-time>' };

  it('names a nightly run whose fire time is missing after the time its message was sent', async () => {
    db.on(GetCommand).resolves({ Item: { runId: 'x', status: 'DONE', createdAt: 'x' } });
    await expect(handler(event(schedule, 1))).resolves.toEqual({ batchItemFailures: [] });
    expect(db).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ pk: 'RUN#nightly-2026-11-22T15:00:02.000Z' }),
    });
  });

  it('marks the run FAILED when its message fails for the last time before the DLQ', async () => {
    db.on(PutCommand).rejects(new Error('DynamoDB down'));
    await expect(handler(event(schedule, 5))).resolves.toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(db).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { pk: 'RUN#nightly-2026-11-22T15:00:02.000Z', sk: 'RUN' },
      ExpressionAttributeValues: expect.objectContaining({ ':failed': 'FAILED' }),
    });
  });

  it('leaves the run RUNNING when a chunk fails with retries left', async () => {
    db.on(GetCommand).rejects(new Error('DynamoDB down'));
    await expect(handler(event(chunk, 2))).resolves.toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(db).not.toHaveReceivedCommand(UpdateCommand);
  });
});
