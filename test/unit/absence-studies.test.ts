import '../support/unit-env.ts';
import { ConditionalCheckFailedException, TransactionConflictException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { leaveStudiesOf } from '../../lambdas/absence/on-account-deleted.ts';
import { addWeek, attend, attendanceOf, createStudy } from '../../lambdas/absence/studies.ts';
import { EXPIRES, EXPIRES_S, givenStudy, NOW, profileOf as profile, studyItem } from '../support/absence-items.ts';
import { db } from '../support/sdk-mocks.ts';

const study = studyItem();
const week = { studyId: 'S1', week: 2, startsAt: '2026-11-15T15:00:00.000Z', endsAt: '2026-11-22T14:59:59.000Z' };
const conflict = () => new TransactionConflictException({ message: 'conflict', $metadata: {} });

afterEach(() => {
  vi.restoreAllMocks();
});

beforeEach(() => {
  givenStudy(study);
  db.on(GetCommand, { Key: { pk: 'STUDY#S1', sk: 'MEMBER#P' } }).resolves({ Item: { accountId: 'P' } });
  db.on(GetCommand, { Key: { pk: 'STUDY#S1', sk: 'WEEK#000002' } }).resolves({ Item: week });
  db.on(TransactWriteCommand).resolves({});
  db.on(PutCommand).resolves({});
  db.on(BatchWriteCommand).resolves({});
});

describe('studies', () => {
  it('a study of a demo owner expires with the owner (TTL on the study and on the owner’s OWNS item)', async () => {
    db.on(GetCommand, { Key: { pk: 'ACCOUNT#O', sk: 'PROFILE' } }).resolves(profile('O', EXPIRES));
    await createStudy({
      ownerId: 'O',
      ownerIsDemo: true,
      name: 'n',
      autoAttendance: true,
      absencePenalty: 5,
      now: NOW,
    });
    const items = db.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items.map((i) => [i.Put?.Item?.sk, i.Put?.Item?.ttl])).toEqual([
      ['META', EXPIRES_S],
      [expect.stringMatching(/^OWNS#/), EXPIRES_S],
    ]);
  });

  it('a permanent owner’s study has no TTL and costs no extra read', async () => {
    await createStudy({
      ownerId: 'O',
      ownerIsDemo: false,
      name: 'n',
      autoAttendance: true,
      absencePenalty: 5,
      now: NOW,
    });
    const items = db.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items.every((i) => i.Put?.Item?.ttl === undefined)).toBe(true);
    expect(db).not.toHaveReceivedCommand(GetCommand);
  });

  it('indexes a week of an auto-attendance study by the UTC day it ends, with when it was added', async () => {
    await addWeek({ callerId: 'O', week, now: NOW });
    expect(db).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({
        sk: 'WEEK#000002',
        weekEndPk: 'WEEKEND#2026-11-22',
        endsAt: week.endsAt,
        createdAt: '2026-11-22T10:00:00.000Z',
      }),
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });

  it('keeps weeks of a study without automatic attendance out of the batch’s index', async () => {
    db.on(GetCommand, { Key: { pk: 'STUDY#S1', sk: 'META' } }).resolves({ Item: { ...study, autoAttendance: false } });
    await addWeek({ callerId: 'O', week, now: NOW });
    const item = db.commandCalls(PutCommand)[0]?.args[0].input.Item;
    expect(item).not.toHaveProperty('weekEndPk');
  });

  it('answers 409 WEEK_EXISTS for a week number the study has', async () => {
    db.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    await expect(addWeek({ callerId: 'O', week, now: NOW })).rejects.toMatchObject({
      status: 409,
      code: 'WEEK_EXISTS',
    });
  });

  it('refuses a week that has already ended, or ends this very moment, with a 400 naming endsAt', async () => {
    const ended = { ...week, startsAt: '2026-11-14T10:00:00.000Z', endsAt: '2026-11-22T09:00:00.000Z' };
    for (const w of [ended, { ...ended, endsAt: '2026-11-22T10:00:00.000Z' }]) {
      await expect(addWeek({ callerId: 'O', week: w, now: NOW })).rejects.toMatchObject({
        status: 400,
        details: [{ in: 'body', field: 'endsAt', message: 'must be in the future' }],
      });
    }
    expect(db).not.toHaveReceivedCommand(PutCommand);
  });
});

describe('attendance', () => {
  it('marks the caller present, and refuses once the batch marked them absent (409 ALREADY_ABSENT)', async () => {
    await expect(attend({ studyId: 'S1', week: 2, accountId: 'P', now: NOW })).resolves.toMatchObject({
      status: 'ATTENDANCE',
    });
    expect(db).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ pk: 'STUDY#S1#WEEK#000002', sk: 'MEMBER#P', status: 'ATTENDANCE' }),
      ConditionExpression: 'attribute_not_exists(pk) OR #status = :attendance',
    });
    db.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'absent', $metadata: {} }));
    await expect(attend({ studyId: 'S1', week: 2, accountId: 'P', now: NOW })).rejects.toMatchObject({
      status: 409,
      code: 'ALREADY_ABSENT',
    });
  });

  it('retries a mark that met the batch’s transaction on the same row, and then finds the absence (409)', async () => {
    db.on(PutCommand)
      .rejectsOnce(conflict())
      .rejects(new ConditionalCheckFailedException({ message: 'absent', $metadata: {} }));
    await expect(attend({ studyId: 'S1', week: 2, accountId: 'P', now: NOW })).rejects.toMatchObject({
      status: 409,
      code: 'ALREADY_ABSENT',
    });
    expect(db).toHaveReceivedCommandTimes(PutCommand, 2);
  });

  it('retries a mark that met a transaction, and marks it when the row was still free', async () => {
    db.on(PutCommand).rejectsOnce(conflict()).resolves({});
    await expect(attend({ studyId: 'S1', week: 2, accountId: 'P', now: NOW })).resolves.toMatchObject({
      status: 'ATTENDANCE',
    });
  });

  it('answers a clear 409 WRITE_CONFLICT, never a 5xx, when the mark keeps meeting transactions', async () => {
    db.on(PutCommand).rejects(conflict());
    await expect(attend({ studyId: 'S1', week: 2, accountId: 'P', now: NOW })).rejects.toMatchObject({
      status: 409,
      code: 'WRITE_CONFLICT',
    });
    expect(db).toHaveReceivedCommandTimes(PutCommand, 8);
  });

  it('refuses a non-participant (403) and an unknown week (404)', async () => {
    await expect(attend({ studyId: 'S1', week: 2, accountId: 'O', now: NOW })).rejects.toMatchObject({ status: 403 });
    await expect(attend({ studyId: 'S1', week: 9, accountId: 'P', now: NOW })).rejects.toMatchObject({ status: 404 });
  });

  it('lists every participant, PENDING when the week has no row for them', async () => {
    db.on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'STUDY#S1', ':member': 'MEMBER#' } }).resolves({
      Items: [{ accountId: 'P' }, { accountId: 'Q' }, { accountId: 'R' }],
    });
    db.on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'STUDY#S1#WEEK#000002' } }).resolves({
      Items: [
        { accountId: 'P', status: 'ATTENDANCE' },
        { accountId: 'R', status: 'ABSENCE' },
      ],
    });
    await expect(attendanceOf({ studyId: 'S1', week: 2, callerId: 'O' })).resolves.toEqual([
      { accountId: 'P', status: 'ATTENDANCE' },
      { accountId: 'Q', status: 'PENDING' },
      { accountId: 'R', status: 'ABSENCE' },
    ]);
  });
});

