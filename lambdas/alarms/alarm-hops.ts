// Queue hops: while the Scheduler is unavailable, a PENDING alarm's message reaches the push queue as a
// delayed SQS message that the consumer keeps re-sending (at most 15 minutes each, SQS's longest delay)
// until fireAt. Apart from alarm-arming.ts so the push consumer's bundle holds no Scheduler client.
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { ENV } from '../../lib/definitions.ts';
import { sqs } from '../shared/clients/sqs.ts';
import { lazy, requireEnv } from '../shared/config.ts';
import type { Alarm } from './alarm-store.ts';
import type { SendDueAlarmMessage } from './messages.ts';

/** SQS's longest DelaySeconds. */
export const MAX_HOP_SECONDS = 900;

const pushQueueUrl = lazy(() => requireEnv(ENV.alarmPushQueueUrl));

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
