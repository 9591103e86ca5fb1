import * as z from 'zod/mini';
import { timerMessage } from '../timers/index.ts';

/**
 * Sent by the alarm's one-off schedule at fireAt, by the API straight to the queue when the Scheduler
 * is unavailable, by the consumer itself to wait out an early arrival ("hop"), and by the sweeper.
 * Only a message naming the alarm's current `version` may send it.
 */
export const sendDueAlarmMessage = z.object({
  kind: z.literal('send-due-alarm'),
  accountId: z.string().check(z.minLength(1)),
  alarmId: z.string().check(z.minLength(1)),
  version: z.int().check(z.minimum(1)),
  /** The fireAt this version names: lets the consumer hold an early copy, and claim with no read first. */
  fireAt: z.optional(z.iso.datetime()),
});
export type SendDueAlarmMessage = z.infer<typeof sendDueAlarmMessage>;

/**
 * What the push queue carries: a one-off alarm's message above, or an occurrence of a recurring alarm as
 * the timer core names it (`{kind, accountId, id, version, dueAt}`), armed by the core.
 */
export const pushQueueMessage = z.union([
  sendDueAlarmMessage,
  z.extend(timerMessage, { kind: z.literal('send-due-alarm') }),
]);
export type PushQueueMessage = z.infer<typeof pushQueueMessage>;
