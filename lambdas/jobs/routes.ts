// HTTP routes of webhook jobs: a signed POST to the team's own backend at a chosen time, one-off or recurring.
import * as z from 'zod';
import { DEFAULTS } from '../../lib/definitions.ts';
import { ownedResourceRoutes } from '../http/owned-routes.ts';
import { outboundUrl } from '../shared/outbound/url-schema.ts';
import { repeatSchema } from '../shared/repeat-schema.ts';
import { futureInstant, notScheduled, repeatView } from '../shared/timer-fields.ts';
import {
  cancelOwnJob,
  changeOwnJob,
  createJob,
  getOwnJob,
  type Job,
  type JobPatch,
  listOwnJobRuns,
  listOwnJobs,
} from './jobs.ts';

const runAt = futureInstant('When to run: ISO-8601 with any offset, in the future, at most 365 days ahead');

const payload = z
  .record(z.string(), z.unknown())
  .refine((value) => Buffer.byteLength(JSON.stringify(value), 'utf8') <= DEFAULTS.maxJobPayloadBytes, {
    message: `must be at most ${DEFAULTS.maxJobPayloadBytes / 1024} KB as JSON`,
  })
  .describe('Any JSON object, up to 16 KB; sent as is in every call (default {})');

const status = z.enum(['PENDING', 'PAUSED', 'SUCCEEDED', 'FAILED', 'CANCELLED']);

const jobView = z.object({
  jobId: z.string(),
  status,
  runAt: z.iso.datetime().optional().describe('One-off jobs'),
  repeat: repeatView.optional().describe('Recurring jobs'),
  nextRunAt: z.iso.datetime().optional().describe('Recurring jobs while PENDING: the next run'),
  url: z.string(),
  payload: z.record(z.string(), z.unknown()),
  createdAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().optional(),
  failureReason: z.string().optional().describe('Why it FAILED, e.g. HTTP_404 or UNREACHABLE'),
});

const runView = z.object({
  runAt: z.iso.datetime(),
  status: z.enum(['SUCCEEDED', 'FAILED']),
  attempts: z.number().int().describe('Calls made for this run'),
  httpStatus: z.number().int().optional().describe("The last call's answer, when there was one"),
  reason: z.string().optional().describe('Why it FAILED: HTTP_<status>, UNREACHABLE or URL_NOT_ALLOWED'),
  finishedAt: z.iso.datetime().optional(),
});

export const toJobView = (job: Job): z.infer<typeof jobView> => ({ ...job });

const jobs = ownedResourceRoutes({ path: '/jobs', id: 'jobId', noun: 'job', view: jobView, toView: toJobView });
const notChangeable = {
  description: 'JOB_NOT_PENDING: the job is no longer PENDING or PAUSED, or is running right now',
};

const exactlyOne = (input: { runAt?: unknown; repeat?: unknown }, ctx: z.RefinementCtx) => {
  if ((input.runAt === undefined) === (input.repeat === undefined)) {
    for (const path of ['runAt', 'repeat']) {
      ctx.addIssue({ code: 'custom', path: [path], message: 'give exactly one of runAt and repeat' });
    }
  }
};

export const jobRoutes = [
  jobs.create({
    summary: 'Book a signed POST to your URL at runAt, or at every time a repeat rule names',
    body: z
      .strictObject({
        runAt: runAt.optional(),
        repeat: repeatSchema.optional(),
        url: outboundUrl,
        payload: payload.optional(),
      })
      .superRefine(exactlyOne),
    created: 'Booked',
    errors: {
      409: {
        description:
          'NO_SIGNING_SECRET: create a signing secret first; JOB_LIMIT_REACHED: a demo account has its maximum of pending jobs',
      },
      503: notScheduled,
    },
    create: (caller, input, now) => {
      const common = { url: input.url, ...(input.payload ? { payload: input.payload } : {}) };
      return createJob(
        caller,
        input.repeat ? { ...common, repeat: input.repeat } : { ...common, runAt: Date.parse(input.runAt as string) },
        now,
      );
    },
  }),
  jobs.list({ summary: 'Your jobs, newest first, a page at a time', plural: 'Jobs', list: listOwnJobs }),
  jobs.get({ summary: 'One of your jobs', get: getOwnJob }),
  jobs.change({
    summary:
      'Move a one-off job (runAt), or change a recurring one (repeat: from its next run; paused: true stops it, false resumes with the first run after now)',
    body: z
      .strictObject({ runAt: runAt.optional(), repeat: repeatSchema.optional(), paused: z.boolean().optional() })
      .superRefine((input, ctx) => {
        const given = ['runAt', 'repeat', 'paused'].filter((k) => input[k as keyof typeof input] !== undefined);
        if (given.length === 0)
          ctx.addIssue({ code: 'custom', path: ['runAt'], message: 'give runAt, or repeat and/or paused' });
        if (input.runAt !== undefined && given.length > 1) {
          ctx.addIssue({
            code: 'custom',
            path: ['runAt'],
            message: 'runAt (one-off) goes without repeat and paused (recurring)',
          });
        }
      }),
    errors: { 409: notChangeable, 503: { description: 'Scheduling is unavailable; retry' } },
    change: (caller, jobId, input, now) => {
      const patch: JobPatch =
        input.runAt !== undefined
          ? { runAt: Date.parse(input.runAt) }
          : {
              ...(input.repeat ? { repeat: input.repeat } : {}),
              ...(input.paused === undefined ? {} : { paused: input.paused }),
            };
      return changeOwnJob(caller, jobId, patch, now);
    },
  }),
  jobs.cancel({
    summary: 'Cancel a PENDING or PAUSED job; it never runs again',
    conflict: notChangeable,
    cancel: cancelOwnJob,
  }),
  jobs.history({
    segment: 'runs',
    summary: "A job's runs, newest first: each run's outcome after its last call",
    plural: 'Runs',
    view: runView,
    toView: (run) => run,
    list: listOwnJobRuns,
  }),
];
