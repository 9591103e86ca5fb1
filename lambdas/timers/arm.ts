// The timer core: what makes a message reach its queue at the second it is due, although EventBridge
// Scheduler invokes "with 60 second precision" (anywhere in the minute after the time named, never before).
//  - arm: a schedule early enough that the window cannot make it late (at = due - window - margin), or,
//    when due is nearer than that (or the Scheduler is down), the message straight on the queue, delayed;
//  - hold: a message that arrives early goes back with DelaySeconds (at most 900), to come back between
//    two seconds and one second before due: a second of slack for the receive (hold.ts);
//  - release: the rest is waited out in the consumer, so nothing happens before it is due (hold.ts).
// Capability-neutral: a capability names the due instant, its queue, its message and its schedule.
// See README "On time, to the second".
import { ConfigError } from '../shared/config.ts';
import { logger } from '../shared/logger.ts';
import { deleteScheduleIfExists, moveOneOffSchedule, putOneOffSchedule } from '../shared/schedules.ts';
import { ARM_LEAD_MS, sendDelayed } from './hold.ts';

export interface TimerQueue {
  /** For the schedule's target. */
  readonly arn: string;
  /** For messages sent straight to the queue. */
  readonly url: string;
}

export interface TimerSchedule {
  readonly group: string;
  readonly name: string;
}

export interface Timer<M> {
  /** Epoch ms at which the effect is due: not before, and within a second of it. */
  readonly dueAt: number;
  readonly queue: TimerQueue;
  /** The JSON message the consumer gets, as is, whichever way it comes. */
  readonly message: M;
  /** The one-off schedule that carries it when due is far enough ahead. */
  readonly schedule: TimerSchedule;
}

export type Armed = 'schedule' | 'queue';

export interface ArmOptions {
  /** A first arming, or a timer moved to a new due time (its schedule, if any, exists already). */
  readonly how: 'create' | 'move';
  readonly now: number;
  /**
   * What to do when the Scheduler refuses: 'queue' rides the queue in delayed hops until due (a message
   * every 15 minutes); 'throw' leaves it to the caller (which must then undo what it booked).
   */
  readonly whenSchedulerFails: 'queue' | 'throw';
}

/** When the schedule must fire (epoch ms, whole seconds, rounded down so it is never later), or undefined: too near for one. */
export function scheduleTimeFor(dueAt: number, now: number): number | undefined {
  const at = Math.floor((dueAt - ARM_LEAD_MS) / 1000) * 1000;
  return at > now ? at : undefined;
}

/**
 * Makes the message reach its queue at dueAt: a schedule that fires at least a margin ahead of it, or
 * (due too near, or the Scheduler down and `whenSchedulerFails: 'queue'`) the message on the queue,
 * delayed towards it. Throws when neither took it; the caller must then undo the timer's owner.
 */
export async function armTimer<M>(timer: Timer<M>, options: ArmOptions): Promise<Armed> {
  const { dueAt, queue, message, schedule } = timer;
  const at = scheduleTimeFor(dueAt, options.now);
  if (at === undefined) {
    await sendDelayed(queue.url, message, dueAt, options.now);
    // A moved timer's earlier schedule carries an old message; the consumer drops it, but it need not fire.
    if (options.how === 'move') await disarmTimerQuietly(schedule);
    return 'queue';
  }
  const oneOff = { group: schedule.group, name: schedule.name, at, targetArn: queue.arn, message };
  try {
    await (options.how === 'create' ? putOneOffSchedule(oneOff) : moveOneOffSchedule(oneOff));
    return 'schedule';
  } catch (error) {
    // A deployment mistake must be loud, not quietly turn every timer into queue hops.
    if (error instanceof ConfigError || options.whenSchedulerFails === 'throw') throw error;
    logger.warn('Scheduler unavailable; the timer rides its queue instead', { schedule: schedule.name, error });
  }
  await sendDelayed(queue.url, message, dueAt, options.now);
  return 'queue';
}

/** Deletes the timer's schedule (one already fired, or never made, is fine); throws if the Scheduler fails. */
export async function disarmTimer(schedule: TimerSchedule): Promise<void> {
  await deleteScheduleIfExists(schedule.group, schedule.name);
}

/**
 * Deletes the timer's schedule, only logging a failure: for a timer whose message the consumer will
 * drop anyway (cancelled, moved), and whose one-off schedule deletes itself once it has fired.
 */
export async function disarmTimerQuietly(schedule: TimerSchedule): Promise<void> {
  try {
    await disarmTimer(schedule);
  } catch (error) {
    logger.warn('Could not delete a schedule whose message is now stale; it will be dropped', {
      schedule: schedule.name,
      error,
    });
  }
}
