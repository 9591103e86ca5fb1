import '../support/unit-env.ts';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { accept, invite, leaveOrDecline, openInvitations } from '../../lambdas/absence/invitations.ts';
import { handler } from '../../lambdas/api/handler.ts';
import { EXPIRES, EXPIRES_S, givenStudy, NOW, profileOf as profile, studyItem } from '../support/absence-items.ts';
import { apiEvent } from '../support/api-event.ts';
import { cancelled } from '../support/sdk-errors.ts';
import { db } from '../support/sdk-mocks.ts';

const NOW_ISO = '2026-11-22T10:00:00.000Z';
const study = studyItem({ name: 'algorithms', absencePenalty: 1000 });
const transactItems = (n = 0) => db.commandCalls(TransactWriteCommand)[n]?.args[0].input.TransactItems ?? [];
const keyOf = (i: ReturnType<typeof transactItems>[number]) => {
  const key = i.Put?.Item ?? i.Delete?.Key ?? i.ConditionCheck?.Key ?? i.Update?.Key;
  return `${key?.pk} ${key?.sk}`;
};

afterEach(() => {
  vi.restoreAllMocks();
});

beforeEach(() => {
  givenStudy(study);
  db.on(TransactWriteCommand).resolves({});
  db.on(BatchWriteCommand).resolves({});
  db.on(BatchGetCommand).resolves({ Responses: { 'unit-table': [] } });
});

describe('inviting', () => {
  it('makes an invitation, not a participant: both sides of it, and no membership', async () => {
    await expect(invite({ studyId: 'S1', callerId: 'O', accountId: 'P', now: NOW })).resolves.toEqual({
      studyId: 'S1',
      accountId: 'P',
      status: 'INVITED',
      invitedAt: NOW_ISO,
    });
    const items = transactItems();
    expect(items.map(keyOf)).toEqual([
      'ACCOUNT#P PROFILE',
      'STUDY#S1 META',
      'STUDY#S1 MEMBER#P',
      'STUDY#S1 INVITE#P',
      'ACCOUNT#P INVITED_TO#S1',
    ]);
    // The membership is only checked (absent), never written.
    expect(items[2]?.ConditionCheck?.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(items[4]?.Put?.Item).toMatchObject({ studyId: 'S1', name: 'algorithms', absencePenalty: 1000 });
  });

  it('lets a demo invitee’s invitation, on both sides, expire with it', async () => {
    db.on(GetCommand, { Key: { pk: 'ACCOUNT#P', sk: 'PROFILE' } }).resolves(profile('P', EXPIRES));
    await invite({ studyId: 'S1', callerId: 'O', accountId: 'P', now: NOW });
    expect(transactItems().flatMap((i) => (i.Put ? [i.Put.Item?.ttl] : []))).toEqual([EXPIRES_S, EXPIRES_S]);
  });

  it('answers 409 ALREADY_INVITED to a second invitation, and 409 ALREADY_PARTICIPANT to one who joined', async () => {
    db.on(TransactWriteCommand).rejects(cancelled(['None', 'None', 'None', 'ConditionalCheckFailed', 'None']));
    await expect(invite({ studyId: 'S1', callerId: 'O', accountId: 'P', now: NOW })).rejects.toMatchObject({
      status: 409,
      code: 'ALREADY_INVITED',
    });
    db.on(TransactWriteCommand).rejects(cancelled(['None', 'None', 'ConditionalCheckFailed', 'None', 'None']));
    await expect(invite({ studyId: 'S1', callerId: 'O', accountId: 'P', now: NOW })).rejects.toMatchObject({
      status: 409,
      code: 'ALREADY_PARTICIPANT',
    });
  });

  it('refuses the owner inviting itself with a 400 naming accountId, and writes nothing', async () => {
    await expect(invite({ studyId: 'S1', callerId: 'O', accountId: 'O', now: NOW })).rejects.toMatchObject({
      status: 400,
      details: [{ in: 'body', field: 'accountId', message: 'is the owner of the study' }],
    });
    expect(db).not.toHaveReceivedCommand(TransactWriteCommand);
  });

  it('refuses anyone but the owner (403), an unknown study (404), an unknown account (404)', async () => {
    await expect(invite({ studyId: 'S1', callerId: 'P', accountId: 'Q', now: NOW })).rejects.toMatchObject({
      status: 403,
    });
    await expect(invite({ studyId: 'S9', callerId: 'O', accountId: 'P', now: NOW })).rejects.toMatchObject({
      status: 404,
    });
    await expect(invite({ studyId: 'S1', callerId: 'O', accountId: 'NOBODY', now: NOW })).rejects.toMatchObject({
      status: 404,
    });
    // Deleted between the read and the write: the transaction's own check says so.
    db.on(TransactWriteCommand).rejects(cancelled(['ConditionalCheckFailed', 'None', 'None', 'None', 'None']));
    await expect(invite({ studyId: 'S1', callerId: 'O', accountId: 'P', now: NOW })).rejects.toMatchObject({
      status: 404,
    });
  });

  it('retries an invitation that met the batch’s transaction on the invitee’s profile', async () => {
    db.on(TransactWriteCommand)
      .rejectsOnce(cancelled(['TransactionConflict', 'None', 'None', 'None', 'None']))
      .resolves({});
    await expect(invite({ studyId: 'S1', callerId: 'O', accountId: 'P', now: NOW })).resolves.toMatchObject({
      status: 'INVITED',
    });
    expect(db).toHaveReceivedCommandTimes(TransactWriteCommand, 2);
  });

  it('lists the account’s open invitations with each study’s name and penalty', async () => {
    db.on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'ACCOUNT#P', ':invited': 'INVITED_TO#' } }).resolves({
      Items: [{ studyId: 'S1', name: 'algorithms', absencePenalty: 1000, invitedAt: NOW_ISO, ttl: 1 }],
    });
    await expect(openInvitations('P')).resolves.toEqual([
      { studyId: 'S1', name: 'algorithms', absencePenalty: 1000, invitedAt: NOW_ISO },
    ]);
  });
});

