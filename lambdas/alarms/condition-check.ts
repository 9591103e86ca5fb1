// The condition step of a fire: before the push, a signed POST of {alarmId, fireAt, data} to the alarm's
// condition URL, whose answer decides whether (and what) to push. See README "A condition checked at fire time".
import { DEFAULTS } from '../../lib/definitions.ts';
import { signingSecretOf } from '../accounts/index.ts';
import { signedPost } from '../shared/outbound/signed-post.ts';
import type { Alarm } from './alarm-kind.ts';
import { readConditionAnswer } from './condition-answer.ts';
import type { PushContent } from './fcm-message.ts';

export const CONDITION_FALSE = 'CONDITION_FALSE';
export const CONDITION_UNREACHABLE = 'CONDITION_UNREACHABLE';

export type ConditionVerdict =
  /** Push this (the booked content, or the answer's replacement of it). */
  | { readonly kind: 'send'; readonly push: PushContent }
  /** `{"send": false}`: no push; SKIPPED, reason CONDITION_FALSE. */
  | { readonly kind: 'skip' }
  /** Will never work for this fire: an invalid answer, a URL refused at call time, no signing secret. */
  | { readonly kind: 'failed'; readonly reason: string; readonly detail: string }
  /** Not a usable answer (non-2xx, timeout, not JSON, unreachable): ask again later, like an FCM 5xx. */
  | { readonly kind: 'retry'; readonly detail: string; readonly retryAfterSeconds?: number };

/** Asks the alarm's condition about the fire at `fireAt` (ISO UTC). Never throws on the receiver's behalf. */
export async function checkCondition(
  alarm: Alarm,
  fireAt: string,
  timeoutMs = DEFAULTS.conditionTimeoutMs,
): Promise<ConditionVerdict> {
  const booked: PushContent = { title: alarm.title, body: alarm.body, data: alarm.data };
  if (!alarm.condition) return { kind: 'send', push: booked };
  const secret = await signingSecretOf(alarm.accountId);
  // A secret is required to book a condition and can only be replaced, never removed: only an account
  // being deleted has none, and its alarms go with it.
  if (secret === undefined)
    return { kind: 'failed', reason: 'NO_SIGNING_SECRET', detail: 'The account has no signing secret' };
  const outcome = await signedPost({
    url: alarm.condition.url,
    body: { alarmId: alarm.alarmId, fireAt, data: alarm.data },
    secret,
    timeoutMs,
  });
  switch (outcome.kind) {
    case 'refused':
      return { kind: 'failed', reason: outcome.reason, detail: outcome.detail };
    case 'retryable':
      return {
        kind: 'retry',
        detail: `${outcome.reason}${outcome.detail ? `: ${outcome.detail}` : ''}`,
        ...(outcome.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: outcome.retryAfterSeconds }),
      };
    case 'final':
      // The contract counts every non-2xx alike: another try may find the receiver fixed.
      return { kind: 'retry', detail: outcome.reason };
    case 'success': {
      const answer = readConditionAnswer(outcome.body, booked, {
        recurring: alarm.repeat !== undefined,
        truncated: outcome.truncated,
      });
      if (answer.kind === 'send') return { kind: 'send', push: answer.push };
      if (answer.kind === 'skip') return { kind: 'skip' };
      if (answer.kind === 'invalid') return { kind: 'failed', reason: answer.reason, detail: answer.detail };
      return { kind: 'retry', detail: answer.detail };
    }
  }
}
