import * as z from 'zod/mini';
import { timerMessage } from '../timers/index.ts';

/**
 * A one-off alarm's message as the version before the timer core sent it (its schedule, the queue, a
 * hop, the sweeper): still accepted from schedules and queues, and translated to the core's message.
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
 * What the push queue carries: an alarm occurrence as the timer core names it (`{kind, accountId, id,
 * version, dueAt}`), armed by the core for every alarm, or a one-off alarm's message of the version before.
 */
export const pushQueueMessage = z.union([
  sendDueAlarmMessage,
  z.extend(timerMessage, { kind: z.literal('send-due-alarm') }),
]);
export type PushQueueMessage = z.infer<typeof pushQueueMessage>;
