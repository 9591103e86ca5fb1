// The push consumer for recurring alarms and conditions: one push per occurrence, its record and the
// next occurrence in one transaction, and what each kind of condition answer makes of a fire.
import '../support/unit-env.ts';
import { CreateScheduleCommand, UpdateScheduleCommand } from '@aws-sdk/client-scheduler';
import { ChangeMessageVisibilityCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { type FcmResult, sendPush } from '../../lambdas/alarms/fcm-client.ts';
import { sendDueAlarm } from '../../lambdas/alarms/send-due-alarm.ts';
import { type OutboundOutcome, signedPost } from '../../lambdas/shared/outbound/signed-post.ts';
import { nextOccurrence } from '../../lambdas/shared/recurrence.ts';
import { RetryLaterError } from '../../lambdas/shared/sqs-batch.ts';
import { DEFAULTS, QUEUES } from '../../lib/definitions.ts';
import { cancelled } from '../support/sdk-errors.ts';
import { db, scheduler, sqs } from '../support/sdk-mocks.ts';

vi.mock('../../lambdas/alarms/fcm-client.ts', () => ({ sendPush: vi.fn() }));
vi.mock('../../lambdas/shared/outbound/signed-post.ts', () => ({ signedPost: vi.fn() }));

const push = vi.mocked(sendPush);
const hook = vi.mocked(signedPost);

const ACCOUNT = '01JAAAAAAAAAAAAAAAAAAAAAAA';
const ALARM = '01JBBBBBBBBBBBBBBBBBBBBBBB';
const KEY = { pk: `ACCOUNT#${ACCOUNT}`, sk: `ALARM#${ALARM}` };
const MAX = QUEUES.alarmPush.maxReceiveCount;
const EVERY_MINUTE = { cron: '* * * * *', timezone: 'UTC' };
const URL = 'https://hooks.example.com/still-unanswered';

/** The occurrence due now: the start of this minute (a message for it arrives at that second). */
const thisMinute = () => new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();

function stored(overrides: Record<string, unknown> = {}) {
  const fireAt = (overrides.fireAt as string | undefined) ?? thisMinute();
  return {
    dueAt: fireAt,
    ...KEY,
    type: 'alarm',
    alarmId: ALARM,
    accountId: ACCOUNT,
    status: 'PENDING',
    repeat: EVERY_MINUTE,
    fireAt: thisMinute(),
    title: 'Today’s question',
    body: 'What made you laugh today?',
    data: { family: 'kim' },
    deviceToken: 'device-1',
    createdAt: new Date(Date.now() - 3_600_000).toISOString(),
    version: 2,
    duePk: `ALARM#${fireAt.slice(0, 13)}`,
    ...overrides,
  };
}

const message = (version = 2) => ({ kind: 'send-due-alarm' as const, accountId: ACCOUNT, alarmId: ALARM, version });
const delivery = (receiveCount = 1) => ({ receiveCount, receiptHandle: 'receipt-1' });
const success = (body: unknown): OutboundOutcome => ({
  kind: 'success',
  status: 200,
  body: JSON.stringify(body),
  truncated: false,
  durationMs: 12,
});

/** The items of the completing transaction, by role. */
function completion() {
  const items = db.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
  const updates = items.filter((i) => i.Update).map((i) => i.Update);
  return {
    record: items.find((i) => i.Put)?.Put,
    alarm: updates.find((u) => String(u?.Key?.sk).startsWith('ALARM#')),
    profile: updates.find((u) => u?.Key?.sk === 'PROFILE'),
    count: items.length,
  };
}

/** The message that arms the next occurrence, whichever way it went (schedule or delayed message). */
function armedMessages(): unknown[] {
  const viaQueue = sqs.commandCalls(SendMessageCommand).map((c) => JSON.parse(c.args[0].input.MessageBody ?? '{}'));
  const viaSchedule = [
    ...scheduler.commandCalls(CreateScheduleCommand),
    ...scheduler.commandCalls(UpdateScheduleCommand),
  ].map((c) => JSON.parse(c.args[0].input.Target?.Input ?? '{}'));
  return [...viaQueue, ...viaSchedule];
}

/** The item the core's claim returns (it claims with ReturnValues, no read first). */
function claimed(item: Record<string, unknown>) {
  db.on(GetCommand, { Key: KEY }).resolves({ Item: item });
  db.on(UpdateCommand).callsFake((input) =>
    String(input.UpdateExpression).includes('#claimedUntil = :until')
      ? { Attributes: { ...item, claimedBy: input.ExpressionAttributeValues[':attempt'], attempts: 1 } }
      : {},
  );
}

beforeEach(() => {
  db.reset();
  scheduler.reset();
  sqs.reset();
  push.mockReset();
  hook.mockReset();
  push.mockResolvedValue({ kind: 'accepted' });
  claimed(stored());
  db.on(GetCommand, { Key: { pk: KEY.pk, sk: 'SIGNING_SECRET' } }).resolves({ Item: { signingSecret: 'whsec_s' } });
  claimed(stored());
  db.on(TransactWriteCommand).resolves({});
  sqs.on(ChangeMessageVisibilityCommand).resolves({});
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm' });
  scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn' });
});

describe('an occurrence of a recurring alarm', () => {
  it('makes one push carrying occurrenceAt, records it and moves to the next occurrence in one transaction', async () => {
    const fireAt = thisMinute();
    const report = await sendDueAlarm(message(2), delivery());
    expect(report.outcome).toBe('sent');
    expect(push).toHaveBeenCalledTimes(1);
    expect(push.mock.calls[0]?.[0]).toMatchObject({ alarmId: ALARM, occurrenceAt: fireAt, data: { family: 'kim' } });

    const { record, alarm, count } = completion();
    expect(count).toBe(2);
    expect(record?.Item).toMatchObject({ sk: `ALARM_OCC#${ALARM}#${fireAt}`, dueAt: fireAt, status: 'SENT' });
    expect(record?.ConditionExpression).toBe('attribute_not_exists(pk)');
    const next = new Date(Date.parse(fireAt) + 60_000).toISOString();
    expect(alarm?.ConditionExpression).toContain('#claimedBy = :attempt');
    expect(alarm?.ExpressionAttributeValues).toMatchObject({ ':dueAt': next, ':next': 3 });
    expect(armedMessages()).toEqual([expect.objectContaining({ id: ALARM, version: 3 })]);
  });

  it('is not pushed again by a second copy of its message once it is done (the version moved on)', async () => {
    await sendDueAlarm(message(2), delivery());
    db.on(GetCommand, { Key: KEY }).resolves({
      Item: stored({ version: 3, fireAt: new Date(Date.now() + 60_000).toISOString() }),
    });
    await expect(sendDueAlarm(message(2), delivery())).resolves.toEqual({ outcome: 'stale' });
    expect(push).toHaveBeenCalledTimes(1);
  });

  it('arms nothing when another attempt recorded the occurrence first', async () => {
    db.on(TransactWriteCommand).rejects(cancelled(['ConditionalCheckFailed', 'None']));
    await expect(sendDueAlarm(message(2), delivery())).resolves.toMatchObject({ outcome: 'lost-claim' });
    expect(armedMessages()).toEqual([]);
  });

  it('skips occurrences missed while it was late: the next is the first after now', async () => {
    db.on(GetCommand, { Key: KEY }).resolves({
      Item: stored({ fireAt: new Date(Date.now() - 10 * 60_000).toISOString() }),
    });
    await sendDueAlarm(message(2), delivery());
    const next = Date.parse(String(completion().alarm?.ExpressionAttributeValues?.[':dueAt']));
    expect(next).toBe(nextOccurrence(EVERY_MINUTE, Date.now()));
  });

  it('ends SENT after its last occurrence (past until), counted off its account, arming nothing', async () => {
    claimed(stored({ repeat: { ...EVERY_MINUTE, until: thisMinute() }, counted: true }));
    await sendDueAlarm(message(2), delivery());
    const { alarm, profile } = completion();
    expect(alarm?.ExpressionAttributeValues).toMatchObject({ ':status': 'SENT' });
    expect(alarm?.UpdateExpression).toContain('REMOVE #duePk');
    expect(profile?.UpdateExpression).toBe('SET #pending = #pending - :one');
    expect(armedMessages()).toEqual([]);
  });

  it('stops the alarm FAILED when the device token is dead: no further occurrence is tried', async () => {
    claimed(stored({ counted: true }));
    push.mockResolvedValue({ kind: 'dead-token', reason: 'UNREGISTERED' });
    await sendDueAlarm(message(2), delivery());
    const { record, alarm } = completion();
    expect(record?.Item).toMatchObject({ status: 'FAILED', reason: 'UNREGISTERED' });
    expect(alarm?.ExpressionAttributeValues).toMatchObject({ ':status': 'FAILED', ':reason': 'UNREGISTERED' });
    expect(armedMessages()).toEqual([]);
  });

  it('is FAILED when FCM stays down for the whole budget, and the alarm goes on to its next occurrence', async () => {
    push.mockResolvedValue({ kind: 'retry-later', reason: 'FCM_UNAVAILABLE' } satisfies FcmResult);
    await expect(sendDueAlarm(message(2), delivery(MAX))).rejects.toBeInstanceOf(RetryLaterError);
    const { record, alarm } = completion();
    expect(record?.Item).toMatchObject({ status: 'FAILED', reason: 'FCM_UNAVAILABLE' });
    expect(alarm?.ExpressionAttributeValues).not.toHaveProperty(':status');
    expect(armedMessages()).toEqual([expect.objectContaining({ version: 3 })]);
  });
});

describe('a condition checked at fire time', () => {
  beforeEach(() => {
    claimed(stored({ condition: { url: URL } }));
  });

  it('is asked with a signed POST of {alarmId, fireAt, data} within 5 s; send: true pushes as booked', async () => {
    hook.mockResolvedValue(success({ send: true }));
    await sendDueAlarm(message(2), delivery());
    expect(hook).toHaveBeenCalledWith({
      url: URL,
      body: { alarmId: ALARM, fireAt: thisMinute(), data: { family: 'kim' } },
      secret: 'whsec_s',
      timeoutMs: DEFAULTS.conditionTimeoutMs,
    });
    expect(push.mock.calls[0]?.[0]).toMatchObject({ title: 'Today’s question', body: 'What made you laugh today?' });
  });

  it('pushes the answer’s own text and data instead of the booked ones', async () => {
    hook.mockResolvedValue(success({ send: true, title: 'Still waiting', data: { answered: 'parent' } }));
    await sendDueAlarm(message(2), delivery());
    expect(push.mock.calls[0]?.[0]).toMatchObject({
      title: 'Still waiting',
      body: 'What made you laugh today?',
      data: { answered: 'parent' },
    });
  });

  it('answered {"send": false}: no push, the occurrence SKIPPED with CONDITION_FALSE, the alarm goes on', async () => {
    hook.mockResolvedValue(success({ send: false }));
    await expect(sendDueAlarm(message(2), delivery())).resolves.toMatchObject({ outcome: 'skipped' });
    expect(push).not.toHaveBeenCalled();
    expect(completion().record?.Item).toMatchObject({ status: 'SKIPPED', reason: 'CONDITION_FALSE' });
    expect(armedMessages()).toEqual([expect.objectContaining({ version: 3 })]);
  });

  it('makes a one-off alarm SKIPPED with CONDITION_FALSE', async () => {
    claimed(stored({ repeat: undefined, condition: { url: URL } }));
    hook.mockResolvedValue(success({ send: false }));
    await sendDueAlarm(message(2), delivery());
    expect(push).not.toHaveBeenCalled();
    // A one-off alarm's record is the alarm itself: its update and its count, no history item.
    const items = db.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items.filter((i) => i.Put)).toEqual([]);
    expect(items[0]?.Update?.ExpressionAttributeValues).toMatchObject({
      ':status': 'SKIPPED',
      ':reason': 'CONDITION_FALSE',
    });
  });

  it.each([
    ['a push over FCM’s 4,096 bytes', { send: true, body: 'x'.repeat(1999), data: { pad: 'y'.repeat(2500) } }],
    ['an unknown field', { send: true, priority: 'high' }],
    ['a reserved data key', { send: true, data: { alarmId: 'mine' } }],
    ['send as a string', { send: 'yes' }],
  ])('answered with %s: FAILED CONDITION_INVALID_ANSWER, no push, no retry', async (_name, answer) => {
    hook.mockResolvedValue(success(answer));
    await sendDueAlarm(message(2), delivery());
    expect(push).not.toHaveBeenCalled();
    expect(completion().record?.Item).toMatchObject({ status: 'FAILED', reason: 'CONDITION_INVALID_ANSWER' });
    expect(sqs).not.toHaveReceivedCommand(ChangeMessageVisibilityCommand);
  });

  it.each<[string, OutboundOutcome]>([
    ['a 503', { kind: 'retryable', reason: 'HTTP_503', cause: 'status', status: 503, durationMs: 3 }],
    ['a timeout', { kind: 'retryable', reason: 'UNREACHABLE', cause: 'timeout', durationMs: 5000 }],
    ['a refused connection', { kind: 'retryable', reason: 'UNREACHABLE', cause: 'network', durationMs: 1 }],
    ['a 404', { kind: 'final', reason: 'HTTP_404', status: 404, body: '', durationMs: 3 }],
    ['a 200 that is not JSON', { kind: 'success', status: 200, body: '<html>', truncated: false, durationMs: 3 }],
  ])('with %s and budget left: no push, the claim released, asked again after a backoff', async (_name, outcome) => {
    hook.mockResolvedValue(outcome);
    await expect(sendDueAlarm(message(2), delivery(3))).rejects.toBeInstanceOf(RetryLaterError);
    expect(push).not.toHaveBeenCalled();
    expect(db).not.toHaveReceivedCommand(TransactWriteCommand);
    const release = db
      .commandCalls(UpdateCommand)
      .find((c) => c.args[0].input.UpdateExpression?.includes('REMOVE #claimedUntil'));
    expect(release).toBeDefined();
    const visibility = sqs.commandCalls(ChangeMessageVisibilityCommand)[0]?.args[0].input.VisibilityTimeout ?? 0;
    expect(visibility).toBeGreaterThanOrEqual(1);
    expect(visibility).toBeLessThanOrEqual(8);
  });

  it('honours the receiver’s Retry-After', async () => {
    hook.mockResolvedValue({
      kind: 'retryable',
      reason: 'HTTP_429',
      cause: 'status',
      status: 429,
      retryAfterSeconds: 42,
      durationMs: 1,
    });
    await expect(sendDueAlarm(message(2), delivery())).rejects.toBeInstanceOf(RetryLaterError);
    expect(sqs).toHaveReceivedCommandWith(ChangeMessageVisibilityCommand, { VisibilityTimeout: 42 });
  });

  it('still unanswered on the last receive: FAILED CONDITION_UNREACHABLE, no push, and the record fails on to the DLQ', async () => {
    hook.mockResolvedValue({ kind: 'retryable', reason: 'UNREACHABLE', cause: 'network', durationMs: 1 });
    await expect(sendDueAlarm(message(2), delivery(MAX))).rejects.toBeInstanceOf(RetryLaterError);
    expect(push).not.toHaveBeenCalled();
    expect(completion().record?.Item).toMatchObject({ status: 'FAILED', reason: 'CONDITION_UNREACHABLE' });
  });

  it('refused at call time (its name now resolves to a private address): FAILED, no push, no retry', async () => {
    hook.mockResolvedValue({
      kind: 'refused',
      reason: 'URL_NOT_ALLOWED',
      detail: 'hooks.example.com resolves to 10.0.0.1 is not a public address (private)',
      durationMs: 2,
    });
    await sendDueAlarm(message(2), delivery());
    expect(push).not.toHaveBeenCalled();
    expect(completion().record?.Item).toMatchObject({ status: 'FAILED', reason: 'URL_NOT_ALLOWED' });
    expect(sqs).not.toHaveReceivedCommand(ChangeMessageVisibilityCommand);
  });
});
