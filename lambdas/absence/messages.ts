import * as z from 'zod';

/** Starts a run: from the nightly schedule (the Scheduler fills in `at`) or from the admin API. */
export const absenceRunMessage = z.object({
  kind: z.literal('absence-run'),
  trigger: z.enum(['schedule', 'api']),
  runId: z.string().min(1).optional(),
  /** The run's instant; a schedule message whose placeholder was not filled in falls back to SentTimestamp. */
  at: z.string().optional(),
});

/** One page of one week's participants, for one run. */
export const absenceChunkMessage = z.object({
  kind: z.literal('absence-chunk'),
  runId: z.string().min(1),
  studyId: z.string().min(1),
  week: z.number().int().positive(),
  /** Which page of the week (0, 1, ...); with `cursor`, where that page starts. */
  chunk: z.number().int().nonnegative(),
  cursor: z.string().optional(),
});

export const absenceMessage = z.discriminatedUnion('kind', [absenceRunMessage, absenceChunkMessage]);
export type AbsenceRunMessage = z.infer<typeof absenceRunMessage>;
export type AbsenceChunkMessage = z.infer<typeof absenceChunkMessage>;
export type AbsenceMessage = z.infer<typeof absenceMessage>;
