// The consumer's half of the timer core (lambdas/timers/): hold a message that arrives early (SQS
// DelaySeconds, at most 900, to come back between two seconds and one second before due) and wait out
// the rest, so nothing happens before it is due. Apart from arm.ts so a consumer's bundle holds no
// Scheduler client. See README "On time, to the second".
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { sqs } from '../shared/clients/sqs.ts';

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

/**
 * Whole seconds to delay a message so that it arrives between two seconds and one second before dueAt
 * (SQS delays are whole seconds), or at once when that is already past; never after dueAt.
 */
export function delayTowards(dueAt: number, now: number): number {
  return Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.floor((dueAt - now - RELEASE_SLACK_MS) / 1000)));
}

export async function sendDelayed(queueUrl: string, message: unknown, dueAt: number, now: number): Promise<void> {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify(message),
      DelaySeconds: delayTowards(dueAt, now),
    }),
  );
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
