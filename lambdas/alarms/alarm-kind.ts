// Alarms as the timer core sees them (lambdas/timers/): every alarm, one-off or recurring, is a timer of
// this kind, armed, held, claimed, completed and (recurring) re-armed by the core; the push (with its
// condition) is their action, fire-alarm.ts. And an alarm as its use cases and routes see it.
import { FUNCTIONS, SCHEDULE_GROUPS } from '../../lib/definitions.ts';
import { accountExists, countPendingAlarm, uncountPendingAlarm } from '../accounts/index.ts';
import type { RepeatRule } from '../shared/recurrence.ts';
import type { TimerState } from '../timers/index.ts';
// Not the core's index: the sweeper's bundle reads this kind and must hold no Scheduler client.
import { carriedBy, type TimerKind } from '../timers/kind.ts';
import type { TimerApi } from '../timers/use-cases.ts';

export const ALARM_KIND: TimerKind = {
  messageKind: 'send-due-alarm',
  itemType: 'alarm',
  idAttribute: 'alarmId',
  itemPrefix: 'ALARM#',
  historyPrefix: 'ALARM_OCC#',
  duePrefix: 'ALARM',
  ...carriedBy(SCHEDULE_GROUPS.alarms),
  schedulePrefix: 'alarm-',
  claimMs: FUNCTIONS.sendDueAlarm.timeoutSeconds * 1000,
  // One `pendingAlarms` counter: the demo cap counts one-off and recurring alarms together.
  profile: { exists: accountExists, count: countPendingAlarm, uncount: uncountPendingAlarm },
  completedStatus: 'SENT',
  // A one-off alarm's fire is recorded on the alarm: the 09:00 herd's send stays a claim and one write.
  oneOffRecord: 'timer',
  // One-off alarms stored before they were timers say `countedOnProfile` (absent: counted, as every
  // alarm was once) and have no `counted`.
  legacyCounted: (item) => item.countedOnProfile !== false,
};

export const ALARMS: TimerApi = {
  kind: ALARM_KIND,
  noun: 'alarm',
  doing: 'sent',
  codes: { notPending: 'ALARM_NOT_PENDING', changed: 'ALARM_CHANGED', limit: 'ALARM_LIMIT_REACHED' },
};

export type AlarmStatus = 'PENDING' | 'PAUSED' | 'SENT' | 'FAILED' | 'CANCELLED' | 'SKIPPED';

export interface Alarm {
  readonly alarmId: string;
  readonly accountId: string;
  readonly status: AlarmStatus;
  /** ISO, UTC, milliseconds: a one-off alarm's time; a recurring alarm's next (or last) occurrence. */
  readonly fireAt: string;
  /** Recurring alarms only: the rule whose every occurrence makes one push. */
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
  /** Bumped by every change; a message naming another version is stale. */
  readonly version: number;
  /** While a consumer is sending it: until when (epoch ms) its claim holds. */
  readonly claimedUntil?: number;
}

/** An alarm item as the API shows it, whichever layout wrote it. */
export function toAlarm(timer: TimerState): Alarm {
  const item = timer.item as Record<string, unknown> & Partial<Alarm>;
  // A recurring alarm's next occurrence is its due entry (a finished one keeps its last); a one-off's, `fireAt`.
  const fireAt = timer.repeat && timer.dueAt ? timer.dueAt : String(item.fireAt);
  // The core records when a SENT alarm went out as `finishedAt`; one-off alarms stored before, as `sentAt`.
  const sentAt =
    item.sentAt ?? (timer.status === 'SENT' && typeof item.finishedAt === 'string' ? item.finishedAt : undefined);
  return {
    alarmId: timer.id,
    accountId: timer.accountId,
    status: timer.status as AlarmStatus,
    fireAt,
    ...(timer.repeat ? { repeat: timer.repeat } : {}),
    ...(item.condition ? { condition: item.condition } : {}),
    title: String(item.title),
    body: String(item.body),
    data: item.data ?? {},
    deviceToken: String(item.deviceToken),
    createdAt: String(item.createdAt),
    ...(sentAt ? { sentAt } : {}),
    ...(item.failureReason ? { failureReason: item.failureReason } : {}),
    version: timer.version,
    ...(timer.claimedUntil === undefined ? {} : { claimedUntil: timer.claimedUntil }),
  };
}
