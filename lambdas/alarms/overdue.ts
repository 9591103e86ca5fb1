// The alarms' overdue work: PENDING alarms still unsent a grace period after fireAt (their schedule
// never delivered), re-driven to the push queue with their current version. Called by the sweeper.
import { ENV } from '../../lib/definitions.ts';
import { lazy, requireEnv } from '../shared/config.ts';
import { sendMessages } from '../shared/send-messages.ts';
import { fireMessage } from './alarm-hops.ts';
import { ALARM_KIND } from './alarm-kind.ts';
import { findOverdueAlarms } from './alarm-store.ts';

/** An alarm is overdue only this long after fireAt: the Scheduler fires within the minute it names. */
export const ALARM_GRACE_MS = 2 * 60_000;

const pushQueueUrl = lazy(() => requireEnv(ENV.alarmPushQueueUrl));

/** Re-sends the message of every overdue alarm; how many there were. */
export async function redriveOverdueAlarms(now: number): Promise<number> {
  const alarms = await findOverdueAlarms(now - ALARM_GRACE_MS, now);
  // A recurring alarm's occurrence is re-driven with the core's message, which names it.
  const messages = alarms.map((alarm) =>
    alarm.repeat
      ? {
          kind: ALARM_KIND.messageKind,
          accountId: alarm.accountId,
          id: alarm.alarmId,
          version: alarm.version,
          dueAt: alarm.fireAt,
        }
      : fireMessage(alarm),
  );
  await sendMessages(pushQueueUrl(), messages);
  return alarms.length;
}
