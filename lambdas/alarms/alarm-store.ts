// DynamoDB access for alarms, and for the `pendingAlarms` counter they keep on their account's profile.
// Only this file knows how alarms are laid out. Every status change away from PENDING decrements the
// counter in the same transaction, so the demo cap can never drift from the alarms themselves.
import { GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE } from '../../lib/definitions.ts';
import { dynamo } from '../shared/clients.ts';
import { isConditionFailure } from '../shared/errors.ts';
import { accountPk, tableName } from '../shared/table.ts';
import { hourBucket } from '../shared/time.ts';

export type AlarmStatus = 'PENDING' | 'SENT' | 'FAILED' | 'CANCELLED';

export interface Alarm {
  readonly alarmId: string;
  readonly accountId: string;
  readonly status: AlarmStatus;
  /** ISO, UTC, milliseconds. */
  readonly fireAt: string;
  readonly title: string;
  readonly body: string;
  readonly data: Readonly<Record<string, string>>;
  readonly deviceToken: string;
  readonly createdAt: string;
  readonly sentAt?: string;
  readonly failureReason?: string;
  /** Bumped by every reschedule and cancel; a message naming another version is stale. */
  readonly version: number;
  /** While a consumer is sending it: until when (epoch ms) its claim holds. */
  readonly claimedUntil?: number;
}

const PROFILE_SK = 'PROFILE';
const ALARM_PREFIX = 'ALARM#';
const { partitionKey: DUE_PK, sortKey: DUE_AT } = TABLE.indexes.due;

export const alarmKey = (accountId: string, alarmId: string) => ({
  pk: accountPk(accountId),
  sk: `${ALARM_PREFIX}${alarmId}`,
});
const profileKey = (accountId: string) => ({ pk: accountPk(accountId), sk: PROFILE_SK });

/** Whether an item of an account's partition is an alarm. */
export const isAlarmItem = (item: { sk: string }): boolean => item.sk.startsWith(ALARM_PREFIX);

/** The due-index entry of a PENDING alarm: the sweeper finds overdue alarms by hour bucket, never by scan. */
const dueEntry = (fireAt: string) => ({ [DUE_PK]: `ALARM#${hourBucket(Date.parse(fireAt))}`, [DUE_AT]: fireAt });

const NAMES = {
  '#status': 'status',
  '#version': 'version',
  '#claimedUntil': 'claimedUntil',
  '#claimedBy': 'claimedBy',
  '#duePk': DUE_PK,
  '#dueAt': DUE_AT,
} as const;

function toAlarm(item: Record<string, unknown>): Alarm {
  const a = item as unknown as Alarm;
  return {
    alarmId: a.alarmId,
    accountId: a.accountId,
    status: a.status,
    fireAt: a.fireAt,
    title: a.title,
    body: a.body,
    data: a.data ?? {},
    deviceToken: a.deviceToken,
    createdAt: a.createdAt,
    ...(a.sentAt ? { sentAt: a.sentAt } : {}),
    ...(a.failureReason ? { failureReason: a.failureReason } : {}),
    version: Number(a.version),
    ...(a.claimedUntil === undefined ? {} : { claimedUntil: Number(a.claimedUntil) }),
  };
}

export type InsertOutcome = 'inserted' | 'limit-reached' | 'account-gone';

/**
 * Writes a new PENDING alarm and counts it on the profile, atomically. `pendingCap` (demo accounts)
 * refuses the alarm when the account already has that many pending; `ttl` (epoch s) is the account's expiry.
 */
