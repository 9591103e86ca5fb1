// Fields the routes of every timer kind (alarms, jobs) share: the instant a one-off one is due, and how a
// recurring one's repeat rule reads back.
import * as z from 'zod';

const DAY_MS = 86_400_000;
/** How far ahead a one-off timer may be due. */
export const MAX_LEAD_DAYS = 365;
/** Range checks only run on a well-formed date, so a bad one gets one clear message. */
const wellFormed = { when: (payload: { issues: readonly unknown[] }) => payload.issues.length === 0 };

/** An ISO-8601 instant with any offset, in the future and at most MAX_LEAD_DAYS ahead. */
export const futureInstant = (description: string) =>
  z.iso
    .datetime({ offset: true })
    .refine((value) => Date.parse(value) > Date.now(), { message: 'must be in the future', ...wellFormed })
    .refine((value) => Date.parse(value) <= Date.now() + MAX_LEAD_DAYS * DAY_MS, {
      message: `must be at most ${MAX_LEAD_DAYS} days ahead`,
      ...wellFormed,
    })
    .describe(description);

/** A recurring timer's rule as the client reads it back. */
export const repeatView = z.object({ cron: z.string(), timezone: z.string(), until: z.iso.datetime().optional() });

/** The 503 of a creating route: the Scheduler did not take the schedule, so nothing was booked. */
export const notScheduled = { description: 'Scheduling is unavailable; nothing was created; retry' };
