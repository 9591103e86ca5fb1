// What happens when an alarm's message arrives on the push queue: the timer core runs the fire, one-off
// or recurring (held until due, claimed at the version and time the message names, pushed at most once at
// a time, recorded, a recurring alarm's next occurrence armed, FCM's bad moments retried within the
// queue's budget); the push itself is fire-alarm.ts. See README "Alarms".
import { type Delivery, getTimer, runDueOccurrence, type TimerMessage } from '../timers/index.ts';
import { ALARM_KIND, toAlarm } from './alarm-kind.ts';
import { fireAlarm } from './fire-alarm.ts';
import type { PushQueueMessage, SendDueAlarmMessage } from './messages.ts';

export type SendOutcome =
  | 'absent'
  | 'not-pending'
  | 'stale'
  | 'early'
  | 'sent'
  | 'skipped'
  | 'failed'
  | 'lost-claim'
  | 'duplicate-dropped';

export interface SendReport {
  readonly outcome: SendOutcome;
  /** How late the push began (ms after the fire was due), when it went out. */
  readonly lagMs?: number;
  readonly failureReason?: string;
}

/**
 * The core's message for a one-off alarm's message of the version before (`alarmId`, `fireAt`), still
 * in flight or on a schedule. One without `fireAt` (older still) is completed from the alarm item: its
 * current due time, so the consumer's version check decides as it did.
 */
async function asTimerMessage(
  message: SendDueAlarmMessage,
): Promise<TimerMessage | 'absent' | 'not-pending' | 'stale'> {
  const { accountId, alarmId: id, version } = message;
  const base = { kind: ALARM_KIND.messageKind, accountId, id, version };
  if (message.fireAt !== undefined) return { ...base, dueAt: message.fireAt };
  const timer = await getTimer(ALARM_KIND, accountId, id);
  if (!timer) return 'absent';
  if (timer.status !== 'PENDING' || timer.dueAt === undefined) return 'not-pending';
  if (timer.version !== version) return 'stale';
  return { ...base, dueAt: timer.dueAt };
}

/**
 * Fires the alarm occurrence the message names, if it is still the alarm's current one and has come.
 * Returns what happened; throws RetryLaterError (visibility already set) when the record must come back.
 */
export async function sendDueAlarm(message: PushQueueMessage, delivery: Delivery): Promise<SendReport> {
  const occurrence = 'alarmId' in message ? await asTimerMessage(message) : message;
  if (typeof occurrence === 'string') return { outcome: occurrence };
  const report = await runDueOccurrence(ALARM_KIND, occurrence, delivery, ({ timer, dueAt }) =>
    fireAlarm(toAlarm(timer), dueAt),
  );
  if (report.outcome === 'held') return { outcome: 'early' };
  if (report.outcome !== 'done') return { outcome: report.outcome };
  const lag = report.startLagMs === undefined ? {} : { lagMs: report.startLagMs };
  if (report.status === 'SENT') return { outcome: 'sent', ...lag };
  return {
    outcome: report.status === 'SKIPPED' ? 'skipped' : 'failed',
    ...(report.reason === undefined ? {} : { failureReason: report.reason }),
  };
}
