// DynamoDB access of every timer kind (the timer core's items, used by each kind's capability): the timer item in its owner's partition, its occurrence history
// beside it, its due-index entry, its claim and its count on the owner's profile. A kind's own attributes
// ride along untouched. Every change a client makes bumps `version`, so a message in flight for the old
// one is dropped; every change that takes a timer out of PENDING/PAUSED uncounts it in the same write.
import { DeleteCommand, GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE } from '../../lib/definitions.ts';
import { dynamo } from '../shared/clients/dynamo.ts';
import { cancellationCodes, isConditionFailure } from '../shared/dynamo/conditional.ts';
import type { RepeatRule } from '../shared/recurrence.ts';
import { accountPk, tableName } from '../shared/table.ts';
import { hourBucket, toIso } from '../shared/time.ts';
import type { OccurrenceRef, TimerKind } from './kind.ts';

/** Statuses the core itself gives; a kind's terminal statuses (SENT, SUCCEEDED, FAILED...) come from its action. */
export type LiveStatus = 'PENDING' | 'PAUSED';
export const CANCELLED = 'CANCELLED';

export interface TimerState {
  readonly accountId: string;
  readonly id: string;
  /** PENDING, PAUSED, CANCELLED or a terminal status of the kind. */
  readonly status: string;
  /** Bumped by every change; a message naming another version is stale. */
  readonly version: number;
  /** ISO: the occurrence due next (absent when paused or done). */
  readonly dueAt?: string;
  /** Recurring timers only. */
  readonly repeat?: RepeatRule;
  /** Calls made for the occurrence due now (claims taken). */
  readonly attempts: number;
  /** While an attempt holds it: until when (epoch ms). */
  readonly claimedUntil?: number;
  /** While between two attempts of an occurrence: when its message comes back (epoch ms). */
  readonly retryAt?: number;
  /** Whether it counts on the profile's pending counter (demo accounts' timers: the cap). */
  readonly counted: boolean;
  /** The whole item as stored, the kind's own attributes included. */
  readonly item: Readonly<Record<string, unknown>>;
}

const { partitionKey: DUE_PK, sortKey: DUE_AT } = TABLE.indexes.due;

export const timerKey = (kind: TimerKind, accountId: string, id: string) => ({
  pk: accountPk(accountId),
  sk: `${kind.itemPrefix}${id}`,
});
export const occurrenceKey = (kind: TimerKind, accountId: string, id: string, dueAt: string) => ({
  pk: accountPk(accountId),
  sk: `${kind.historyPrefix}${id}#${dueAt}`,
});

/** Whether an item of an account's partition is a timer of this kind (not its history). */
export const isTimerItem = (kind: TimerKind, item: { sk: string }): boolean => item.sk.startsWith(kind.itemPrefix);

/** The due-index bucket of an occurrence: the sweeper reads hour buckets, never the table. */
export const dueBucket = (kind: TimerKind, dueAt: string): string =>
  `${kind.duePrefix}#${hourBucket(Date.parse(dueAt))}`;

export function toTimerState(kind: TimerKind, item: Record<string, unknown>): TimerState {
  const repeat = item.repeat as RepeatRule | undefined;
  return {
    accountId: String(item.accountId),
    id: String(item[kind.idAttribute]),
    status: String(item.status),
    version: Number(item.version),
    ...(typeof item[DUE_AT] === 'string' ? { dueAt: item[DUE_AT] as string } : {}),
    ...(repeat ? { repeat } : {}),
    attempts: Number(item.attempts ?? 0),
    ...(item.claimedUntil === undefined ? {} : { claimedUntil: Number(item.claimedUntil) }),
    ...(item.retryAt === undefined ? {} : { retryAt: Number(item.retryAt) }),
    counted: item.counted === true,
    item,
  };
}

export interface NewTimer {
  readonly accountId: string;
  readonly id: string;
  /** ISO: the first occurrence. */
  readonly dueAt: string;
  readonly repeat?: RepeatRule;
  /** The kind's own attributes (never the core's). */
  readonly fields: Readonly<Record<string, unknown>>;
}

export type InsertOutcome = 'inserted' | 'limit-reached' | 'account-gone';

