// The fields of a push as a client writes them (at alarm creation, and in a condition's answer):
// their limits, in one place, so both are checked alike.
// zod/mini: the push consumer checks a condition's answer with these, and its bundle holds no classic zod.
import * as z from 'zod/mini';

/** Bytes of the JSON of `data`. */
export const MAX_DATA_BYTES = 4096;
/** Keys FCM reserves in `data`, and ours: `alarmId` is added to every push, `occurrenceAt` to recurring ones. */
export const RESERVED_DATA_KEYS: ReadonlySet<string> = new Set([
  'alarmId',
  'occurrenceAt',
  'from',
  'message_type',
  'notification',
  'collapse_key',
]);
const RESERVED_DATA_PREFIXES = ['google', 'gcm'];

/** Length in characters (code points), so an emoji counts once. */
const chars = (s: string): number => [...s].length;

export const pushTitle = z.string().check(
  z.refine((s) => chars(s) >= 1 && chars(s) <= 200 && s.trim() !== '', 'must be 1 to 200 characters, not only spaces'),
  z.describe('Notification title, 1 to 200 characters'),
);

export const pushBody = z.string().check(
  z.refine((s) => chars(s) <= 2000, 'must be at most 2,000 characters'),
  z.describe('Notification body, up to 2,000 characters'),
);

export const pushData = z.record(z.string(), z.string()).check(
  z.superRefine((value, ctx) => {
    for (const key of Object.keys(value)) {
      const lower = key.toLowerCase();
      if (key === '' || RESERVED_DATA_KEYS.has(key) || RESERVED_DATA_PREFIXES.some((p) => lower.startsWith(p))) {
        ctx.addIssue({ code: 'custom', path: [key], message: 'is a reserved key' });
      }
    }
    if (Buffer.byteLength(JSON.stringify(value), 'utf8') > MAX_DATA_BYTES) {
      ctx.addIssue({ code: 'custom', message: `must be at most ${MAX_DATA_BYTES} bytes as JSON` });
    }
  }),
  z.describe('String values only, 4 KB in all; delivered with the push, plus "alarmId" (and "occurrenceAt")'),
);
