// The `repeat` field of the API's requests: a recurrence rule as a client writes it, checked and normalised.
import * as z from 'zod';
import { canonicalTimeZone, compileCron, nextOccurrence, RecurrenceError } from './recurrence.ts';

/** Range and combination checks run only once each field is well-formed, so a bad one gets one message. */
export const repeatSchema = z
  .strictObject({
    cron: z
      .string()
      .max(200)
      .superRefine((value, ctx) => {
        try {
          compileCron(value);
        } catch (error) {
          if (!(error instanceof RecurrenceError)) throw error;
          ctx.addIssue({ code: 'custom', message: error.message });
        }
      })
      .transform((value) => value.trim().split(/\s+/).join(' '))
      .describe(
        'Five-field Unix cron: minute hour day-of-month month day-of-week (0-7, 0 and 7 Sunday, or SUN-SAT; months 1-12 or JAN-DEC), with *, lists, ranges and steps',
      ),
    timezone: z
      .string()
      .max(64)
      .transform((value, ctx) => {
        const canonical = canonicalTimeZone(value);
        if (canonical === undefined) {
          ctx.addIssue({ code: 'custom', message: 'must be an IANA time zone such as Asia/Seoul or UTC' });
          return z.NEVER;
        }
        return canonical;
      })
      .default('UTC')
      .describe('IANA time zone of the cron times (default UTC)'),
    until: z.iso
      .datetime({ offset: true })
      .transform((value) => new Date(Date.parse(value)).toISOString())
      .optional()
      .describe('ISO-8601 instant with offset; no occurrence after it'),
  })
  .superRefine((rule, ctx) => {
    let first: number | undefined;
    try {
      first = nextOccurrence({ cron: rule.cron, timezone: rule.timezone }, Date.now());
    } catch {
      return; // the cron field already has its issue
    }
    if (first === undefined) {
      ctx.addIssue({ code: 'custom', path: ['cron'], message: 'never fires' });
    } else if (rule.until !== undefined && Date.parse(rule.until) < first) {
      ctx.addIssue({
        code: 'custom',
        path: ['until'],
        message: `is before the first occurrence (${new Date(first).toISOString()})`,
      });
    }
  })
  .describe('A recurrence: every time the cron names, in its time zone, until `until`');

export type Repeat = z.output<typeof repeatSchema>;
