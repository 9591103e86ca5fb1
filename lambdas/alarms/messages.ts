import * as z from 'zod';

/**
 * Sent by the alarm's one-off schedule at fireAt, by the API straight to the queue when the Scheduler
 * is unavailable, by the consumer itself to wait out an early arrival ("hop"), and by the sweeper.
 * Only a message naming the alarm's current `version` may send it.
 */
export const sendDueAlarmMessage = z.object({
  kind: z.literal('send-due-alarm'),
  accountId: z.string().min(1),
  alarmId: z.string().min(1),
  version: z.number().int().min(1),
  /** The fireAt this version names: lets the consumer hold an early copy, and claim with no read first. */
  fireAt: z.iso.datetime().optional(),
});
export type SendDueAlarmMessage = z.infer<typeof sendDueAlarmMessage>;
