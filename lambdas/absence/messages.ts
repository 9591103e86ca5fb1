import * as z from 'zod/mini';

/** Starts a run: from the nightly schedule (the Scheduler fills in `at`) or from the admin API. */
export const absenceRunMessage = z.object({
  kind: z.literal('absence-run'),
  trigger: z.enum(['schedule', 'api']),
  runId: z.optional(z.string().check(z.minLength(1))),
  /** The run's instant; a schedule message whose placeholder was not filled in falls back to SentTimestamp. */
  at: z.optional(z.string()),
});

/** One page of one week's participants, for one run. */
export const absenceChunkMessage = z.object({
  kind: z.literal('absence-chunk'),
  runId: z.string().check(z.minLength(1)),
  studyId: z.string().check(z.minLength(1)),
  week: z.int().check(z.positive()),
  /** Which page of the week (0, 1, ...); with `cursor`, where that page starts. */
  chunk: z.int().check(z.nonnegative()),
  cursor: z.optional(z.string()),
});

export const absenceMessage = z.discriminatedUnion('kind', [absenceRunMessage, absenceChunkMessage]);
export type AbsenceRunMessage = z.infer<typeof absenceRunMessage>;
export type AbsenceChunkMessage = z.infer<typeof absenceChunkMessage>;
export type AbsenceMessage = z.infer<typeof absenceMessage>;
