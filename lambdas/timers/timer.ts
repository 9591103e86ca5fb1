// The timer core: what makes a message reach its queue at the second it is due, although EventBridge
// Scheduler invokes "with 60 second precision" (anywhere in the minute after the time named, never before).
//  - arm: a schedule early enough that the window cannot make it late (at = due - window - margin), or,
//    when due is nearer than that (or the Scheduler is down), the message straight on the queue, delayed;
//  - hold: a message that arrives early goes back with DelaySeconds (at most 900), to come back between
//    two seconds and one second before due: a second of slack for the receive and whatever the consumer
//    can do ahead (the push consumer claims its alarm);
//  - release: the rest is waited out in the consumer, so nothing happens before it is due.
// Capability-neutral: a capability names the due instant, its queue, its message and its schedule.
// See README "On time, to the second".
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { sqs } from '../shared/clients/sqs.ts';
import { ConfigError } from '../shared/config.ts';
import { logger } from '../shared/logger.ts';
import { deleteScheduleIfExists, moveOneOffSchedule, putOneOffSchedule } from '../shared/schedules.ts';

/** EventBridge Scheduler's precision: an invocation lands up to this long after the time it names. */
export const FIRING_WINDOW_MS = 60_000;
/**
 * What the message needs, after the latest possible invocation, to reach the consumer and be held:
 * Scheduler to SQS, the event source's receive, the hold's own SendMessage (each well under a second in
 * AWS), with room for throttled invocations (the Scheduler's quota is 1,000/s) and retries.
 */
export const ARM_MARGIN_MS = 10_000;
/** How far ahead of due a schedule fires at the latest... and so how early it is armed. */
export const ARM_LEAD_MS = FIRING_WINDOW_MS + ARM_MARGIN_MS;
/** SQS's longest DelaySeconds. */
export const MAX_DELAY_SECONDS = 900;
/** Arriving more than this early, a message goes back to the queue; less, the consumer waits. */
export const HOLD_TOLERANCE_MS = 2_000;
/** A held (or directly sent) message comes back at least this long before due: slack for the receive. */
export const RELEASE_SLACK_MS = 1_000;

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
 * Whole seconds to delay a message so that it arrives between two seconds and one second before dueAt
 * (SQS delays are whole seconds), or at once when that is already past; never after dueAt.
 */
export function delayTowards(dueAt: number, now: number): number {
  return Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.floor((dueAt - now - RELEASE_SLACK_MS) / 1000)));
}

async function sendDelayed(queueUrl: string, message: unknown, dueAt: number, now: number): Promise<void> {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify(message),
      DelaySeconds: delayTowards(dueAt, now),
    }),
  );
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

export type Arrival = 'held' | 'due';

export interface Arrived<M> {
  readonly dueAt: number;
  /** The queue it came from: where it waits if it came early. */
  readonly queueUrl: string;
  readonly message: M;
}

/** Timers may fire a millisecond early against the wall clock; the effect must not. */
export async function waitUntil(epochMs: number, clock: () => number = Date.now): Promise<void> {
  for (let left = epochMs - clock(); left > 0; left = epochMs - clock()) {
    await new Promise((resolve) => setTimeout(resolve, left));
  }
}

export interface HoldOptions {
  /**
   * Work that may be done before dueAt but not the effect itself (the push consumer's claim), run while
   * the last moments are waited out. 'due' comes only once both are over.
   */
  readonly meanwhile?: () => Promise<unknown>;
  readonly clock?: () => number;
}

/**
 * For a consumer, when a timer's message arrives: more than two seconds early, it goes back to the queue
 * delayed towards dueAt ('held': the consumer is done with this copy); otherwise the rest is waited out
 * here and it is 'due' (now ≥ dueAt). A late message is due at once.
 */
export async function holdUntilDue<M>(arrived: Arrived<M>, options: HoldOptions = {}): Promise<Arrival> {
  const clock = options.clock ?? Date.now;
  const now = clock();
  if (arrived.dueAt - now > HOLD_TOLERANCE_MS) {
    await sendDelayed(arrived.queueUrl, arrived.message, arrived.dueAt, now);
    return 'held';
  }
  await Promise.all([waitUntil(arrived.dueAt, clock), options.meanwhile?.()]);
  return 'due';
}
