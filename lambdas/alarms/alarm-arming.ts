// Arming an alarm: setting up what makes a PENDING alarm's message reach the push queue at fireAt, its
// one-off schedule or, while the Scheduler is unavailable, a delayed SQS message that the consumer keeps re-sending ("hops", at
// most 15 minutes each, SQS's longest delay) until fireAt.
import { ONE_OFF_SCHEDULE_TARGETS, SCHEDULE_GROUPS } from '../../lib/definitions.ts';
import { ConfigError, lazy, requireEnv } from '../shared/config.ts';
import { logger } from '../shared/logger.ts';
import { deleteScheduleIfExists, moveOneOffSchedule, putOneOffSchedule } from '../shared/schedules.ts';
import { fireMessage, sendHop } from './alarm-hops.ts';
import type { Alarm } from './alarm-store.ts';

// Each read only where needed: account deletion only deletes schedules, it never creates one.
const scheduleGroup = lazy(() => requireEnv(SCHEDULE_GROUPS.alarms.env));
const pushQueueArn = lazy(() => requireEnv(ONE_OFF_SCHEDULE_TARGETS[SCHEDULE_GROUPS.alarms.targetQueue]));

export const alarmScheduleName = (alarmId: string): string => `alarm-${alarmId}`;

/** What carries an armed alarm's message to fireAt. */
export type ArmedBy = 'schedule' | 'queue';

/**
 * Arms the alarm for its current fireAt and version: its schedule, or, if the Scheduler
 * fails, a hop on the push queue. Throws only when both fail; the caller must then undo the alarm.
 */
export async function armAlarm(alarm: Alarm, how: 'create' | 'move', now: number): Promise<ArmedBy> {
  const fireAtMs = Date.parse(alarm.fireAt);
  const schedule = {
    group: scheduleGroup(),
    name: alarmScheduleName(alarm.alarmId),
    // The second fireAt falls in, not the next one: the consumer waits out the sub-second rest, so the
    // push is not up to a second late (but never a second already past). In AWS the Scheduler fires
    // anywhere within the minute named; the consumer holds back a message that comes early.
    at: Math.max(Math.floor(fireAtMs / 1000) * 1000, now),
    targetArn: pushQueueArn(),
    message: fireMessage(alarm),
  };
  try {
    await (how === 'create' ? putOneOffSchedule(schedule) : moveOneOffSchedule(schedule));
    return 'schedule';
  } catch (error) {
    // A deployment mistake must be loud, not quietly turn every alarm into queue hops.
    if (error instanceof ConfigError) throw error;
    logger.warn('Scheduler unavailable; the alarm rides the push queue instead', { alarmId: alarm.alarmId, error });
  }
  await sendHop(fireMessage(alarm), fireAtMs, now);
  return 'queue';
}

/**
 * Deletes the alarm's schedule after a cancel. Failure is only logged: the schedule's message names an
 * old version and will be dropped, and the schedule deletes itself once it has fired.
 */
export async function disarmAlarm(alarmId: string): Promise<void> {
  try {
    await deleteScheduleIfExists(scheduleGroup(), alarmScheduleName(alarmId));
  } catch (error) {
    logger.warn('Could not delete the schedule of a cancelled alarm; its stale message will be dropped', {
      alarmId,
      error,
    });
  }
}

/** Deletes the alarm's schedule for good (account deletion); throws if the Scheduler fails. */
export async function deleteAlarmSchedule(alarmId: string): Promise<void> {
  await deleteScheduleIfExists(scheduleGroup(), alarmScheduleName(alarmId));
}
