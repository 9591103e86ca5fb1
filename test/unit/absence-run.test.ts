import '../support/unit-env.ts';
import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  BatchGetCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { markAbsenteesOfChunk, requestAbsenceRun, runInstant, startAbsenceRun } from '../../lambdas/absence/absence-run.ts';

const db = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
const NOW = Date.parse('2026-11-22T15:00:05Z');
const chunk = { kind: 'absence-chunk' as const, runId: 'R1', studyId: 'S1', week: 3, chunk: 0 };
const study = { pk: 'STUDY#S1', sk: 'META', studyId: 'S1', name: 's', ownerId: 'O', autoAttendance: true, absencePenalty: 5, createdAt: 'x' };

const cancelled = (codes: string[]) =>
  new TransactionCanceledException({
    message: 'cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

/** Transactions that mark someone absent (three items: attendance, score). */
const marks = () => db.commandCalls(TransactWriteCommand).filter((c) => c.args[0].input.TransactItems?.length === 2 && c.args[0].input.TransactItems[1]?.Update?.UpdateExpression?.includes('score'));
const chunkRecord = () => db.commandCalls(TransactWriteCommand).find((c) => String(c.args[0].input.TransactItems?.[0]?.Put?.Item?.sk).startsWith('CHUNK#'));

beforeEach(() => {
  db.reset();
  sqs.reset();
  db.on(GetCommand, { Key: { pk: 'STUDY#S1', sk: 'META' } }).resolves({ Item: study });
  db.on(QueryCommand).resolves({ Items: [{ accountId: 'A' }, { accountId: 'B' }, { accountId: 'C' }] });
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

  it('counts nothing for a participant another run marked first (the condition failed)', async () => {
    db.on(TransactWriteCommand).callsFake((input) => {
      const sk = String(input.TransactItems?.[0]?.Put?.Item?.sk);
      if (sk === 'MEMBER#B') throw cancelled(['ConditionalCheckFailed', 'None']);
      return {};
    });
    await expect(markAbsenteesOfChunk(chunk, NOW)).resolves.toBe(1);
    expect(chunkRecord()?.args[0].input.TransactItems?.[1]?.Update?.ExpressionAttributeValues?.[':a']).toBe(1);
  });

  it('skips a participant whose account was deleted (no score to take from)', async () => {
    db.on(TransactWriteCommand).callsFake((input) => {
      if (String(input.TransactItems?.[0]?.Put?.Item?.sk) === 'MEMBER#C') throw cancelled(['None', 'ConditionalCheckFailed']);
      return {};
    });
    await expect(markAbsenteesOfChunk(chunk, NOW)).resolves.toBe(1);
  });

  it('redelivered after a crash, still counts the absences this run made before it', async () => {
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

  it('redelivered after it was recorded, adds nothing to the run a second time', async () => {
    db.on(TransactWriteCommand).callsFake((input) => {
      if (String(input.TransactItems?.[0]?.Put?.Item?.sk).startsWith('CHUNK#')) throw cancelled(['ConditionalCheckFailed', 'None']);
      return {};
    });
    await expect(markAbsenteesOfChunk(chunk, NOW)).resolves.toBe(0);
  });

  it('sends the next page of a big week as its own chunk and expects it in the same write', async () => {
    db.on(QueryCommand).resolves({ Items: [{ accountId: 'B' }], LastEvaluatedKey: { pk: 'STUDY#S1', sk: 'MEMBER#B' } });
    db.on(BatchGetCommand).resolves({ Responses: { 'unit-table': [] } });
    await markAbsenteesOfChunk(chunk, NOW);
    expect(sqs).toHaveReceivedCommandWith(SendMessageBatchCommand, {
      Entries: [{ Id: '0', MessageBody: JSON.stringify({ ...chunk, chunk: 1, cursor: 'B' }) }],
    });
    expect(chunkRecord()?.args[0].input.TransactItems?.[1]?.Update?.ExpressionAttributeValues?.[':more']).toBe(1);
  });

  it('touches nobody in a study without automatic attendance', async () => {
    db.on(GetCommand, { Key: { pk: 'STUDY#S1', sk: 'META' } }).resolves({ Item: { ...study, autoAttendance: false } });
    await expect(markAbsenteesOfChunk(chunk, NOW)).resolves.toBe(0);
    expect(marks()).toHaveLength(0);
  });
});

describe('starting a run', () => {
  it('from the nightly schedule joins one run per fire time, however often it is delivered', async () => {
    db.on(GetCommand).resolves({ Item: { runId: 'nightly-2026-11-22T15:00:00.000Z', status: 'RUNNING' } });
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
    db.on(GetCommand).resolves({ Item: { runId: 'R', status: 'RUNNING' } });
    db.on(QueryCommand).resolves({ Items: [] });
    await startAbsenceRun({ kind: 'absence-run', trigger: 'api', runId: 'R', at: '2026-11-22T15:00:00Z' }, NOW, NOW);
    const queries = db.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(queries.map((q) => q.IndexName)).toEqual(['week-end-index', 'week-end-index', 'week-end-index']);
  });

  it('falls back to the time the message was sent when the schedule left its placeholder', () => {
    expect(runInstant({ kind: 'absence-run', trigger: 'schedule', at: '<aws.scheduler.scheduled-time>' }, NOW)).toBe(NOW);
  });

  it('from the API is taken back when the queue refuses it', async () => {
    sqs.on(SendMessageCommand).rejects(new Error('down'));
    await expect(requestAbsenceRun({ at: NOW, now: NOW })).rejects.toMatchObject({ status: 503 });
    expect(db.commandCalls(PutCommand)).toHaveLength(1);
    expect(db).toHaveReceivedCommandWith(DeleteCommand, { Key: { pk: expect.stringMatching(/^RUN#/), sk: 'RUN' } });
  });
});
