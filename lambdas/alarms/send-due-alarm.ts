// What happens when an alarm's message arrives on the push queue: at most one FCM request per alarm at a
// time, never for a stale message, and a retry budget for FCM's bad moments. See README "Alarms".
import { randomUUID } from 'node:crypto';
import { ChangeMessageVisibilityCommand } from '@aws-sdk/client-sqs';
import { FUNCTIONS, QUEUES } from '../../lib/definitions.ts';
import { sqs } from '../shared/clients/sqs.ts';
import { logger } from '../shared/logger.ts';
import { RetryLaterError } from '../shared/sqs-batch.ts';
import { toIso } from '../shared/time.ts';
import { holdUntilDue, MAX_DELAY_SECONDS } from '../timers/hold.ts';
import { runDueOccurrence, type TimerMessage } from '../timers/index.ts';
import { claimAlarm, type Finish, finishAlarm, releaseClaim } from './alarm-claims.ts';
import { pushQueueUrl } from './alarm-hops.ts';
import { toAlarm } from './alarm-items.ts';
import { ALARM_KIND } from './alarm-kind.ts';
import { type Alarm, getAlarm } from './alarm-store.ts';
import { fireAlarm } from './fire-alarm.ts';
import type { SendDueAlarmMessage } from './messages.ts';

/** A claim outlives the attempt that took it: no invocation runs past the function's timeout. */
export const CLAIM_MS = FUNCTIONS.sendDueAlarm.timeoutSeconds * 1000;
export const RETRY_BASE_SECONDS = 2;
export const RETRY_CAP_SECONDS = 300;
export const MAX_RECEIVES = QUEUES.alarmPush.maxReceiveCount;

export interface Delivery {
  /** How many times SQS has handed out this message, this time included. */
  readonly receiveCount: number;
  readonly receiptHandle: string;
}

export type SendOutcome =
  | 'absent'
  | 'not-pending'
  | 'stale'
  | 'early'
  | 'sent'
  | 'skipped'
  | 'failed'
  | 'lost-claim'
  | 'duplicate-dropped';

export interface SendReport {
  readonly outcome: SendOutcome;
  /** How late the push went out (ms after fireAt), when it did. */
  readonly lagMs?: number;
  readonly failureReason?: string;
}

/** Exponential backoff with full jitter, in whole seconds (at least 1): attempt 1 waits up to 2 s, then 4, 8... */
export function backoffSeconds(receiveCount: number, random: () => number = Math.random): number {
  const ceiling = Math.min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2 ** Math.max(0, receiveCount - 1));
  return Math.max(1, Math.ceil(random() * ceiling));
}

/** Hands this record back to SQS after `seconds`, and fails it so only this record returns. */
async function retryLater(delivery: Delivery, seconds: number): Promise<never> {
  await sqs.send(
    new ChangeMessageVisibilityCommand({
      QueueUrl: pushQueueUrl(),
      ReceiptHandle: delivery.receiptHandle,
      VisibilityTimeout: seconds,
    }),
  );
  throw new RetryLaterError(`Retry in ${seconds} s`);
}

function dropReason(alarm: Alarm | undefined, version: number): SendOutcome | undefined {
  if (!alarm) return 'absent';
  if (alarm.status !== 'PENDING') return 'not-pending';
  if (alarm.version !== version) return 'stale';
  return undefined;
}

/** The core's message for the occurrence a one-off-style message of a recurring alarm stands for. */
const occurrenceMessage = (message: SendDueAlarmMessage, dueAt: string): TimerMessage => ({
  kind: ALARM_KIND.messageKind,
  accountId: message.accountId,
  id: message.alarmId,
  version: message.version,
  dueAt,
});

/**
 * Sends the alarm the message names, if the message is still its current one and fireAt has come.
 * Returns what happened; throws RetryLaterError (visibility already set) when the record must come back.
 */