/**
 * Writes a new PENDING timer (version 1). `pendingCap` (demo accounts) counts it on the profile and
 * refuses it when the account already has that many PENDING or PAUSED; `ttl` (epoch s) is a backstop.
 */
export async function insertTimer(
  kind: TimerKind,
  timer: NewTimer,
  options: { pendingCap?: number; ttl?: number } = {},
): Promise<{ outcome: InsertOutcome; timer: TimerState }> {
  const counted = options.pendingCap !== undefined;
  const item = {
    ...timer.fields,
    ...timerKey(kind, timer.accountId, timer.id),
    type: kind.itemType,
    accountId: timer.accountId,
    [kind.idAttribute]: timer.id,
    status: 'PENDING',
    version: 1,
    attempts: 0,
    counted,
    [DUE_PK]: dueBucket(kind, timer.dueAt),
    [DUE_AT]: timer.dueAt,
    ...(timer.repeat ? { repeat: timer.repeat } : {}),
    ...(options.ttl === undefined ? {} : { [TABLE.ttlAttribute]: options.ttl }),
  };
  const profile = counted
    ? kind.profile.count(timer.accountId, options.pendingCap as number)
    : kind.profile.exists(timer.accountId);
  const state = toTimerState(kind, item);
  try {
    await dynamo.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } },
          profile,
        ],
      }),
    );
    return { outcome: 'inserted', timer: state };
  } catch (error) {
    const [, profileCode] = cancellationCodes(error) ?? [];
    if (profileCode === 'ConditionalCheckFailed')
      return { outcome: counted ? 'limit-reached' : 'account-gone', timer: state };
    throw error;
  }
}

export async function getTimer(kind: TimerKind, accountId: string, id: string): Promise<TimerState | undefined> {
  const out = await dynamo.send(
    new GetCommand({ TableName: tableName, Key: timerKey(kind, accountId, id), ConsistentRead: true }),
  );
  return out.Item ? toTimerState(kind, out.Item) : undefined;
}

export interface TimerPage {
  readonly timers: TimerState[];
  /** Key of the last one returned, when more follow. */
  readonly lastKey?: { pk: string; sk: string };
}

/** The account's timers of a kind, newest first (ids are ULIDs, so sort-key order is creation order). */
export async function listTimers(
  kind: TimerKind,
  accountId: string,
  limit: number,
  startKey?: { pk: string; sk: string },
): Promise<TimerPage> {
  // One more than asked tells whether another page exists, so the last page never has a cursor.
  const out = await dynamo.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': accountPk(accountId), ':prefix': kind.itemPrefix },
      ScanIndexForward: false,
      Limit: limit + 1,
      ExclusiveStartKey: startKey,
    }),
  );
  const timers = (out.Items ?? []).map((item) => toTimerState(kind, item));
  if (timers.length <= limit) return { timers };
  const page = timers.slice(0, limit);
  const last = page[page.length - 1] as TimerState;
  return { timers: page, lastKey: timerKey(kind, last.accountId, last.id) };
}

