// A client's changes to a live timer: a move, a new rule, a pause or resume (each a new version, so the
// message in flight for the old one is dropped), and the undo of one whose new occurrence could not be armed.
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '../shared/clients/dynamo.ts';
import { conditionHeld, ifConditionHolds } from '../shared/dynamo/conditional.ts';
import type { RepeatRule } from '../shared/recurrence.ts';
import { tableName } from '../shared/table.ts';
import type { TimerKind } from './kind.ts';
import {
  CLIENT_CHANGE_CONDITION,
  DUE_AT,
  DUE_PK,
  dueBucket,
  type TimerState,
  timerKey,
  toTimerState,
} from './timer-items.ts';

export interface TimerChange {
  /** A new next occurrence (ISO): a move, a new rule, a resume. */
  readonly dueAt?: string;
  /** Paused: no due occurrence at all. */
  readonly pause?: boolean;
  readonly repeat?: RepeatRule;
  /** The kind's own attributes to set along (e.g. runAt). */
  readonly fields?: Readonly<Record<string, unknown>>;
}

/**
 * Applies a client's change to a PENDING or PAUSED timer nobody is calling: bumps its version (so the
 * message in flight is dropped) and moves (or removes, when paused) its due-index entry. The changed
 * timer, or undefined if it changed meanwhile.
 */
export async function changeTimer(
  kind: TimerKind,
  timer: TimerState,
  change: TimerChange,
  now: number,
): Promise<TimerState | undefined> {
  const names: Record<string, string> = {
    '#status': 'status',
    '#version': 'version',
    '#claimedUntil': 'claimedUntil',
    '#duePk': DUE_PK,
    '#dueAt': DUE_AT,
    '#attempts': 'attempts',
    '#retryAt': 'retryAt',
  };
  const values: Record<string, unknown> = {
    ':expected': timer.status,
    ':v': timer.version,
    ':next': timer.version + 1,
    ':now': now,
    ':zero': 0,
  };
  const sets = ['#version = :next', '#attempts = :zero'];
  const removes = ['#retryAt'];
  if (change.pause) {
    sets.push('#status = :paused');
    values[':paused'] = 'PAUSED';
    removes.push('#duePk', '#dueAt');
  } else if (change.dueAt !== undefined) {
    sets.push('#status = :pending', '#duePk = :duePk', '#dueAt = :dueAt');
    Object.assign(values, { ':pending': 'PENDING', ':duePk': dueBucket(kind, change.dueAt), ':dueAt': change.dueAt });
  }
  if (change.repeat) {
    sets.push('#repeat = :repeat');
    names['#repeat'] = 'repeat';
    values[':repeat'] = change.repeat;
  }
  Object.entries(change.fields ?? {}).forEach(([name, value], n) => {
    sets.push(`#f${n} = :f${n}`);
    names[`#f${n}`] = name;
    values[`:f${n}`] = value;
  });
  const out = await ifConditionHolds(() =>
    dynamo.send(
      new UpdateCommand({
        TableName: tableName,
        Key: timerKey(kind, timer.accountId, timer.id),
        UpdateExpression: `SET ${sets.join(', ')} REMOVE ${removes.join(', ')}`,
        ConditionExpression: CLIENT_CHANGE_CONDITION,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    ),
  );
  return out?.Attributes ? toTimerState(kind, out.Attributes) : undefined;
}

/**
 * Undoes a change whose new occurrence could not be armed: back to the status, version, occurrence, rule
 * and fields `previous` had, so the message armed for it (its schedule is untouched) is the valid one
 * again. Only if nothing happened since the change (`changed` still current, nobody calling). Whether it
 * was undone.
 */
export async function revertChange(
  kind: TimerKind,
  previous: TimerState,
  changed: TimerState,
  change: TimerChange,
): Promise<boolean> {
  const names: Record<string, string> = {
    '#status': 'status',
    '#version': 'version',
    '#attempts': 'attempts',
    '#claimedUntil': 'claimedUntil',
  };
  const values: Record<string, unknown> = {
    ':previousStatus': previous.status,
    ':previousVersion': previous.version,
    ':previousAttempts': previous.attempts,
    ':changedStatus': changed.status,
    ':changedVersion': changed.version,
  };
  const sets = ['#status = :previousStatus', '#version = :previousVersion', '#attempts = :previousAttempts'];
  const removes = ['#claimedUntil'];
  let n = 0;
  const restore = (name: string, value: unknown) => {
    n++;
    names[`#r${n}`] = name;
    if (value === undefined) removes.push(`#r${n}`);
    else {
      sets.push(`#r${n} = :r${n}`);
      values[`:r${n}`] = value;
    }
  };
  restore(DUE_PK, previous.item[DUE_PK]);
  restore(DUE_AT, previous.item[DUE_AT]);
  if (change.repeat) restore('repeat', previous.item.repeat);
  for (const name of Object.keys(change.fields ?? {})) restore(name, previous.item[name]);
  return conditionHeld(() =>
    dynamo.send(
      new UpdateCommand({
        TableName: tableName,
        Key: timerKey(kind, previous.accountId, previous.id),
        UpdateExpression: `SET ${sets.join(', ')} REMOVE ${removes.join(', ')}`,
        ConditionExpression:
          '#status = :changedStatus AND #version = :changedVersion AND attribute_not_exists(#claimedUntil)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    ),
  );
}
