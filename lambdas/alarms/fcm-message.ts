// The FCM message the product sends for a push, and FCM's limit on it: notification plus data (our keys
// included) within 4,096 bytes. FCM does not document how it counts; we count the UTF-8 bytes of the
// JSON of {"notification", "data"} as sent, which is never less than FCM's count of the keys and values.
import type * as z from 'zod';

export const FCM_MAX_PAYLOAD_BYTES = 4096;

/** Placeholders as long as the real values, for checking a message before the alarm has an id. */
const ALARM_ID_PLACEHOLDER = '0'.repeat(26);
const OCCURRENCE_AT_PLACEHOLDER = '2000-01-01T00:00:00.000Z';

export interface PushContent {
  readonly title: string;
  readonly body: string;
  readonly data: Readonly<Record<string, string>>;
}

export interface PushMessageInput extends PushContent {
  readonly alarmId: string;
  readonly deviceToken: string;
  /** ISO UTC time of the occurrence; recurring alarms only. */
  readonly occurrenceAt?: string;
}

export interface FcmMessage {
  readonly message: {
    readonly token: string;
    readonly notification: { readonly title: string; readonly body: string };
    readonly data: Readonly<Record<string, string>>;
  };
}

/** The body of the `messages:send` request for a push. */
export function fcmMessage(push: PushMessageInput): FcmMessage {
  return {
    message: {
      token: push.deviceToken,
      notification: { title: push.title, body: push.body },
      data: {
        ...push.data,
        alarmId: push.alarmId,
        ...(push.occurrenceAt === undefined ? {} : { occurrenceAt: push.occurrenceAt }),
      },
    },
  };
}

/** Bytes of notification plus data (our keys included), as FCM's limit counts them (see above). */
export function fcmPayloadBytes(message: FcmMessage): number {
  const { notification, data } = message.message;
  return Buffer.byteLength(JSON.stringify({ notification, data }), 'utf8');
}

/** Bytes the push of an alarm not yet created would take; `recurring` adds `occurrenceAt`. */
export function plannedPayloadBytes(content: PushContent, recurring: boolean): number {
  return fcmPayloadBytes(
    fcmMessage({
      ...content,
      alarmId: ALARM_ID_PLACEHOLDER,
      deviceToken: '',
      ...(recurring ? { occurrenceAt: OCCURRENCE_AT_PLACEHOLDER } : {}),
    }),
  );
}

export const fitsFcm = (content: PushContent, recurring: boolean): boolean =>
  plannedPayloadBytes(content, recurring) <= FCM_MAX_PAYLOAD_BYTES;

/**
 * Adds a 400 detail to each of title, body and data (those present) when together they would not fit
 * FCM's limit. For the superRefine of an object schema holding the three fields.
 */
export function checkFcmSize(
  content: { title?: unknown; body?: unknown; data?: unknown },
  recurring: boolean,
  ctx: z.RefinementCtx,
): void {
  if (typeof content.title !== 'string' || typeof content.body !== 'string') return;
  const data = (content.data ?? {}) as Record<string, string>;
  const bytes = plannedPayloadBytes({ title: content.title, body: content.body, data }, recurring);
  if (bytes <= FCM_MAX_PAYLOAD_BYTES) return;
  const message = `title, body and data together make a ${bytes}-byte push; FCM takes at most ${FCM_MAX_PAYLOAD_BYTES} (notification plus data, "alarmId"${recurring ? ' and "occurrenceAt"' : ''} included)`;
  for (const field of ['title', 'body', 'data'] as const) {
    if (content[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message });
  }
}
