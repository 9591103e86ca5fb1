// How alarms are laid out in the table, and the one write every status change away from PENDING makes:
// it decrements the `pendingAlarms` counter on the account's profile (a transaction part accounts hands
// out) in the same transaction, so the demo
// cap can never drift from the alarms themselves. Only the alarm-* files know this layout.
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE } from '../../lib/definitions.ts';
import { uncountPendingAlarm } from '../accounts/index.ts';
import { dynamo } from '../shared/clients/dynamo.ts';
import { dueEntry as dueIndexEntry } from '../shared/due-index.ts';
import { cancellationCodes, conditionHeld, transactWrite } from '../shared/dynamo/conditional.ts';
import type { RepeatRule } from '../shared/recurrence.ts';
import { accountPk, tableName } from '../shared/table.ts';

export type AlarmStatus = 'PENDING' | 'PAUSED' | 'SENT' | 'FAILED' | 'CANCELLED' | 'SKIPPED';

export interface Alarm {
  readonly alarmId: string;
  readonly accountId: string;
  readonly status: AlarmStatus;
  /** ISO, UTC, milliseconds. A recurring alarm's: its next occurrence (the due-index entry the core keeps). */
  readonly fireAt: string;
  /** Recurring alarms only (timers of the core's ALARM_KIND): the rule whose every occurrence makes one push. */
  readonly repeat?: RepeatRule;
  /** Asked at every fire whether (and what) to push. */
  readonly condition?: { readonly url: string };
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
  /**
   * Whether it counts in its account's `pendingAlarms` while PENDING: demo accounts' alarms (the counter
   * is their cap), and every alarm stored before only those were counted.
   */
  readonly countedOnProfile: boolean;
}

export const ALARM_PREFIX = 'ALARM#';
export const { partitionKey: DUE_PK, sortKey: DUE_AT } = TABLE.indexes.due;

export const alarmKey = (accountId: string, alarmId: string) => ({
  pk: accountPk(accountId),
  sk: `${ALARM_PREFIX}${alarmId}`,
});

/** Whether an item of an account's partition is an alarm. */
export const isAlarmItem = (item: { sk: string }): boolean => item.sk.startsWith(ALARM_PREFIX);

/** The due-index entry of a PENDING alarm: the sweeper finds overdue alarms by hour bucket, never by scan. */
export const ALARM_DUE = 'ALARM';
export const dueEntry = (fireAt: string) => dueIndexEntry(ALARM_DUE, fireAt);

export const NAMES = {
  '#status': 'status',
  '#version': 'version',
  '#claimedUntil': 'claimedUntil',
  '#claimedBy': 'claimedBy',
  '#duePk': DUE_PK,
  '#dueAt': DUE_AT,
} as const;

export function toAlarm(item: Record<string, unknown>): Alarm {
  const a = item as unknown as Alarm;
  // A recurring alarm's next occurrence is the core's due entry; a finished one keeps its last.
  const fireAt = a.repeat && typeof item[DUE_AT] === 'string' ? (item[DUE_AT] as string) : a.fireAt;
  // The core records when a timer was done as `finishedAt`; one-off alarms as `sentAt`.
  const sentAt = a.sentAt ?? (a.status === 'SENT' && typeof item.finishedAt === 'string' ? item.finishedAt : undefined);
  return {
    alarmId: a.alarmId,
    accountId: a.accountId,
    status: a.status,
    fireAt,
    ...(a.repeat ? { repeat: a.repeat } : {}),
    ...(a.condition ? { condition: a.condition } : {}),
    title: a.title,
    body: a.body,
    data: a.data ?? {},
    deviceToken: a.deviceToken,
    createdAt: a.createdAt,
    ...(sentAt ? { sentAt } : {}),
    ...(a.failureReason ? { failureReason: a.failureReason } : {}),
    version: Number(a.version),
    ...(a.claimedUntil === undefined ? {} : { claimedUntil: Number(a.claimedUntil) }),
    countedOnProfile: (item.countedOnProfile as boolean | undefined) !== false,
  };
}

export type AlarmUpdate = {
  readonly UpdateExpression: string;
  readonly ConditionExpression: string;
  readonly ExpressionAttributeNames: Record<string, string>;
  readonly ExpressionAttributeValues: Record<string, unknown>;
};

/**
 * Applies a status change that takes the alarm out of PENDING and, for a counted alarm, decrements the
 * profile's counter in the same transaction (an uncounted one is one plain write). If only the profile
 * part fails (the account is being deleted, or the counter is already 0) the status change still happens
 * on its own. False if the alarm's own condition failed.
 */
export async function leavePending(alarm: Alarm, update: AlarmUpdate): Promise<boolean> {
  const { accountId, alarmId } = alarm;
  const alarmUpdate = { TableName: tableName, Key: alarmKey(accountId, alarmId), ...update };
  if (!alarm.countedOnProfile) return conditionHeld(() => dynamo.send(new UpdateCommand(alarmUpdate)));
  try {
    await transactWrite({ TransactItems: [{ Update: alarmUpdate }, uncountPendingAlarm(accountId)] });
    return true;
  } catch (error) {
    const codes = cancellationCodes(error);
    if (!codes) throw error;
    const [alarmCode, profile] = codes;
    if (alarmCode === 'ConditionalCheckFailed') return false;
    if (profile !== 'ConditionalCheckFailed') throw error;
  }
  return conditionHeld(() => dynamo.send(new UpdateCommand(alarmUpdate)));
}