export async function insertAlarm(
  alarm: Alarm,
  options: { pendingCap?: number; ttl?: number },
): Promise<InsertOutcome> {
  const capped = options.pendingCap !== undefined;
  try {
    await dynamo.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: tableName,
              Item: {
                ...alarmKey(alarm.accountId, alarm.alarmId),
                type: 'alarm',
                ...alarm,
                ...dueEntry(alarm.fireAt),
                ...(options.ttl === undefined ? {} : { [TABLE.ttlAttribute]: options.ttl }),
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Update: {
              TableName: tableName,
              Key: profileKey(alarm.accountId),
              UpdateExpression: 'SET #pending = if_not_exists(#pending, :zero) + :one',
              ConditionExpression: capped
                ? 'attribute_exists(pk) AND (attribute_not_exists(#pending) OR #pending < :cap)'
                : 'attribute_exists(pk)',
              ExpressionAttributeNames: { '#pending': 'pendingAlarms' },
              ExpressionAttributeValues: { ':zero': 0, ':one': 1, ...(capped ? { ':cap': options.pendingCap } : {}) },
            },
          },
        ],
      }),
    );
    return 'inserted';
  } catch (error) {
    const [, profile] = cancellationCodes(error) ?? [];
    if (profile === 'ConditionalCheckFailed') return capped ? 'limit-reached' : 'account-gone';
    throw error;
  }
}

export async function getAlarm(accountId: string, alarmId: string): Promise<Alarm | undefined> {
  const out = await dynamo.send(
    new GetCommand({ TableName: tableName, Key: alarmKey(accountId, alarmId), ConsistentRead: true }),
  );
  return out.Item ? toAlarm(out.Item) : undefined;
}

export interface AlarmPage {
  readonly alarms: Alarm[];
  /** Key of the last alarm returned, when more follow. */
  readonly lastKey?: { pk: string; sk: string };
}

/** The account's alarms, newest first (alarm ids are ULIDs, so sort key order is creation order). */
export async function listAlarms(
  accountId: string,
  limit: number,
  startKey?: { pk: string; sk: string },
): Promise<AlarmPage> {
  // One more than asked tells whether another page exists, so the last page never has a cursor.
  const out = await dynamo.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': accountPk(accountId), ':prefix': ALARM_PREFIX },
      ScanIndexForward: false,
      Limit: limit + 1,
      ExclusiveStartKey: startKey,
    }),
  );
  const alarms = (out.Items ?? []).map(toAlarm);
  if (alarms.length <= limit) return { alarms };
  const page = alarms.slice(0, limit);
  const last = page[page.length - 1] as Alarm;
  return { alarms: page, lastKey: alarmKey(last.accountId, last.alarmId) };
}

/** Condition shared by every change a client makes: still PENDING, the version it read, nobody sending it. */
const CLIENT_CHANGE_CONDITION =
  '#status = :pending AND #version = :v AND (attribute_not_exists(#claimedUntil) OR #claimedUntil < :now)';