export async function sendDueAlarm(message: SendDueAlarmMessage, delivery: Delivery): Promise<SendReport> {
  const { accountId, alarmId, version } = message;
  // A message names its fireAt (those sent before it did are read first): an early copy is held, and a
  // due one claimed, without a read. Only a copy that will hop again (fireAt beyond SQS's longest delay:
  // the Scheduler was down) is checked first, so a cancelled alarm stops hopping.
  let fireAt = message.fireAt === undefined ? undefined : Date.parse(message.fireAt);
  if (fireAt === undefined || fireAt - Date.now() > MAX_DELAY_SECONDS * 1000) {
    const stored = await getAlarm(accountId, alarmId);
    const drop = dropReason(stored, version);
    if (drop || !stored) return { outcome: drop ?? 'absent' };
    if (stored.repeat) return sendDueOccurrence(occurrenceMessage(message, stored.fireAt), delivery);
    fireAt = Date.parse(stored.fireAt);
  }

  // Came early (a hop towards a far fireAt, or the Scheduler's minute precision): wait on the queue. The
  // claim comes only at fireAt: until then the alarm can still be moved or cancelled (claiming while
  // waiting would leave less to do at fireAt, but answer 409 to a change in the alarm's last 2 s).
  if ((await holdUntilDue({ dueAt: fireAt, queueUrl: pushQueueUrl(), message })) === 'held')
    return { outcome: 'early' };

  const attemptId = randomUUID();
  const claimedAt = Date.now();
  const alarm = await claimAlarm(accountId, alarmId, version, attemptId, claimedAt, claimedAt + CLAIM_MS);
  if (!alarm) {
    const current = await getAlarm(accountId, alarmId);
    const reason = dropReason(current, version);
    if (reason) return { outcome: reason };
    // Another attempt holds it (a duplicate delivery). Come back once its claim has run out, to finish
    // the job should it have died; unless this copy has used its receives, then the holder's own
    // message (which returns if the holder dies) is enough.
    if (delivery.receiveCount >= MAX_RECEIVES) return { outcome: 'duplicate-dropped' };
    const waitMs = Math.max(0, (current?.claimedUntil ?? claimedAt) - claimedAt);
    return retryLater(delivery, Math.ceil(waitMs / 1000) + 1);
  }

  if (alarm.repeat) {
    // A one-off alarm's message for a recurring alarm (its overdue re-drive): the core runs the occurrence.
    await releaseClaim(accountId, alarmId, attemptId);
    return sendDueOccurrence(occurrenceMessage(message, alarm.fireAt), delivery);
  }
  const result = await fireAlarm(alarm, alarm.fireAt);
  if (result.kind === 'retry-later') {
    if (delivery.receiveCount >= MAX_RECEIVES) {
      // Budget spent: the alarm says so, and the record still fails so the message lands in the DLQ.
      await finishAlarm(alarm, attemptId, { status: 'FAILED', failureReason: result.reason });
      logger.error('Alarm failed: no answer for its whole retry budget', { alarmId, reason: result.reason });
      throw new RetryLaterError('Retry budget spent');
    }
    await releaseClaim(accountId, alarmId, attemptId);
    const seconds = result.retryAfterSeconds ?? backoffSeconds(delivery.receiveCount);
    logger.warn('Coming back later', { alarmId, reason: result.reason, retryInSeconds: seconds });
    return retryLater(delivery, seconds);
  }
  const sentAt = Date.now();
  const { status, reason = '' } = result.end;
  const finish: Finish =
    status === 'SENT'
      ? { status: 'SENT', sentAt: toIso(sentAt) }
      : { status: status === 'SKIPPED' ? 'SKIPPED' : 'FAILED', failureReason: reason };
  if (!(await finishAlarm(alarm, attemptId, finish))) {
    logger.warn('The claim ran out before the outcome was recorded', { alarmId, outcome: finish.status });
    return { outcome: 'lost-claim' };
  }
  if (finish.status === 'SENT') return { outcome: 'sent', lagMs: sentAt - fireAt };
  if (finish.status === 'SKIPPED') return { outcome: 'skipped', failureReason: finish.failureReason };
  logger.warn('Alarm failed for good', { alarmId, reason: finish.failureReason });
  return { outcome: 'failed', failureReason: finish.failureReason };
}

/**
 * A recurring alarm's occurrence, run by the timer core: held until due, claimed at the version and time
 * its message names, fired once, recorded, and the next occurrence armed.
 */
export async function sendDueOccurrence(message: TimerMessage, delivery: Delivery): Promise<SendReport> {
  const report = await runDueOccurrence(ALARM_KIND, message, delivery, ({ timer, dueAt }) =>
    fireAlarm(toAlarm(timer.item), dueAt),
  );
  if (report.outcome === 'held') return { outcome: 'early' };
  if (report.outcome !== 'done') return { outcome: report.outcome };
  const lag = report.startLagMs === undefined ? {} : { lagMs: report.startLagMs };
  if (report.status === 'SENT') return { outcome: 'sent', ...lag };
  return {
    outcome: report.status === 'SKIPPED' ? 'skipped' : 'failed',
    ...(report.reason === undefined ? {} : { failureReason: report.reason }),
  };
}