/** Condition of every change a client makes: the status and version it read, nobody calling right now. */
const CLIENT_CHANGE_CONDITION =
  '#status = :expected AND #version = :v AND (attribute_not_exists(#claimedUntil) OR #claimedUntil < :now)';

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
  try {
    const out = await dynamo.send(
      new UpdateCommand({
        TableName: tableName,
        Key: timerKey(kind, timer.accountId, timer.id),
        UpdateExpression: `SET ${sets.join(', ')} REMOVE ${removes.join(', ')}`,
        ConditionExpression: CLIENT_CHANGE_CONDITION,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    return out.Attributes ? toTimerState(kind, out.Attributes) : undefined;
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

type Update = {
  readonly UpdateExpression: string;
  readonly ConditionExpression: string;
  readonly ExpressionAttributeNames: Record<string, string>;
  readonly ExpressionAttributeValues: Record<string, unknown>;
};

/**
 * Takes a timer out of PENDING/PAUSED with `update`, uncounting it on the profile in the same
 * transaction (counted timers), along with `extra` writes (its history record). If only the profile
 * part fails (the account is being deleted) the rest still happens. False if the timer's own condition
 * (or an extra's) failed.
 */
async function leaveLive(
  kind: TimerKind,
  timer: TimerState,
  update: Update,
  extra: readonly Record<string, unknown>[] = [],
): Promise<boolean> {
  const own = { Update: { TableName: tableName, Key: timerKey(kind, timer.accountId, timer.id), ...update } };
  const uncount = kind.profile.uncount(timer.accountId);
  const attempt = async (items: readonly Record<string, unknown>[]): Promise<'done' | 'refused' | 'profile'> => {
    try {
      await dynamo.send(new TransactWriteCommand({ TransactItems: items as never }));
      return 'done';
    } catch (error) {
      const codes = cancellationCodes(error);
      if (!codes) throw error;
      const failed = codes.map((code, n) => (code === 'ConditionalCheckFailed' ? n : -1)).filter((n) => n >= 0);
      if (failed.length === 0) throw error;
      // The profile is the last item when present.
      return failed.length === 1 && items[failed[0] as number] === uncount ? 'profile' : 'refused';
    }
  };
  if (timer.counted) {
    const counted = await attempt([own, ...extra, uncount]);
    if (counted !== 'profile') return counted === 'done';
  }
  return (await attempt([own, ...extra])) === 'done';
}

/** Cancels a PENDING or PAUSED timer nobody is calling; the cancelled timer, or undefined if it changed meanwhile. */
export async function cancelTimer(kind: TimerKind, timer: TimerState, now: number): Promise<TimerState | undefined> {
  const done = await leaveLive(kind, timer, {
    UpdateExpression:
      'SET #status = :cancelled, #version = :next REMOVE #duePk, #dueAt, #claimedUntil, #claimedBy, #retryAt',
    ConditionExpression: CLIENT_CHANGE_CONDITION,
    ExpressionAttributeNames: {
      '#status': 'status',
      '#version': 'version',
      '#claimedUntil': 'claimedUntil',
      '#claimedBy': 'claimedBy',
      '#duePk': DUE_PK,
      '#dueAt': DUE_AT,
      '#retryAt': 'retryAt',
    },
    ExpressionAttributeValues: {
      ':cancelled': CANCELLED,
      ':next': timer.version + 1,
      ':expected': timer.status,
      ':v': timer.version,
      ':now': now,
    },
  });
  if (!done) return undefined;
  const { [DUE_PK]: _pk, [DUE_AT]: _due, ...rest } = timer.item;
  return toTimerState(kind, { ...rest, status: CANCELLED, version: timer.version + 1 });
}

/** Takes back a timer that was never armed (creation failed halfway), and its count. */
export async function removeUnarmedTimer(kind: TimerKind, timer: TimerState): Promise<void> {
  const remove = {
    TableName: tableName,
    Key: timerKey(kind, timer.accountId, timer.id),
    ConditionExpression: '#status = :pending AND #version = :v',
    ExpressionAttributeNames: { '#status': 'status', '#version': 'version' },
    ExpressionAttributeValues: { ':pending': 'PENDING', ':v': timer.version },
  };
  if (!timer.counted) {
    await dynamo.send(new DeleteCommand(remove));
    return;
  }
  await dynamo.send(
    new TransactWriteCommand({
      TransactItems: [{ Delete: remove }, kind.profile.uncount(timer.accountId)],
    }),
  );
}

/**
 * Claims the occurrence for one attempt and counts the attempt, in one conditional write that returns
 * the timer (no read first). Undefined unless the timer is PENDING at that version and dueAt with no
 * live claim. A crashed holder's claim runs out at `now + kind.claimMs`.
 */
export async function claimOccurrence(
  kind: TimerKind,
  ref: OccurrenceRef,
  attemptId: string,
  now: number,
): Promise<TimerState | undefined> {
  try {
    const out = await dynamo.send(
      new UpdateCommand({
        TableName: tableName,
        Key: timerKey(kind, ref.accountId, ref.id),
        UpdateExpression: 'SET #claimedUntil = :until, #claimedBy = :attempt ADD #attempts :one REMOVE #retryAt',
        ConditionExpression:
          '#status = :pending AND #version = :v AND #dueAt = :due AND (attribute_not_exists(#claimedUntil) OR #claimedUntil < :now)',
        ExpressionAttributeNames: {
          '#status': 'status',
          '#version': 'version',
          '#dueAt': DUE_AT,
          '#claimedUntil': 'claimedUntil',
          '#claimedBy': 'claimedBy',
          '#attempts': 'attempts',
          '#retryAt': 'retryAt',
        },
        ExpressionAttributeValues: {
          ':until': now + kind.claimMs,
          ':attempt': attemptId,
          ':one': 1,
          ':pending': 'PENDING',
          ':v': ref.version,
          ':due': ref.dueAt,
          ':now': now,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return out.Attributes ? toTimerState(kind, out.Attributes) : undefined;
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

/**
 * Gives up this attempt's claim: the occurrence will be tried again when its message comes back at
 * `retryAt` (epoch ms; the sweeper leaves it alone until then). Harmless if the claim is gone already.
 */
export async function releaseClaim(
  kind: TimerKind,
  ref: { accountId: string; id: string },
  attemptId: string,
  retryAt: number,
): Promise<void> {
  try {
    await dynamo.send(
      new UpdateCommand({
        TableName: tableName,
        Key: timerKey(kind, ref.accountId, ref.id),
        UpdateExpression: 'SET #retryAt = :retryAt REMOVE #claimedUntil, #claimedBy',
        ConditionExpression: '#claimedBy = :attempt',
        ExpressionAttributeNames: { '#claimedUntil': 'claimedUntil', '#claimedBy': 'claimedBy', '#retryAt': 'retryAt' },
        ExpressionAttributeValues: { ':attempt': attemptId, ':retryAt': retryAt },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

/** How an occurrence ended, as its action said. */
export interface OccurrenceEnd {
  /** The occurrence's status (SENT, SUCCEEDED, FAILED, SKIPPED...). */
  readonly status: string;
  readonly reason?: string;
  /** The kind's own attributes of the record (e.g. httpStatus). */
  readonly fields?: Readonly<Record<string, unknown>>;
  /** A recurring timer stops here with this status (a dead device token); one-off timers always stop. */
  readonly endsTimer?: boolean;
}

export interface Completion {
  /** The recurring timer as it now is, when another occurrence is due: to be armed. */
  readonly next?: TimerState;
  /** The timer's status now. */
  readonly timerStatus: string;
}

/**
 * Records the occurrence and moves the timer on, in one transaction: the history record (one per
 * occurrence: it cannot be written twice), and the timer: a one-off (or one told to stop) takes a
 * terminal status and leaves the due index; a recurring one gets its next occurrence (`nextDueAt`,
 * computed by the caller), a new version and a new due-index entry, or, with none left, the kind's
 * completed status. Undefined if this attempt's claim was no longer the timer's.
 */
export async function completeOccurrence(
  kind: TimerKind,
  claimed: TimerState,
  attemptId: string,
  end: OccurrenceEnd,
  finishedAt: number,
  nextDueAt: string | undefined,
): Promise<Completion | undefined> {
  const dueAt = claimed.dueAt as string;
  const record = {
    Put: {
      TableName: tableName,
      Item: {
        ...(end.fields ?? {}),
        ...occurrenceKey(kind, claimed.accountId, claimed.id, dueAt),
        type: `${kind.itemType}-occurrence`,
        accountId: claimed.accountId,
        [kind.idAttribute]: claimed.id,
        dueAt: dueAt,
        status: end.status,
        attempts: claimed.attempts,
        [kind.finishedAttribute]: toIso(finishedAt),
        ...(end.reason === undefined ? {} : { reason: end.reason }),
        ...(claimed.item[TABLE.ttlAttribute] === undefined
          ? {}
          : { [TABLE.ttlAttribute]: claimed.item[TABLE.ttlAttribute] }),
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
  const names = {
    '#status': 'status',
    '#claimedUntil': 'claimedUntil',
    '#claimedBy': 'claimedBy',
    '#duePk': DUE_PK,
    '#dueAt': DUE_AT,
    '#version': 'version',
    '#attempts': 'attempts',
    '#finished': kind.finishedAttribute,
  };
  const condition = '#status = :pending AND #claimedBy = :attempt';
  const goesOn = claimed.repeat !== undefined && !end.endsTimer && nextDueAt !== undefined;
  if (goesOn) {
    const next = nextDueAt as string;
    const values = {
      ':pending': 'PENDING',
      ':attempt': attemptId,
      ':next': claimed.version + 1,
      ':zero': 0,
      ':duePk': dueBucket(kind, next),
      ':dueAt': next,
      ':finished': toIso(finishedAt),
    };
    try {
      const out = await dynamo.send(
        new TransactWriteCommand({
          TransactItems: [
            record,
            {
              Update: {
                TableName: tableName,
                Key: timerKey(kind, claimed.accountId, claimed.id),
                UpdateExpression:
                  'SET #version = :next, #attempts = :zero, #duePk = :duePk, #dueAt = :dueAt, #finished = :finished REMOVE #claimedUntil, #claimedBy',
                ConditionExpression: condition,
                ExpressionAttributeNames: names,
                ExpressionAttributeValues: values,
              },
            },
          ],
        }),
      );
      void out;
    } catch (error) {
      if (cancellationCodes(error)?.includes('ConditionalCheckFailed')) return undefined;
      throw error;
    }
    const { claimedUntil: _u, claimedBy: _b, ...rest } = claimed.item;
    return {
      timerStatus: 'PENDING',
      next: toTimerState(kind, {
        ...rest,
        version: claimed.version + 1,
        attempts: 0,
        [DUE_PK]: values[':duePk'],
        [DUE_AT]: next,
        [kind.finishedAttribute]: values[':finished'],
      }),
    };
  }
  const timerStatus = claimed.repeat === undefined || end.endsTimer ? end.status : kind.completedStatus;
  const failed = end.reason !== undefined && (claimed.repeat === undefined || end.endsTimer);
  const done = await leaveLive(
    kind,
    claimed,
    {
      UpdateExpression: `SET #status = :status, #finished = :finished${failed ? ', #reason = :reason' : ''} REMOVE #duePk, #claimedUntil, #claimedBy`,
      ConditionExpression: condition,
      // Only the names this expression uses: DynamoDB refuses unused ones.
      ExpressionAttributeNames: {
        '#status': names['#status'],
        '#claimedUntil': names['#claimedUntil'],
        '#claimedBy': names['#claimedBy'],
        '#duePk': names['#duePk'],
        '#finished': names['#finished'],
        ...(failed ? { '#reason': 'failureReason' } : {}),
      },
      ExpressionAttributeValues: {
        ':status': timerStatus,
        ':finished': toIso(finishedAt),
        ':pending': 'PENDING',
        ':attempt': attemptId,
        ...(failed ? { ':reason': end.reason } : {}),
      },
    },
    [record],
  );
  return done ? { timerStatus } : undefined;
}

export interface OccurrenceRecord {
  /** ISO: the occurrence. */
  readonly dueAt: string;
  readonly status: string;
  readonly attempts: number;
  readonly reason?: string;
  /** The whole record, the kind's own attributes included. */
  readonly item: Readonly<Record<string, unknown>>;
}

export interface OccurrencePage {
  readonly occurrences: OccurrenceRecord[];
  readonly lastKey?: { pk: string; sk: string };
}

/** A timer's occurrences, newest first (the sort key ends with the ISO time). */
export async function listOccurrences(
  kind: TimerKind,
  accountId: string,
  id: string,
  limit: number,
  startKey?: { pk: string; sk: string },
): Promise<OccurrencePage> {
  const out = await dynamo.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': accountPk(accountId), ':prefix': `${kind.historyPrefix}${id}#` },
      ScanIndexForward: false,
      Limit: limit + 1,
      ExclusiveStartKey: startKey,
    }),
  );
  const occurrences = (out.Items ?? []).map((item) => ({
    dueAt: String(item.dueAt),
    status: String(item.status),
    attempts: Number(item.attempts ?? 0),
    ...(typeof item.reason === 'string' ? { reason: item.reason } : {}),
    item,
  }));
  if (occurrences.length <= limit) return { occurrences };
  const page = occurrences.slice(0, limit);
  const last = page[page.length - 1] as OccurrenceRecord;
  return { occurrences: page, lastKey: occurrenceKey(kind, accountId, id, last.dueAt) };
}