/** Moves a PENDING alarm to a new fireAt and bumps its version; undefined if it changed meanwhile. */
export async function rescheduleAlarm(alarm: Alarm, fireAt: string, now: number): Promise<Alarm | undefined> {
  try {
    const out = await dynamo.send(
      new UpdateCommand({
        TableName: tableName,
        Key: alarmKey(alarm.accountId, alarm.alarmId),
        UpdateExpression: 'SET fireAt = :fireAt, #version = :next, #duePk = :duePk, #dueAt = :fireAt',
        ConditionExpression: CLIENT_CHANGE_CONDITION,
        ExpressionAttributeNames: {
          '#status': NAMES['#status'],
          '#version': NAMES['#version'],
          '#claimedUntil': NAMES['#claimedUntil'],
          '#duePk': NAMES['#duePk'],
          '#dueAt': NAMES['#dueAt'],
        },
        ExpressionAttributeValues: {
          ':fireAt': fireAt,
          ':next': alarm.version + 1,
          ':duePk': dueEntry(fireAt)[DUE_PK],
          ':pending': 'PENDING',
          ':v': alarm.version,
          ':now': now,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return out.Attributes ? toAlarm(out.Attributes) : undefined;
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

/**
 * Undoes a reschedule whose new trigger could not be set up: back to the fireAt and version the old
 * schedule's message names, so that message is the valid one again. Only if nothing changed since.
 */
export async function revertReschedule(previous: Alarm, rescheduledVersion: number): Promise<boolean> {
  try {
    await dynamo.send(
      new UpdateCommand({
        TableName: tableName,
        Key: alarmKey(previous.accountId, previous.alarmId),
        UpdateExpression: 'SET fireAt = :fireAt, #version = :previous, #duePk = :duePk, #dueAt = :fireAt',
        ConditionExpression: '#status = :pending AND #version = :v',
        ExpressionAttributeNames: {
          '#status': NAMES['#status'],
          '#version': NAMES['#version'],
          '#duePk': NAMES['#duePk'],
          '#dueAt': NAMES['#dueAt'],
        },
        ExpressionAttributeValues: {
          ':fireAt': previous.fireAt,
          ':previous': previous.version,
          ':duePk': dueEntry(previous.fireAt)[DUE_PK],
          ':pending': 'PENDING',
          ':v': rescheduledVersion,
        },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

function cancellationCodes(error: unknown): string[] | undefined {
  const e = error as { name?: string; CancellationReasons?: { Code?: string }[] } | undefined;
  if (e?.name !== 'TransactionCanceledException') return undefined;
  return (e.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
}

type AlarmUpdate = {
  readonly UpdateExpression: string;
  readonly ConditionExpression: string;
  readonly ExpressionAttributeNames: Record<string, string>;
  readonly ExpressionAttributeValues: Record<string, unknown>;
};

/**
 * Applies a status change that takes the alarm out of PENDING and decrements the profile's counter in
 * the same transaction. If only the profile part fails (the account is being deleted, or the counter is
 * already 0) the status change still happens on its own. False if the alarm's own condition failed.
 */
async function leavePending(accountId: string, alarmId: string, update: AlarmUpdate): Promise<boolean> {
  const alarmUpdate = { TableName: tableName, Key: alarmKey(accountId, alarmId), ...update };
  try {
    await dynamo.send(
      new TransactWriteCommand({
        TransactItems: [
          { Update: alarmUpdate },
          {
            Update: {
              TableName: tableName,
              Key: profileKey(accountId),
              UpdateExpression: 'SET #pending = #pending - :one',
              ConditionExpression: 'attribute_exists(pk) AND #pending > :zero',
              ExpressionAttributeNames: { '#pending': 'pendingAlarms' },
              ExpressionAttributeValues: { ':zero': 0, ':one': 1 },
            },
          },
        ],
      }),
    );
    return true;
  } catch (error) {
    const codes = cancellationCodes(error);
    if (!codes) throw error;
    const [alarm, profile] = codes;
    if (alarm === 'ConditionalCheckFailed') return false;
    if (profile !== 'ConditionalCheckFailed') throw error;
  }
  try {
    await dynamo.send(new UpdateCommand(alarmUpdate));
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** Cancels a PENDING alarm nobody is sending; the cancelled alarm, or undefined if it changed meanwhile. */
export async function cancelAlarm(alarm: Alarm, now: number): Promise<Alarm | undefined> {
  const done = await leavePending(alarm.accountId, alarm.alarmId, {
    UpdateExpression: 'SET #status = :status, #version = :next REMOVE #duePk, #dueAt, #claimedUntil, #claimedBy',
    ConditionExpression: CLIENT_CHANGE_CONDITION,
    ExpressionAttributeNames: NAMES,
    ExpressionAttributeValues: {
      ':status': 'CANCELLED',
      ':next': alarm.version + 1,
      ':pending': 'PENDING',
      ':v': alarm.version,
      ':now': now,
    },
  });
  if (!done) return undefined;
  const { claimedUntil: _claim, ...rest } = alarm;
  return { ...rest, status: 'CANCELLED', version: alarm.version + 1 };
}

/** Takes an alarm back that never got a trigger (creation failed halfway); undoes its count. */
export async function removeUntriggeredAlarm(alarm: Alarm): Promise<void> {
  await dynamo.send(
    new TransactWriteCommand({
      TransactItems: [
        {
          Delete: {
            TableName: tableName,
            Key: alarmKey(alarm.accountId, alarm.alarmId),
            ConditionExpression: '#status = :pending AND #version = :v',
            ExpressionAttributeNames: { '#status': 'status', '#version': 'version' },
            ExpressionAttributeValues: { ':pending': 'PENDING', ':v': alarm.version },
          },
        },
        {
          Update: {
            TableName: tableName,
            Key: profileKey(alarm.accountId),
            UpdateExpression: 'SET #pending = #pending - :one',
            ConditionExpression: 'attribute_exists(pk) AND #pending > :zero',
            ExpressionAttributeNames: { '#pending': 'pendingAlarms' },
            ExpressionAttributeValues: { ':zero': 0, ':one': 1 },
          },
        },
      ],
    }),
  );
}

/**
 * Claims a due alarm for one sending attempt. Fails if it is no longer PENDING at that version, or if
 * another attempt holds an unexpired claim. A crashed holder's claim simply runs out at `until`.
 */
export async function claimAlarm(
  accountId: string,
  alarmId: string,
  version: number,
  attemptId: string,
  now: number,
  until: number,
): Promise<boolean> {
  try {
    await dynamo.send(
      new UpdateCommand({
        TableName: tableName,
        Key: alarmKey(accountId, alarmId),
        UpdateExpression: 'SET #claimedUntil = :until, #claimedBy = :attempt',
        ConditionExpression:
          '#status = :pending AND #version = :v AND (attribute_not_exists(#claimedUntil) OR #claimedUntil < :now)',
        ExpressionAttributeNames: {
          '#status': 'status',
          '#version': 'version',
          '#claimedUntil': 'claimedUntil',
          '#claimedBy': 'claimedBy',
        },
        ExpressionAttributeValues: {
          ':until': until,
          ':attempt': attemptId,
          ':pending': 'PENDING',
          ':v': version,
          ':now': now,
        },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** Gives up this attempt's claim (FCM asked us to come back later); harmless if it is gone already. */
export async function releaseClaim(accountId: string, alarmId: string, attemptId: string): Promise<void> {
  try {
    await dynamo.send(
      new UpdateCommand({
        TableName: tableName,
        Key: alarmKey(accountId, alarmId),
        UpdateExpression: 'REMOVE #claimedUntil, #claimedBy',
        ConditionExpression: '#claimedBy = :attempt',
        ExpressionAttributeNames: { '#claimedUntil': 'claimedUntil', '#claimedBy': 'claimedBy' },
        ExpressionAttributeValues: { ':attempt': attemptId },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

export type Finish =
  | { readonly status: 'SENT'; readonly sentAt: string }
  | { readonly status: 'FAILED'; readonly failureReason: string };

/** Records the outcome of this attempt's FCM request; false if the claim was no longer ours. */
export function finishAlarm(accountId: string, alarmId: string, attemptId: string, finish: Finish): Promise<boolean> {
  const detail =
    finish.status === 'SENT'
      ? { set: 'sentAt = :detail', value: finish.sentAt }
      : { set: 'failureReason = :detail', value: finish.failureReason };
  return leavePending(accountId, alarmId, {
    UpdateExpression: `SET #status = :status, ${detail.set} REMOVE #duePk, #dueAt, #claimedUntil, #claimedBy`,
    ConditionExpression: '#status = :pending AND #claimedBy = :attempt',
    ExpressionAttributeNames: {
      '#status': 'status',
      '#duePk': DUE_PK,
      '#dueAt': DUE_AT,
      '#claimedUntil': 'claimedUntil',
      '#claimedBy': 'claimedBy',
    },
    ExpressionAttributeValues: {
      ':status': finish.status,
      ':detail': detail.value,
      ':pending': 'PENDING',
      ':attempt': attemptId,
    },
  });
}