describe('deleting an account', () => {
  const deletedByBatch = () =>
    db
      .commandCalls(BatchWriteCommand)
      .flatMap((c) => (c.args[0].input.RequestItems?.['unit-table'] ?? []).map((r) => r.DeleteRequest?.Key));

  it('takes it out of the studies it joined: membership first, then its row of every week, its own mirror last', async () => {
    db.on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'STUDY#S1', ':week': 'WEEK#' } }).resolves({
      Items: [{ sk: 'WEEK#000001' }, { sk: 'WEEK#000002' }],
    });
    await leaveStudiesOf('P', [{ pk: 'ACCOUNT#P', sk: 'MEMBER_OF#S1' }]);
    expect(db.commandCalls(DeleteCommand).map((c) => c.args[0].input.Key)).toEqual([
      { pk: 'STUDY#S1', sk: 'MEMBER#P' },
      { pk: 'ACCOUNT#P', sk: 'MEMBER_OF#S1' },
    ]);
    expect(deletedByBatch()).toEqual([
      { pk: 'STUDY#S1#WEEK#000001', sk: 'MEMBER#P' },
      { pk: 'STUDY#S1#WEEK#000002', sk: 'MEMBER#P' },
    ]);
  });

  it('deletes the studies it owns: the study item first, then members and invitations on both sides, weeks and attendance, 25 to a request', async () => {
    const members = Array.from({ length: 30 }, (_, i) => ({ pk: 'STUDY#S1', sk: `MEMBER#M${i}` }));
    db.on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'STUDY#S1' } }).resolves({
      Items: [...members, { pk: 'STUDY#S1', sk: 'INVITE#I1' }, { pk: 'STUDY#S1', sk: 'WEEK#000001', week: 1 }],
    });
    db.on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'STUDY#S1#WEEK#000001' } }).resolves({
      Items: [{ pk: 'STUDY#S1#WEEK#000001', sk: 'MEMBER#M0' }],
    });
    await leaveStudiesOf('O', [{ pk: 'ACCOUNT#O', sk: 'OWNS#S1' }]);
    expect(db.commandCalls(DeleteCommand).map((c) => c.args[0].input.Key)).toEqual([{ pk: 'STUDY#S1', sk: 'META' }]);
    const deleted = deletedByBatch();
    expect(deleted).toHaveLength(30 * 2 + 2 + 2);
    expect(deleted).toEqual(
      expect.arrayContaining([
        { pk: 'STUDY#S1', sk: 'MEMBER#M29' },
        { pk: 'ACCOUNT#M29', sk: 'MEMBER_OF#S1' },
        { pk: 'STUDY#S1', sk: 'INVITE#I1' },
        { pk: 'ACCOUNT#I1', sk: 'INVITED_TO#S1' },
        { pk: 'STUDY#S1', sk: 'WEEK#000001' },
        { pk: 'STUDY#S1#WEEK#000001', sk: 'MEMBER#M0' },
      ]),
    );
    expect(
      db
        .commandCalls(BatchWriteCommand)
        .every((c) => (c.args[0].input.RequestItems?.['unit-table']?.length ?? 0) <= 25),
    ).toBe(true);
  });

  it('takes back its open invitations on the studies’ side', async () => {
    await leaveStudiesOf('P', [{ pk: 'ACCOUNT#P', sk: 'INVITED_TO#S2' }]);
    expect(deletedByBatch()).toEqual([
      { pk: 'STUDY#S2', sk: 'INVITE#P' },
      { pk: 'ACCOUNT#P', sk: 'INVITED_TO#S2' },
    ]);
  });

  it('retries a delete that met the batch’s transaction on the membership', async () => {
    db.on(QueryCommand).resolves({ Items: [] });
    db.on(DeleteCommand).rejectsOnce(conflict()).resolves({});
    await leaveStudiesOf('P', [{ pk: 'ACCOUNT#P', sk: 'MEMBER_OF#S1' }]);
    expect(db).toHaveReceivedCommandTimes(DeleteCommand, 3);
  });

  it('retries the deletes DynamoDB left unprocessed', async () => {
    db.on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'STUDY#S1', ':week': 'WEEK#' } }).resolves({
      Items: [{ sk: 'WEEK#000001' }],
    });
    const leftOver = [{ DeleteRequest: { Key: { pk: 'STUDY#S1#WEEK#000001', sk: 'MEMBER#P' } } }];
    db.on(BatchWriteCommand)
      .resolvesOnce({ UnprocessedItems: { 'unit-table': leftOver } })
      .resolves({});
    await leaveStudiesOf('P', [{ pk: 'ACCOUNT#P', sk: 'MEMBER_OF#S1' }]);
    expect(db).toHaveReceivedCommandTimes(BatchWriteCommand, 2);
  });
});
