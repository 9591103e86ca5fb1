// The alarm's life as a state machine: every status against every event that can reach it.
import '../support/unit-env.ts';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteScheduleCommand, UpdateScheduleCommand } from '@aws-sdk/client-scheduler';
import { ChangeMessageVisibilityCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import {
  BatchExecuteStatementCommand,
  type BatchExecuteStatementCommandInput,
  BatchGetCommand,
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ALARM_KIND, type AlarmStatus } from '../../lambdas/alarms/alarm-kind.ts';
import { cancelOwnAlarm, rescheduleOwnAlarm } from '../../lambdas/alarms/alarms.ts';
import { type FcmResult, sendPush } from '../../lambdas/alarms/fcm-client.ts';
import { handler } from '../../lambdas/alarms/send-due-alarm.handler.ts';
import { sendDueAlarm } from '../../lambdas/alarms/send-due-alarm.ts';
import { ConflictError } from '../../lambdas/shared/errors.ts';
import { RetryLaterError } from '../../lambdas/shared/sqs-batch.ts';
import { backoffSeconds } from '../../lambdas/timers/index.ts';
import { QUEUES } from '../../lib/definitions.ts';
import { cancelled } from '../support/sdk-errors.ts';
import { db, scheduler, sqs } from '../support/sdk-mocks.ts';
import { sqsRecord } from '../support/sqs-records.ts';
import { UNIT_ENV } from '../support/unit-env.ts';

vi.mock('../../lambdas/alarms/fcm-client.ts', () => ({ sendPush: vi.fn() }));

const push = vi.mocked(sendPush);

const ACCOUNT = '01JAAAAAAAAAAAAAAAAAAAAAAA';
const ALARM = '01JBBBBBBBBBBBBBBBBBBBBBBB';
const KEY = { pk: `ACCOUNT#${ACCOUNT}`, sk: `ALARM#${ALARM}` };
const MAX = QUEUES.alarmPush.maxReceiveCount;
const FINISHED: AlarmStatus[] = ['SENT', 'FAILED', 'CANCELLED'];
const owner = { accountId: ACCOUNT, demo: false };

const DEAD: FcmResult = { kind: 'dead-token', reason: 'UNREGISTERED' };
const UNAVAILABLE: FcmResult = { kind: 'retry-later', reason: 'FCM_UNAVAILABLE' };

/**
 * A one-off alarm item as the version before the timer core stored it: `countedOnProfile` absent (so
 * counted), `sentAt`, no `attempts` nor `counted`; its due-index entry the core's own (prefix 'ALARM').
 */
function stored(status: AlarmStatus, overrides: Record<string, unknown> = {}) {
  const fireAt = String(overrides.fireAt ?? dueJustNow);
  return {
    ...KEY,
    type: 'alarm',
    alarmId: ALARM,
    accountId: ACCOUNT,
    status,
    fireAt,
    title: 'Stand up',
    body: 'Daily meeting',
    data: { room: '4' },
    deviceToken: 'device-1',
    createdAt: new Date(Date.now() - 60_000).toISOString(),
    version: 2,
    ...(status === 'PENDING' ? { duePk: `ALARM#${fireAt.slice(0, 13)}`, dueAt: fireAt } : {}),
    ...(status === 'SENT' ? { sentAt: new Date().toISOString() } : {}),
    ...(status === 'FAILED' ? { failureReason: 'UNREGISTERED' } : {}),
    ...overrides,
  };
}

/** The default fireAt of a test's alarm: 200 ms before the test began, the same for every read of it. */
let dueJustNow = '';
beforeEach(() => {
  dueJustNow = new Date(Date.now() - 200).toISOString();
});

/** A message of the version before the core, from before messages named their fireAt: the item says it. */
const message = (version = 2) => ({ kind: 'send-due-alarm' as const, accountId: ACCOUNT, alarmId: ALARM, version });
/** The core's message of the occurrence: what every alarm is armed with now. */
const occurrence = (version: number, dueAt: string) => ({
  kind: 'send-due-alarm' as const,
  accountId: ACCOUNT,
  id: ALARM,
  version,
  dueAt,
});
const delivery = (receiveCount = 1) => ({ receiveCount, receiptHandle: 'receipt-1' });

const statusOf = (values: Record<string, unknown> | undefined) => values?.[':status'] ?? values?.[':cancelled'];

/** Every status the alarm was moved to, in order. */
function statusWrites(): string[] {
  const fromTransactions = db
    .commandCalls(TransactWriteCommand)
    .flatMap((c) => c.args[0].input.TransactItems ?? [])
    .map((i) => statusOf(i.Update?.ExpressionAttributeValues));
  const fromUpdates = db.commandCalls(UpdateCommand).map((c) => statusOf(c.args[0].input.ExpressionAttributeValues));
  return [...fromTransactions, ...fromUpdates].filter((s): s is string => typeof s === 'string');
}

function claims() {
  return db
    .commandCalls(UpdateCommand)
    .filter((c) => c.args[0].input.UpdateExpression?.includes('#claimedUntil = :until'));
}

beforeEach(() => {
  db.reset();
  scheduler.reset();
  sqs.reset();
  push.mockReset();
  push.mockResolvedValue({ kind: 'accepted' });
  // A claim returns the alarm it claimed (ReturnValues ALL_NEW); other updates ignore the answer.
  db.on(UpdateCommand).resolves({ Attributes: stored('PENDING') });
  db.on(TransactWriteCommand).resolves({});
  sqs.on(ChangeMessageVisibilityCommand).resolves({});
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm' });
  scheduler.on(UpdateScheduleCommand).resolves({});
  scheduler.on(DeleteScheduleCommand).resolves({});
});

describe.each(FINISHED)('a %s alarm', (status) => {
  beforeEach(() => {
    db.on(GetCommand).resolves({ Item: stored(status) });
  });

  it('ignores a fire message of its current version: no push, no write', async () => {
    await expect(sendDueAlarm(message(2), delivery())).resolves.toEqual({ outcome: 'not-pending' });
    expect(push).not.toHaveBeenCalled();
    expect(statusWrites()).toEqual([]);
    expect(claims()).toHaveLength(0);
  });

  it('ignores a fire message of a stale version', async () => {
    await expect(sendDueAlarm(message(1), delivery())).resolves.toEqual({ outcome: 'not-pending' });
    expect(push).not.toHaveBeenCalled();
    expect(statusWrites()).toEqual([]);
  });

  it('refuses to be rescheduled with 409 and keeps its schedule state', async () => {
    const error = await rescheduleOwnAlarm(owner, ALARM, Date.now() + 60_000, Date.now()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).code).toBe('ALARM_NOT_PENDING');
    expect(db).not.toHaveReceivedCommand(UpdateCommand);
    expect(scheduler).not.toHaveReceivedAnyCommand();
  });

  it('refuses to be cancelled with 409', async () => {
    const error = await cancelOwnAlarm(ACCOUNT, ALARM, Date.now()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(statusWrites()).toEqual([]);
    expect(scheduler).not.toHaveReceivedAnyCommand();
  });

  it.each([
    ['FCM ok', { kind: 'accepted' } as FcmResult],
    ['FCM dead token', DEAD],
    ['FCM 503 with budget left', UNAVAILABLE],
  ])('never reaches FCM, so %s changes nothing', async (_name, result) => {
    push.mockResolvedValue(result);
    await sendDueAlarm(message(2), delivery(2));
    expect(push).not.toHaveBeenCalled();
    expect(statusWrites()).toEqual([]);
    expect(sqs).not.toHaveReceivedCommand(ChangeMessageVisibilityCommand);
  });

  it('never reaches FCM, so FCM 503 with the budget spent does not turn it FAILED', async () => {
    push.mockResolvedValue(UNAVAILABLE);
    await expect(sendDueAlarm(message(2), delivery(MAX))).resolves.toEqual({ outcome: 'not-pending' });
    expect(statusWrites()).toEqual([]);
  });

  it('drops a duplicate delivery at once, claimed or not', async () => {
    db.on(GetCommand).resolves({ Item: stored(status, { claimedUntil: Date.now() + 10_000, claimedBy: 'other' }) });
    await expect(sendDueAlarm(message(2), delivery())).resolves.toEqual({ outcome: 'not-pending' });
    expect(sqs).not.toHaveReceivedAnyCommand();
  });
});

describe('a PENDING alarm', () => {
  beforeEach(() => {
    db.on(GetCommand).resolves({ Item: stored('PENDING') });
  });

  it('is claimed, pushed once and recorded SENT on a fire message of its current version', async () => {
    const report = await sendDueAlarm(message(2), delivery());
    expect(report.outcome).toBe('sent');
    expect(report.lagMs).toBeGreaterThanOrEqual(0);
    expect(push).toHaveBeenCalledTimes(1);
    expect(push).toHaveBeenCalledWith({
      alarmId: ALARM,
      deviceToken: 'device-1',
      title: 'Stand up',
      body: 'Daily meeting',
      data: { room: '4' },
    });
    const claim = claims()[0]?.args[0].input;
    expect(claim?.ConditionExpression).toContain('#version = :v');
    expect(claim?.ExpressionAttributeValues?.[':v']).toBe(2);
    const until = Number(claim?.ExpressionAttributeValues?.[':until']);
    expect(until - Date.now()).toBeGreaterThan(ALARM_KIND.claimMs - 2000);
    expect(statusWrites()).toEqual(['SENT']);
  });

  it('ignores a fire message of a stale version (rescheduled or cancelled since)', async () => {
    await expect(sendDueAlarm(message(1), delivery())).resolves.toEqual({ outcome: 'stale' });
    expect(push).not.toHaveBeenCalled();
    expect(claims()).toHaveLength(0);
  });

  it('is rescheduled: new fireAt, version bumped, the same schedule moved with the new version', async () => {
    const fireAt = Date.parse('2030-01-01T09:00:00.000Z');
    db.on(UpdateCommand).resolves({
      Attributes: stored('PENDING', { fireAt: '2030-01-01T09:00:00.000Z', version: 3 }),
    });
    const moved = await rescheduleOwnAlarm(owner, ALARM, fireAt, Date.now());
    expect(moved).toMatchObject({ status: 'PENDING', version: 3, fireAt: '2030-01-01T09:00:00.000Z' });
    const update = db.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(update?.ConditionExpression).toContain('#status = :expected AND #version = :v');
    expect(update?.ExpressionAttributeValues).toMatchObject({ ':v': 2, ':next': 3, ':duePk': 'ALARM#2030-01-01T09' });
    const schedule = scheduler.commandCalls(UpdateScheduleCommand)[0]?.args[0].input;
    expect(schedule).toMatchObject({
      GroupName: 'alarms',
      Name: `alarm-${ALARM}`,
      // A minute and a margin early: the Scheduler's window cannot make it late (README "On time").
      ScheduleExpression: 'at(2030-01-01T08:58:50)',
    });
    expect(JSON.parse(schedule?.Target?.Input ?? '{}')).toEqual(occurrence(3, '2030-01-01T09:00:00.000Z'));
  });

  it('is cancelled: CANCELLED with its version bumped, counted off its account, schedule deleted', async () => {
    const cancelled = await cancelOwnAlarm(ACCOUNT, ALARM, Date.now());
    expect(cancelled).toMatchObject({ status: 'CANCELLED', version: 3 });
    const [alarmUpdate, profileUpdate] = db.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(alarmUpdate?.Update?.UpdateExpression).toContain('REMOVE #duePk, #dueAt');
    expect(profileUpdate?.Update?.Key).toEqual({ pk: `ACCOUNT#${ACCOUNT}`, sk: 'PROFILE' });
    expect(profileUpdate?.Update?.UpdateExpression).toContain('#pending - :one');
    expect(statusWrites()).toEqual(['CANCELLED']);
    expect(scheduler).toHaveReceivedCommandWith(DeleteScheduleCommand, { GroupName: 'alarms', Name: `alarm-${ALARM}` });
  });

  it('with FCM ok becomes SENT with its finish time, leaves the due index and its account count, no history item', async () => {
    await sendDueAlarm(message(2), delivery());
    const items = db.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items).toHaveLength(2);
    const [alarmUpdate, profileUpdate] = items;
    expect(alarmUpdate?.Update?.UpdateExpression).toMatch(
      /SET #status = :status, #finished = :finished REMOVE #duePk, #claimedUntil, #claimedBy/,
    );
    expect(alarmUpdate?.Update?.ConditionExpression).toContain('#claimedBy = :attempt');
    expect(Date.parse(String(alarmUpdate?.Update?.ExpressionAttributeValues?.[':finished']))).not.toBeNaN();
    expect(profileUpdate?.Update?.UpdateExpression).toContain('#pending - :one');
  });

  it('with a dead token becomes FAILED with the reason, after exactly one FCM call and no retry', async () => {
    push.mockResolvedValue(DEAD);
    await expect(sendDueAlarm(message(2), delivery())).resolves.toEqual({
      outcome: 'failed',
      failureReason: 'UNREGISTERED',
    });
    expect(push).toHaveBeenCalledTimes(1);
    expect(statusWrites()).toEqual(['FAILED']);
    const alarmUpdate = db.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems?.[0];
    expect(alarmUpdate?.Update?.ExpressionAttributeValues?.[':reason']).toBe('UNREGISTERED');
    expect(sqs).not.toHaveReceivedCommand(ChangeMessageVisibilityCommand);
  });

  it('with FCM 503 and budget left stays PENDING, frees its claim and comes back after a backoff', async () => {
    push.mockResolvedValue(UNAVAILABLE);
    await expect(sendDueAlarm(message(2), delivery(3))).rejects.toBeInstanceOf(RetryLaterError);
    expect(statusWrites()).toEqual([]);
    const release = db
      .commandCalls(UpdateCommand)
      .find((c) => c.args[0].input.UpdateExpression === 'SET #retryAt = :retryAt REMOVE #claimedUntil, #claimedBy');
    expect(release?.args[0].input.ConditionExpression).toBe('#claimedBy = :attempt');
    const visibility = sqs.commandCalls(ChangeMessageVisibilityCommand)[0]?.args[0].input;
    expect(visibility).toMatchObject({ QueueUrl: UNIT_ENV.ALARM_PUSH_QUEUE_URL, ReceiptHandle: 'receipt-1' });
    // Third receive: full jitter within 2 * 2^2 = 8 s.
    expect(visibility?.VisibilityTimeout).toBeGreaterThanOrEqual(1);
    expect(visibility?.VisibilityTimeout).toBeLessThanOrEqual(8);
  });

  it('with FCM 503 honours Retry-After instead of its own backoff', async () => {
    push.mockResolvedValue({ kind: 'retry-later', reason: 'FCM_UNAVAILABLE', retryAfterSeconds: 42 });
    await expect(sendDueAlarm(message(2), delivery(1))).rejects.toBeInstanceOf(RetryLaterError);
    expect(sqs).toHaveReceivedCommandWith(ChangeMessageVisibilityCommand, { VisibilityTimeout: 42 });
  });

  it('with FCM 503 and the budget spent becomes FAILED, and its record still fails towards the DLQ', async () => {
    push.mockResolvedValue(UNAVAILABLE);
    await expect(sendDueAlarm(message(2), delivery(MAX))).rejects.toBeInstanceOf(RetryLaterError);
    expect(statusWrites()).toEqual(['FAILED']);
    const alarmUpdate = db.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems?.[0];
    expect(alarmUpdate?.Update?.ExpressionAttributeValues?.[':reason']).toBe('FCM_UNAVAILABLE');
  });

  it('delivered twice while the first copy holds the claim: no second push, the copy comes back after the claim', async () => {
    const claimedUntil = Date.now() + 20_000;
    db.on(GetCommand)
      .resolvesOnce({ Item: stored('PENDING') })
      .resolves({ Item: stored('PENDING', { claimedUntil, claimedBy: 'first' }) });
    db.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'held', $metadata: {} }));
    await expect(sendDueAlarm(message(2), delivery())).rejects.toBeInstanceOf(RetryLaterError);
    expect(push).not.toHaveBeenCalled();
    const visibility = sqs.commandCalls(ChangeMessageVisibilityCommand)[0]?.args[0].input.VisibilityTimeout ?? 0;
    expect(visibility).toBeGreaterThanOrEqual(20);
    expect(visibility).toBeLessThanOrEqual(22);
  });

  it('delivered twice with the copy out of receives: the copy is dropped, the holder finishes the job', async () => {
    db.on(GetCommand)
      .resolvesOnce({ Item: stored('PENDING') })
      .resolves({ Item: stored('PENDING', { claimedUntil: Date.now() + 20_000, claimedBy: 'first' }) });
    db.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'held', $metadata: {} }));
    await expect(sendDueAlarm(message(2), delivery(MAX))).resolves.toEqual({ outcome: 'duplicate-dropped' });
    expect(push).not.toHaveBeenCalled();
  });

  it('refuses reschedule and cancel with 409 while it is being sent', async () => {
    db.on(GetCommand).resolves({ Item: stored('PENDING', { claimedUntil: Date.now() + 20_000, claimedBy: 'first' }) });
    await expect(cancelOwnAlarm(ACCOUNT, ALARM, Date.now())).rejects.toBeInstanceOf(ConflictError);
    await expect(rescheduleOwnAlarm(owner, ALARM, Date.now() + 60_000, Date.now())).rejects.toBeInstanceOf(
      ConflictError,
    );
    expect(statusWrites()).toEqual([]);
  });

  it('is picked up again once a crashed holder’s claim has run out', async () => {
    db.on(GetCommand).resolves({ Item: stored('PENDING', { claimedUntil: Date.now() - 1, claimedBy: 'crashed' }) });
    await expect(sendDueAlarm(message(2), delivery(2))).resolves.toMatchObject({ outcome: 'sent' });
    expect(claims()[0]?.args[0].input.ConditionExpression).toContain('#claimedUntil < :now');
  });

  it('coming early waits on the queue: re-sent with a delay towards fireAt, no push yet', async () => {
    db.on(GetCommand).resolves({ Item: stored('PENDING', { fireAt: new Date(Date.now() + 3_600_000).toISOString() }) });
    await expect(sendDueAlarm(message(2), delivery())).resolves.toEqual({ outcome: 'early' });
    const hop = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(hop?.DelaySeconds).toBe(900);
    // The hop carries the core's message, naming the occurrence the item gave.
    expect(JSON.parse(hop?.MessageBody ?? '{}')).toMatchObject({ id: ALARM, version: 2, dueAt: expect.any(String) });
    expect(push).not.toHaveBeenCalled();
    expect(claims()).toHaveLength(0);
  });

  it('coming in its last two seconds waits out the rest, then is claimed and pushed at fireAt, not before', async () => {
    const fireAt = Date.now() + 1_400;
    db.on(GetCommand).resolves({ Item: stored('PENDING', { fireAt: new Date(fireAt).toISOString() }) });
    let pushedAt = 0;
    push.mockImplementation(async () => {
      pushedAt = Date.now();
      return { kind: 'accepted' };
    });
    await expect(sendDueAlarm(message(2), delivery())).resolves.toMatchObject({ outcome: 'sent' });
    expect(push).toHaveBeenCalledTimes(1);
    expect(pushedAt).toBeGreaterThanOrEqual(fireAt);
    // Claimed only at fireAt: until then the alarm may still be moved or cancelled.
    const claimedAt = Number(claims()[0]?.args[0].input.ExpressionAttributeValues?.[':now']);
    expect(claimedAt).toBeGreaterThanOrEqual(fireAt);
  });

  it('carrying its fireAt, is claimed with no read first: two requests in all (claim, finish)', async () => {
    const alarm = stored('PENDING', { countedOnProfile: false });
    db.on(UpdateCommand).resolves({ Attributes: alarm });
    await expect(sendDueAlarm({ ...message(2), fireAt: alarm.fireAt }, delivery())).resolves.toMatchObject({
      outcome: 'sent',
    });
    expect(db).not.toHaveReceivedCommand(GetCommand);
    expect(db).not.toHaveReceivedCommand(TransactWriteCommand);
    expect(db.calls()).toHaveLength(2);
    expect(statusWrites()).toEqual(['SENT']);
  });

  it('on the core’s message, with its record on the item, is two requests in all (claim, finish)', async () => {
    const alarm = stored('PENDING', { counted: false, attempts: 0 });
    db.on(UpdateCommand).resolves({ Attributes: alarm });
    await expect(sendDueAlarm(occurrence(2, alarm.fireAt), delivery())).resolves.toMatchObject({ outcome: 'sent' });
    expect(db).not.toHaveReceivedCommand(TransactWriteCommand);
    expect(db.calls()).toHaveLength(2);
    expect(statusWrites()).toEqual(['SENT']);
  });

  it('on a core message of another occurrence (moved since) is stale: no push', async () => {
    const alarm = stored('PENDING');
    db.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'moved', $metadata: {} }));
    const other = new Date(Date.parse(alarm.fireAt) - 60_000).toISOString();
    await expect(sendDueAlarm(occurrence(2, other), delivery())).resolves.toEqual({ outcome: 'stale' });
    expect(push).not.toHaveBeenCalled();
  });

  it('carrying its fireAt and coming a minute early, is held on the queue with no DynamoDB request', async () => {
    const fireAt = new Date(Date.now() + 45_500).toISOString();
    await expect(sendDueAlarm({ ...message(2), fireAt }, delivery())).resolves.toEqual({ outcome: 'early' });
    expect(db.calls()).toHaveLength(0);
    expect(sqs.commandCalls(SendMessageCommand)[0]?.args[0].input.DelaySeconds).toBe(44);
  });

  it('is recorded FAILED even when its account is being deleted (the counter is gone)', async () => {
    push.mockResolvedValue(DEAD);
    db.on(TransactWriteCommand).rejects(cancelled(['None', 'ConditionalCheckFailed']));
    await expect(sendDueAlarm(message(2), delivery())).resolves.toMatchObject({ outcome: 'failed' });
    // The transaction with the counter was refused, so the status change is made on its own.
    const alone = db.commandCalls(UpdateCommand).at(-1)?.args[0].input;
    expect(alone?.ExpressionAttributeValues?.[':status']).toBe('FAILED');
    expect(alone?.ConditionExpression).toContain('#claimedBy = :attempt');
  });
});

