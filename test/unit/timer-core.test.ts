import '../support/unit-env.ts';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { ALARM_KIND } from '../../lambdas/alarms/alarm-kind.ts';
import { jobTimers } from '../../lambdas/jobs/job-kind.ts';
import { changeTimer, revertChange } from '../../lambdas/timers/client-changes.ts';
import { followingDueAt } from '../../lambdas/timers/occurrence.ts';
import { claimOccurrence, completeOccurrence } from '../../lambdas/timers/occurrence-claims.ts';
import { cancelTimer, type TimerState, toTimerState } from '../../lambdas/timers/timer-items.ts';
import { db } from '../support/sdk-mocks.ts';

const NOW = Date.parse('2026-12-01T12:00:00Z');

const timer = (extra: Record<string, unknown> = {}): TimerState =>
  toTimerState(jobTimers, {
    pk: 'ACCOUNT#A1',
    sk: 'JOB#J1',
    accountId: 'A1',
    jobId: 'J1',
    status: 'PENDING',
    version: 3,
    attempts: 1,
    dueAt: '2026-12-01T12:00:00.000Z',
    duePk: 'JOB#2026-12-01T12',
    claimedBy: 'attempt-1',
    claimedUntil: NOW + 30_000,
    url: 'https://example.com/hook',
    ...extra,
  });

type Expression = {
  UpdateExpression?: string;
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
};

/** Every write the core sent, each with its expressions: DynamoDB refuses a name or value no expression uses. */
function sentExpressions(): Expression[] {
  const updates = db.commandCalls(UpdateCommand).map((c) => c.args[0].input as Expression);
  const transactions = db
    .commandCalls(TransactWriteCommand)
    .flatMap((c) => c.args[0].input.TransactItems ?? [])
    .map((item) => (item.Update ?? item.Put ?? item.Delete ?? item.ConditionCheck) as Expression);
  return [...updates, ...transactions];
}

function expectEveryPlaceholderUsed(expressions: Expression[]): void {
  expect(expressions.length).toBeGreaterThan(0);
  for (const e of expressions) {
    const text = `${e.UpdateExpression ?? ''} ${e.ConditionExpression ?? ''}`;
    for (const name of Object.keys(e.ExpressionAttributeNames ?? {}))
      expect(text, name).toMatch(new RegExp(`${name}\\b`));
    for (const value of Object.keys(e.ExpressionAttributeValues ?? {}))
      expect(text, value).toMatch(new RegExp(`${value}\\b`));
  }
}

beforeEach(() => {
  db.reset();
  db.on(UpdateCommand).resolves({ Attributes: timer() });
  db.on(TransactWriteCommand).resolves({});
});

