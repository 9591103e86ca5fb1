// Arming an alarm: a timer (lambdas/timers/) that makes a PENDING alarm's message reach the push queue at
// fireAt, armed by its one-off schedule a minute and a margin ahead, or straight on the queue when fireAt
// is nearer than that or the Scheduler is unavailable (then the consumer keeps re-sending it, "hops" of at
// most 15 minutes, until fireAt).
import { ONE_OFF_SCHEDULE_TARGETS, SCHEDULE_GROUPS } from '../../lib/definitions.ts';
import { lazy, requireEnv } from '../shared/config.ts';
import { type Armed, armTimer, disarmTimer, disarmTimerQuietly, type TimerSchedule } from '../timers/arm.ts';
import { fireMessage, pushQueueUrl } from './alarm-hops.ts';
import type { Alarm } from './alarm-store.ts';

// Each read only where needed: account deletion only deletes schedules, it never creates one.
const scheduleGroup = lazy(() => requireEnv(SCHEDULE_GROUPS.alarms.env));
const pushQueueArn = lazy(() => requireEnv(ONE_OFF_SCHEDULE_TARGETS[SCHEDULE_GROUPS.alarms.targetQueue]));

export const alarmScheduleName = (alarmId: string): string => `alarm-${alarmId}`;
const alarmSchedule = (alarmId: string): TimerSchedule => ({
  group: scheduleGroup(),
  name: alarmScheduleName(alarmId),
});

/** What carries an armed alarm's message to fireAt. */
export type ArmedBy = Armed;

/**
 * Arms the alarm for its current fireAt and version: its schedule, or a message on the push queue.
 * Throws only when both fail; the caller must then undo the alarm.
 */
export function armAlarm(alarm: Alarm, how: 'create' | 'move', now: number): Promise<ArmedBy> {
  return armTimer(
    {
      dueAt: Date.parse(alarm.fireAt),
      queue: { arn: pushQueueArn(), url: pushQueueUrl() },
      message: fireMessage(alarm),
      schedule: alarmSchedule(alarm.alarmId),
    },
    { how, now, whenSchedulerFails: 'queue' },
  );
}

/**
 * Deletes the alarm's schedule after a cancel. Failure is only logged: the schedule's message names an
 * old version and will be dropped, and the schedule deletes itself once it has fired.
 */
export async function disarmAlarm(alarmId: string): Promise<void> {
  await disarmTimerQuietly(alarmSchedule(alarmId));
}

/** Deletes the alarm's schedule for good (account deletion); throws if the Scheduler fails. */
export async function deleteAlarmSchedule(alarmId: string): Promise<void> {
  await disarmTimer(alarmSchedule(alarmId));
}
