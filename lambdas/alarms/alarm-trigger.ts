// What makes a PENDING alarm's message reach the push queue at fireAt: its one-off schedule, or, while
// the Scheduler is unavailable, a delayed SQS message that the consumer keeps re-sending ("hops", at
// most 15 minutes each, SQS's longest delay) until fireAt.
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { ENV, SCHEDULE_GROUPS } from '../../lib/definitions.ts';
import { sqs } from '../shared/clients/sqs.ts';
import { ConfigError, lazy, requireEnv } from '../shared/config.ts';
import { logger } from '../shared/logger.ts';
import { deleteScheduleIfExists, moveOneOffSchedule, putOneOffSchedule } from '../shared/schedules.ts';
import type { Alarm } from './alarm-store.ts';
import type { SendDueAlarmMessage } from './messages.ts';

/** SQS's longest DelaySeconds. */
export const MAX_HOP_SECONDS = 900;

// Each read only where needed: the consumer never creates schedules, account deletion only deletes them.
const scheduleGroup = lazy(() => requireEnv(SCHEDULE_GROUPS.alarms.env));
const pushQueueArn = lazy(() => requireEnv(ENV.alarmPushQueueArn));
const pushQueueUrl = lazy(() => requireEnv(ENV.alarmPushQueueUrl));

export const alarmScheduleName = (alarmId: string): string => `alarm-${alarmId}`;

export const fireMessage = (alarm: Alarm): SendDueAlarmMessage => ({
  kind: 'send-due-alarm',
  accountId: alarm.accountId,
  alarmId: alarm.alarmId,
  version: alarm.version,
});

/** Whole seconds to wait so a message arrives at most a second before fireAt (the consumer waits out the rest). */
export const hopDelaySeconds = (fireAtMs: number, now: number): number =>
  Math.min(MAX_HOP_SECONDS, Math.max(0, Math.floor((fireAtMs - now) / 1000)));

/** Puts the message on the push queue, delayed towards fireAt. */
export async function sendHop(message: SendDueAlarmMessage, fireAtMs: number, now: number): Promise<void> {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: pushQueueUrl(),
      MessageBody: JSON.stringify(message),
      DelaySeconds: hopDelaySeconds(fireAtMs, now),
    }),
  );
}

export type Trigger = 'schedule' | 'queue';

/**
 * Sets up the alarm's trigger for its current fireAt and version: its schedule, or, if the Scheduler
 * fails, a hop on the push queue. Throws only when both fail; the caller must then undo the alarm.
 */
export async function triggerAlarm(alarm: Alarm, how: 'create' | 'move', now: number): Promise<Trigger> {
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
export async function untriggerAlarm(alarmId: string): Promise<void> {
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
