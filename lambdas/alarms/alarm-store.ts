// What clients change about their alarms: create, reschedule (and its undo), cancel, and the reads
// behind the alarm routes.
import { DeleteCommand, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE } from '../../lib/definitions.ts';
import { accountExists, countPendingAlarm, uncountPendingAlarm } from '../accounts/index.ts';
import { dynamo } from '../shared/clients/dynamo.ts';
import { dueItems } from '../shared/due-index.ts';
import { cancellationCodes, conditionHeld, ifConditionHolds, transactWrite } from '../shared/dynamo/conditional.ts';
import { accountPk, tableName } from '../shared/table.ts';
import {
  ALARM_DUE,
  ALARM_PREFIX,
  type Alarm,
  alarmKey,
  DUE_PK,
  dueEntry,
  leavePending,
  NAMES,
  toAlarm,
} from './alarm-items.ts';

export type { Alarm, AlarmStatus } from './alarm-items.ts';
/** PENDING alarms whose fireAt is at or before `dueBefore` (what armed them never delivered). */
export async function findOverdueAlarms(dueBefore: number, now: number): Promise<Alarm[]> {
  // The index only holds alarms while PENDING (the attributes are removed when they leave it).
  const items = await dueItems(ALARM_DUE, dueBefore, now);
  return items.filter((item) => item.status === 'PENDING').map(toAlarm);
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
    await transactWrite({
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
        // Only a demo account's alarms are counted (the counter is its cap); another's profile is only checked.
        alarm.countedOnProfile
          ? countPendingAlarm(alarm.accountId, options.pendingCap)
          : accountExists(alarm.accountId),
      ],
    });
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
  const out = await ifConditionHolds(() =>
    dynamo.send(
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
    ),
  );
  return out?.Attributes ? toAlarm(out.Attributes) : undefined;
}

/**
 * Undoes a reschedule whose new trigger could not be set up: back to the fireAt and version the old
 * schedule's message names, so that message is the valid one again. Only if nothing changed since.
 */
export async function revertReschedule(previous: Alarm, rescheduledVersion: number): Promise<boolean> {
  return conditionHeld(() =>
    dynamo.send(
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
    ),
  );
}

/** Cancels a PENDING alarm nobody is sending; the cancelled alarm, or undefined if it changed meanwhile. */
export async function cancelAlarm(alarm: Alarm, now: number): Promise<Alarm | undefined> {
  const done = await leavePending(alarm, {
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

/** Takes an alarm back that could not be armed (creation failed halfway); undoes a demo alarm's count. */
export async function removeUnarmedAlarm(alarm: Alarm): Promise<void> {
  const remove = {
    TableName: tableName,
    Key: alarmKey(alarm.accountId, alarm.alarmId),
    ConditionExpression: '#status = :pending AND #version = :v',
    ExpressionAttributeNames: { '#status': 'status', '#version': 'version' },
    ExpressionAttributeValues: { ':pending': 'PENDING', ':v': alarm.version },
  };
  if (!alarm.countedOnProfile) {
    await dynamo.send(new DeleteCommand(remove));
    return;
  }
  await transactWrite({ TransactItems: [{ Delete: remove }, uncountPendingAlarm(alarm.accountId)] });
}