describe('the retry backoff', () => {
  it('grows exponentially with full jitter and is capped at 300 s', () => {
    expect(backoffSeconds(1, () => 0.999)).toBe(2);
    expect(backoffSeconds(4, () => 0.999)).toBe(16);
    expect(backoffSeconds(20, () => 0.999)).toBe(300);
    expect(backoffSeconds(20, () => 0)).toBe(1);
    const draws = Array.from({ length: 200 }, () => backoffSeconds(6));
    expect(new Set(draws).size).toBeGreaterThan(10);
    expect(Math.max(...draws)).toBeLessThanOrEqual(64);
  });
});

describe('an alarm that no longer exists (its account was deleted)', () => {
  it('drops its fire message without a push or a write', async () => {
    db.on(GetCommand).resolves({});
    await expect(sendDueAlarm(message(2), delivery())).resolves.toEqual({ outcome: 'absent' });
    expect(push).not.toHaveBeenCalled();
    expect(db).not.toHaveReceivedCommand(UpdateCommand);
    expect(db).not.toHaveReceivedCommand(TransactWriteCommand);
  });
});

describe('the push consumer', () => {
  const record = (messageId: string, body: unknown, receiveCount = 1) =>
    sqsRecord(messageId, body, receiveCount, UNIT_ENV.ALARM_PUSH_QUEUE_ARN);

  it('fails only the records that must come back: a retry and a malformed message, not the sent one', async () => {
    const other = '01JCCCCCCCCCCCCCCCCCCCCCCC';
    db.on(GetCommand).resolves({ Item: stored('PENDING') });
    const otherAlarm = stored('PENDING', { alarmId: other, sk: `ALARM#${other}`, deviceToken: 'device-2' });
    db.on(GetCommand, { Key: { pk: `ACCOUNT#${ACCOUNT}`, sk: `ALARM#${other}` } }).resolves({ Item: otherAlarm });
    db.on(UpdateCommand, { Key: { pk: `ACCOUNT#${ACCOUNT}`, sk: `ALARM#${other}` } }).resolves({
      Attributes: otherAlarm,
    });
    // The two claims, asked in the same turn, are coalesced: one statement request, one read of both.
    const claimedBy = new Map<string, unknown>();
    db.on(BatchExecuteStatementCommand).callsFake((input: BatchExecuteStatementCommandInput) => {
      for (const s of input.Statements ?? []) claimedBy.set(String(s.Parameters?.[3]), s.Parameters?.[1]);
      return { Responses: (input.Statements ?? []).map(() => ({ TableName: UNIT_ENV.TABLE_NAME })) };
    });
    db.on(BatchGetCommand).callsFake(() => ({
      Responses: {
        [UNIT_ENV.TABLE_NAME]: [stored('PENDING'), otherAlarm].map((item) => ({
          ...item,
          claimedBy: claimedBy.get(item.sk),
        })),
      },
    }));
    push.mockImplementation(async (p) => (p.deviceToken === 'device-2' ? UNAVAILABLE : { kind: 'accepted' }));
    const event: SQSEvent = {
      Records: [
        record('ok', message(2)),
        record('retry', { ...message(2), alarmId: other }),
        record('junk', '{"kind":"nope"'),
      ],
    };
    const result = await handler(event);
    expect(result.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['junk', 'retry']);
    expect(sqs).toHaveReceivedCommandWith(ChangeMessageVisibilityCommand, { ReceiptHandle: 'receipt-retry' });
    expect(statusWrites()).toEqual(['SENT']);
    expect(db.commandCalls(BatchExecuteStatementCommand)[0]?.args[0].input.Statements).toHaveLength(2);
  });
});