describe('accepting', () => {
  it('turns the invitation into a membership with joinedAt, in one transaction', async () => {
    await expect(accept({ studyId: 'S1', accountId: 'P', demo: false, now: NOW })).resolves.toEqual({
      studyId: 'S1',
      accountId: 'P',
      status: 'JOINED',
      joinedAt: NOW_ISO,
    });
    const items = transactItems();
    expect(items.map(keyOf)).toEqual([
      'STUDY#S1 META',
      'STUDY#S1 MEMBER#P',
      'STUDY#S1 INVITE#P',
      'ACCOUNT#P INVITED_TO#S1',
      'ACCOUNT#P MEMBER_OF#S1',
    ]);
    expect(items[1]?.Put).toMatchObject({
      Item: { joinedAt: NOW_ISO },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(items[2]?.Delete?.ConditionExpression).toBe('attribute_exists(pk)');
  });

  it('gives a demo participant’s membership, on both sides, its expiry', async () => {
    db.on(GetCommand, { Key: { pk: 'ACCOUNT#P', sk: 'PROFILE' } }).resolves(profile('P', EXPIRES));
    await accept({ studyId: 'S1', accountId: 'P', demo: true, now: NOW });
    expect(transactItems().flatMap((i) => (i.Put ? [i.Put.Item?.ttl] : []))).toEqual([EXPIRES_S, EXPIRES_S]);
  });

  it('answers 404 without an invitation, 409 ALREADY_PARTICIPANT when accepting twice', async () => {
    db.on(TransactWriteCommand).rejects(cancelled(['None', 'None', 'ConditionalCheckFailed', 'None', 'None']));
    await expect(accept({ studyId: 'S1', accountId: 'P', demo: false, now: NOW })).rejects.toMatchObject({
      status: 404,
      message: 'You have no invitation to this study',
    });
    // Accepting twice: the membership exists (and the invitation is gone too).
    db.on(TransactWriteCommand).rejects(
      cancelled(['None', 'ConditionalCheckFailed', 'ConditionalCheckFailed', 'None', 'None']),
    );
    await expect(accept({ studyId: 'S1', accountId: 'P', demo: false, now: NOW })).rejects.toMatchObject({
      status: 409,
      code: 'ALREADY_PARTICIPANT',
    });
  });

  it('retries an acceptance that met a transaction, and answers 409 WRITE_CONFLICT if it keeps meeting them', async () => {
    db.on(TransactWriteCommand).rejects(cancelled(['None', 'TransactionConflict', 'None', 'None', 'None']));
    await expect(accept({ studyId: 'S1', accountId: 'P', demo: false, now: NOW })).rejects.toMatchObject({
      status: 409,
      code: 'WRITE_CONFLICT',
    });
    expect(db).toHaveReceivedCommandTimes(TransactWriteCommand, 8);
  });
});

describe('declining and leaving', () => {
  const standing = (...sks: string[]) =>
    db.on(BatchGetCommand).resolves({ Responses: { 'unit-table': sks.map((sk) => ({ pk: 'ACCOUNT#P', sk })) } });

  it('declining removes the invitation on both sides', async () => {
    standing('INVITED_TO#S1');
    await leaveOrDecline({ studyId: 'S1', accountId: 'P' });
    const deleted = db
      .commandCalls(BatchWriteCommand)
      .flatMap((c) => (c.args[0].input.RequestItems?.['unit-table'] ?? []).map((r) => r.DeleteRequest?.Key));
    expect(deleted).toEqual([
      { pk: 'STUDY#S1', sk: 'INVITE#P' },
      { pk: 'ACCOUNT#P', sk: 'INVITED_TO#S1' },
    ]);
    expect(db).not.toHaveReceivedCommand(DeleteCommand);
  });

  it('leaving removes the membership first, so no later run judges the account', async () => {
    standing('MEMBER_OF#S1');
    db.on(QueryCommand).resolves({ Items: [{ sk: 'WEEK#000001' }] });
    await leaveOrDecline({ studyId: 'S1', accountId: 'P' });
    expect(db.commandCalls(DeleteCommand).map((c) => c.args[0].input.Key)).toEqual([
      { pk: 'STUDY#S1', sk: 'MEMBER#P' },
      { pk: 'ACCOUNT#P', sk: 'MEMBER_OF#S1' },
    ]);
  });

  it('answers 404 to an account neither invited nor taking part, and to an unknown study', async () => {
    await expect(leaveOrDecline({ studyId: 'S1', accountId: 'P' })).rejects.toMatchObject({ status: 404 });
    await expect(leaveOrDecline({ studyId: 'S9', accountId: 'P' })).rejects.toMatchObject({ status: 404 });
  });
});

describe('through the API, a TransactionConflict', () => {
  const TOKEN = 'sbt_participant';
  const SID = '01KB0000000000000000000000';

  it('on an attendance mark is retried or answered 409, never 500', async () => {
    db.on(GetCommand).resolves({ Item: { accountId: 'P', demo: false } });
    db.on(GetCommand, { Key: { pk: `STUDY#${SID}`, sk: 'META' } }).resolves({ Item: { ...study, studyId: SID } });
    db.on(GetCommand, { Key: { pk: `STUDY#${SID}`, sk: 'WEEK#000001' } }).resolves({
      Item: { studyId: SID, week: 1, startsAt: 'x', endsAt: 'y' },
    });
    const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
    const { TransactionConflictException } = await import('@aws-sdk/client-dynamodb');
    const conflict = new TransactionConflictException({ message: 'conflict', $metadata: {} });
    const mark = () => handler(apiEvent({ method: 'POST', path: `/studies/${SID}/weeks/1/attendance`, token: TOKEN }));

    db.on(PutCommand).rejectsOnce(conflict).resolves({});
    expect((await mark()).statusCode).toBe(201);

    db.on(PutCommand).rejects(conflict);
    const res = await mark();
    expect(res.statusCode).toBe(409);
    expect(JSON.parse(res.body ?? '{}').error.code).toBe('WRITE_CONFLICT');
  });
});
