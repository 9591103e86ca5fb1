// The alarms' overdue work: PENDING alarms still unsent a grace period after fireAt (their schedule
// never delivered), re-driven to the push queue with their current version. Called by the sweeper.
import { ENV } from '../../lib/definitions.ts';
import { lazy, requireEnv } from '../shared/config.ts';
import { sendMessages } from '../shared/send-messages.ts';
import { fireMessage } from './alarm-hops.ts';
import { findOverdueAlarms } from './alarm-store.ts';

/** An alarm is overdue only this long after fireAt: the Scheduler fires within the minute it names. */
export const ALARM_GRACE_MS = 2 * 60_000;

const pushQueueUrl = lazy(() => requireEnv(ENV.alarmPushQueueUrl));

/** Re-sends the message of every overdue alarm; how many there were. */
export async function redriveOverdueAlarms(now: number): Promise<number> {
  const alarms = await findOverdueAlarms(now - ALARM_GRACE_MS, now);
  await sendMessages(pushQueueUrl(), alarms.map(fireMessage));
  return alarms.length;
}
