// What a condition URL's 2xx answer means: send as booked, send other text, or skip. Limits are those of
// alarm creation, and the push it makes must fit FCM's 4,096 bytes like any other.
import * as z from 'zod/mini';
import { checkFcmSize, type PushContent } from './fcm-message.ts';
import { pushBody, pushData, pushTitle } from './push-fields.ts';

export const CONDITION_INVALID_ANSWER = 'CONDITION_INVALID_ANSWER';

const answerSchema = z.discriminatedUnion('send', [
  z.strictObject({ send: z.literal(false) }),
  z.strictObject({
    send: z.literal(true),
    title: z.optional(pushTitle),
    body: z.optional(pushBody),
    data: z.optional(pushData),
  }),
]);

export type ConditionAnswer =
  /** Push, with `push` (the booked content, or the answer's replacements of it). */
  | { readonly kind: 'send'; readonly push: PushContent }
  /** `{"send": false}`: no push; the occurrence is SKIPPED, reason CONDITION_FALSE. */
  | { readonly kind: 'skip' }
  /** JSON, but not one of the answers above (or a push that could not be sent): FAILED, no retry. */
  | { readonly kind: 'invalid'; readonly reason: typeof CONDITION_INVALID_ANSWER; readonly detail: string }
  /** Not JSON at all (or cut off at the read limit): counted with non-2xx answers, retried. */
  | { readonly kind: 'not-json'; readonly detail: string };

/**
 * Reads the body of a 2xx answer. `booked` is what the alarm would push without the condition;
 * `recurring` says whether its pushes carry `occurrenceAt` (it counts towards FCM's limit).
 */
export function readConditionAnswer(
  rawBody: string,
  booked: PushContent,
  options: { readonly recurring: boolean; readonly truncated?: boolean },
): ConditionAnswer {
  if (options.truncated) return { kind: 'not-json', detail: 'The answer is longer than the product reads' };
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    return { kind: 'not-json', detail: 'The answer is not JSON' };
  }
  const parsed = answerSchema
    .check(
      z.superRefine((answer, ctx) => {
        if (!answer.send) return;
        checkFcmSize(
          { title: answer.title ?? booked.title, body: answer.body ?? booked.body, data: answer.data ?? booked.data },
          options.recurring,
          ctx,
        );
      }),
    )
    .safeParse(json);
  if (!parsed.success) {
    const detail = parsed.error.issues
      .map((issue) => `${issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue.message}`)
      .join('; ');
    return { kind: 'invalid', reason: CONDITION_INVALID_ANSWER, detail };
  }
  const answer = parsed.data;
  if (!answer.send) return { kind: 'skip' };
  return {
    kind: 'send',
    push: { title: answer.title ?? booked.title, body: answer.body ?? booked.body, data: answer.data ?? booked.data },
  };
}
