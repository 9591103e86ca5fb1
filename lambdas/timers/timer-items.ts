// DynamoDB access of every timer kind: the timer item in its owner's partition, its occurrence history
// beside it, its due-index entry, its claim and its count on the owner's profile. A kind's own attributes
// ride along untouched. Every change a client makes bumps `version`, so a message in flight for the old
// one is dropped; every change that takes a timer out of PENDING/PAUSED uncounts it in the same write.
import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE } from '../../lib/definitions.ts';
import { dynamo } from '../shared/clients/dynamo.ts';
import { cancellationCodes, conditionHeld, transactWrite } from '../shared/dynamo/conditional.ts';
import type { RepeatRule } from '../shared/recurrence.ts';
import { accountPk, tableName } from '../shared/table.ts';
import { hourBucket } from '../shared/time.ts';
import type { TimerKind } from './kind.ts';

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

export const { partitionKey: DUE_PK, sortKey: DUE_AT } = TABLE.indexes.due;

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
    counted: typeof item.counted === 'boolean' ? item.counted : (kind.legacyCounted?.(item) ?? false),
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
    await transactWrite({
      TransactItems: [
        { Put: { TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } },
        profile,
      ],
    });
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

/** Condition of every change a client makes: the status and version it read, nobody calling right now. */
export const CLIENT_CHANGE_CONDITION =
  '#status = :expected AND #version = :v AND (attribute_not_exists(#claimedUntil) OR #claimedUntil < :now)';

export type Update = {
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
export async function leaveLive(
  kind: TimerKind,
  timer: TimerState,
  update: Update,
  extra: readonly Record<string, unknown>[] = [],
): Promise<boolean> {
  const own = { Update: { TableName: tableName, Key: timerKey(kind, timer.accountId, timer.id), ...update } };
  const uncount = kind.profile.uncount(timer.accountId);
  const attempt = async (items: readonly Record<string, unknown>[]): Promise<'done' | 'refused' | 'profile'> => {
    // The timer alone (uncounted, nothing recorded beside it) is one plain conditional write.
    if (items.length === 1)
      return (await conditionHeld(() => dynamo.send(new UpdateCommand(own.Update)))) ? 'done' : 'refused';
    try {
      await transactWrite({ TransactItems: items as never });
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
  await transactWrite({ TransactItems: [{ Delete: remove }, kind.profile.uncount(timer.accountId)] });
}
