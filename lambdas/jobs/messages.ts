import * as z from 'zod/mini';
import { timerMessage } from '../timers/kind.ts';
import { JOB_MESSAGE_KIND } from './job-kind.ts';

/** The message of one run of a job: the timer core's occurrence message, of the jobs' kind. */
export const runDueJobMessage = z.extend(timerMessage, { kind: z.literal(JOB_MESSAGE_KIND) });
export type RunDueJobMessage = z.infer<typeof runDueJobMessage>;