describe('the timer core', () => {
  it('should write a one-off run and its end in one transaction that uses every attribute name it gives', async () => {
    const done = await completeOccurrence(jobTimers, timer(), 'attempt-1', { status: 'SUCCEEDED' }, NOW, undefined);
    expect(done).toEqual({ timerStatus: 'SUCCEEDED' });
    expectEveryPlaceholderUsed(sentExpressions());
  });

  it('should record a failed one-off run with its reason on the job', async () => {
    await completeOccurrence(jobTimers, timer(), 'attempt-1', { status: 'FAILED', reason: 'HTTP_404' }, NOW, undefined);
    const [items] = db.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems ?? []);
    expect(items?.[0]?.Update?.ExpressionAttributeValues).toMatchObject({ ':status': 'FAILED', ':reason': 'HTTP_404' });
    expect(items?.[1]?.Put?.Item).toMatchObject({
      sk: 'JOBRUN#J1#2026-12-01T12:00:00.000Z',
      status: 'FAILED',
      attempts: 1,
    });
    expectEveryPlaceholderUsed(sentExpressions());
  });

  it('should move a recurring timer to its next occurrence with a new version, keeping it PENDING', async () => {
    const recurring = timer({ repeat: { cron: '* * * * *', timezone: 'UTC' } });
    const next = followingDueAt(recurring, '2026-12-01T12:00:00.000Z', NOW + 500);
    expect(next).toBe('2026-12-01T12:01:00.000Z');
    const done = await completeOccurrence(jobTimers, recurring, 'attempt-1', { status: 'SUCCEEDED' }, NOW, next);
    expect(done?.next).toMatchObject({ version: 4, dueAt: next, status: 'PENDING', attempts: 0 });
    expectEveryPlaceholderUsed(sentExpressions());
  });

  it('should skip missed occurrences: the next is the first after now', () => {
    const recurring = timer({ repeat: { cron: '* * * * *', timezone: 'UTC' } });
    expect(followingDueAt(recurring, '2026-12-01T12:00:00.000Z', NOW + 5 * 60_000 + 1)).toBe(
      '2026-12-01T12:06:00.000Z',
    );
  });

  it('should claim, change, pause and cancel with expressions DynamoDB accepts', async () => {
    const t = timer({ claimedUntil: undefined, claimedBy: undefined });
    await claimOccurrence(jobTimers, { accountId: 'A1', id: 'J1', version: 3, dueAt: t.dueAt as string }, 'a', NOW);
    await changeTimer(
      jobTimers,
      t,
      { dueAt: '2026-12-01T13:00:00.000Z', fields: { runAt: '2026-12-01T13:00:00.000Z' } },
      NOW,
    );
    await changeTimer(jobTimers, t, { pause: true }, NOW);
    await cancelTimer(jobTimers, t, NOW);
    expectEveryPlaceholderUsed(sentExpressions());
  });

  it('should undo a resume it could not arm back to PAUSED, with no due entry, only while the resume is current', async () => {
    const paused = timer({
      status: 'PAUSED',
      dueAt: undefined,
      duePk: undefined,
      claimedUntil: undefined,
      repeat: { cron: '0 9 * * *', timeZone: 'UTC' },
    });
    const resumed = timer({ version: 4, claimedUntil: undefined, repeat: paused.repeat });
    await expect(revertChange(jobTimers, paused, resumed, { dueAt: resumed.dueAt as string })).resolves.toBe(true);
    const undo = db.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(undo?.ExpressionAttributeValues).toMatchObject({
      ':previousStatus': 'PAUSED',
      ':previousVersion': 3,
      ':changedStatus': 'PENDING',
      ':changedVersion': 4,
    });
    const removed = (undo?.UpdateExpression ?? '').split(' REMOVE ')[1]?.split(', ') ?? [];
    expect(removed.map((ref) => undo?.ExpressionAttributeNames?.[ref])).toEqual(['claimedUntil', 'duePk', 'dueAt']);
    expectEveryPlaceholderUsed(sentExpressions());
  });

  it('should leave a timer that changed again since alone when undoing', async () => {
    db.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'changed', $metadata: {} }));
    await expect(
      revertChange(jobTimers, timer(), timer({ version: 4 }), { dueAt: '2026-12-01T13:00:00.000Z' }),
    ).resolves.toBe(false);
  });

  it('should record a one-off alarm on the alarm item alone: one plain write, no history item', async () => {
    const alarm = toTimerState(ALARM_KIND, { ...timer().item, sk: 'ALARM#L1', alarmId: 'L1', counted: false });
    const done = await completeOccurrence(ALARM_KIND, alarm, 'attempt-1', { status: 'SENT' }, NOW, undefined);
    expect(done).toEqual({ timerStatus: 'SENT' });
    expect(db).not.toHaveReceivedCommand(TransactWriteCommand);
    const finish = db.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(finish?.ExpressionAttributeValues).toMatchObject({
      ':status': 'SENT',
      ':finished': '2026-12-01T12:00:00.000Z',
    });
    expectEveryPlaceholderUsed(sentExpressions());
  });

  it('should read a one-off alarm stored before the core: counted unless countedOnProfile is false', () => {
    const old = {
      pk: 'ACCOUNT#A1',
      sk: 'ALARM#L1',
      type: 'alarm',
      accountId: 'A1',
      alarmId: 'L1',
      status: 'PENDING',
      version: 2,
      fireAt: '2026-12-01T12:00:00.000Z',
      duePk: 'ALARM#2026-12-01T12',
      dueAt: '2026-12-01T12:00:00.000Z',
    };
    expect(toTimerState(ALARM_KIND, old)).toMatchObject({
      id: 'L1',
      status: 'PENDING',
      version: 2,
      dueAt: '2026-12-01T12:00:00.000Z',
      attempts: 0,
      counted: true,
    });
    expect(toTimerState(ALARM_KIND, { ...old, countedOnProfile: false }).counted).toBe(false);
    // A job has no such past: without `counted` it is not counted.
    expect(toTimerState(jobTimers, { ...old, sk: 'JOB#L1', jobId: 'L1' }).counted).toBe(false);
  });
});
