// The action of one fire of an alarm, one-off or recurring: ask its condition (if any), then push. It
// says what became of the fire (done: SENT, SKIPPED or FAILED) or that it must be tried again later; the
// claim around it, the records and the retries belong to whoever runs it (the timer core for recurring
// alarms, send-due-alarm.ts for one-off ones).
import { logger } from '../shared/logger.ts';
import { type ActionResult, done, retryLater } from '../timers/index.ts';
import type { Alarm } from './alarm-kind.ts';
import { CONDITION_FALSE, CONDITION_UNREACHABLE, checkCondition } from './condition-check.ts';
import { sendPush } from './fcm-client.ts';

/** Fires `alarm` for its occurrence at `occurrenceAt` (ISO UTC; a recurring alarm's push carries it). */
export async function fireAlarm(alarm: Alarm, occurrenceAt: string): Promise<ActionResult> {
  let content = { title: alarm.title, body: alarm.body, data: alarm.data };
  if (alarm.condition) {
    const verdict = await checkCondition(alarm, occurrenceAt);
    switch (verdict.kind) {
      case 'skip':
        return done('SKIPPED', { reason: CONDITION_FALSE });
      case 'failed':
        logger.warn('Condition failed for good', {
          alarmId: alarm.alarmId,
          reason: verdict.reason,
          detail: verdict.detail,
        });
        return done('FAILED', { reason: verdict.reason });
      case 'retry':
        logger.warn('Condition gave no usable answer', { alarmId: alarm.alarmId, detail: verdict.detail });
        return retryLater(
          CONDITION_UNREACHABLE,
          verdict.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: verdict.retryAfterSeconds },
        );
      case 'send':
        content = { ...verdict.push };
    }
  }
  const result = await sendPush({
    alarmId: alarm.alarmId,
    deviceToken: alarm.deviceToken,
    ...content,
    ...(alarm.repeat ? { occurrenceAt } : {}),
  });
  switch (result.kind) {
    case 'accepted':
      return done('SENT');
    case 'dead-token':
      // No further occurrence of a recurring alarm would reach this device either.
      return done('FAILED', { reason: result.reason, endsTimer: true });
    case 'rejected':
      return done('FAILED', { reason: result.reason });
    case 'retry-later':
      return retryLater(
        result.reason,
        result.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: result.retryAfterSeconds },
      );
  }
}
