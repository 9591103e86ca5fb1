// HTTP routes of webhook jobs: a signed POST to the team's own backend at a chosen time, one-off or recurring.
import * as z from 'zod';
import { DEFAULTS } from '../../lib/definitions.ts';
import { defineRoute } from '../http/route.ts';
import { outboundUrl } from '../shared/outbound/url-schema.ts';
import { repeatSchema } from '../shared/repeat-schema.ts';
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

const DAY_MS = 86_400_000;
const MAX_LEAD_DAYS = 365;
const wellFormed = { when: (payload: { issues: readonly unknown[] }) => payload.issues.length === 0 };
const runAt = z.iso
  .datetime({ offset: true })
  .refine((value) => Date.parse(value) > Date.now(), { message: 'must be in the future', ...wellFormed })
  .refine((value) => Date.parse(value) <= Date.now() + MAX_LEAD_DAYS * DAY_MS, {
    message: `must be at most ${MAX_LEAD_DAYS} days ahead`,
    ...wellFormed,
  })
  .describe('When to run: ISO-8601 with any offset, in the future, at most 365 days ahead');

const payload = z
  .record(z.string(), z.unknown())
  .refine((value) => Buffer.byteLength(JSON.stringify(value), 'utf8') <= DEFAULTS.maxJobPayloadBytes, {
    message: `must be at most ${DEFAULTS.maxJobPayloadBytes / 1024} KB as JSON`,
  })
  .describe('Any JSON object, up to 16 KB; sent as is in every call (default {})');

const status = z.enum(['PENDING', 'PAUSED', 'SUCCEEDED', 'FAILED', 'CANCELLED']);
const repeatView = z.object({ cron: z.string(), timezone: z.string(), until: z.iso.datetime().optional() });

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

const jobIdParams = z.object({ jobId: z.string().describe('Id of one of your jobs') });
const notFound = { description: 'No such job of yours' };
const notChangeable = {
  description: 'JOB_NOT_PENDING: the job is no longer PENDING or PAUSED, or is running right now',
};
const pageQuery = (what: string) =>
  z.object({
    limit: z
      .string()
      .regex(/^\d{1,3}$/, 'must be a whole number from 1 to 100')
      .transform(Number)
      .pipe(z.number().int().min(1).max(100))
      .optional()
      .describe(`${what} per page, 1 to 100 (default 20)`),
    cursor: z.string().optional().describe('nextCursor of the previous page'),
  });

const exactlyOne = (input: { runAt?: unknown; repeat?: unknown }, ctx: z.RefinementCtx) => {
  if ((input.runAt === undefined) === (input.repeat === undefined)) {
    for (const path of ['runAt', 'repeat']) {
      ctx.addIssue({ code: 'custom', path: [path], message: 'give exactly one of runAt and repeat' });
    }
  }
};

export const jobRoutes = [
  defineRoute({
    key: 'POST /jobs',
    auth: 'account',
    idempotent: true,
    summary: 'Book a signed POST to your URL at runAt, or at every time a repeat rule names',
    body: z
      .strictObject({
        runAt: runAt.optional(),
        repeat: repeatSchema.optional(),
        url: outboundUrl,
        payload: payload.optional(),
      })
      .superRefine(exactlyOne),
    responses: {
      201: { description: 'Booked', schema: jobView },
      409: {
        description:
          'NO_SIGNING_SECRET: create a signing secret first; JOB_LIMIT_REACHED: a demo account has its maximum of pending jobs',
      },
      503: { description: 'Scheduling is unavailable; nothing was created; retry' },
    },
    handle: async ({ caller, body: input, now }) => {
      const common = { url: input.url, ...(input.payload ? { payload: input.payload } : {}) };
      const job = await createJob(
        caller,
        input.repeat ? { ...common, repeat: input.repeat } : { ...common, runAt: Date.parse(input.runAt as string) },
        now,
      );
      return { status: 201, headers: { location: `/jobs/${job.jobId}` }, body: toJobView(job) };
    },
  }),
  defineRoute({
    key: 'GET /jobs',
    auth: 'account',
    summary: 'Your jobs, newest first, a page at a time',
    query: pageQuery('Jobs'),
    responses: {
      200: {
        description: 'A page of jobs; nextCursor when more follow',
        schema: z.object({ items: z.array(jobView), nextCursor: z.string().optional() }),
      },
    },
    handle: async ({ caller, query }) => {
      const page = await listOwnJobs(caller.accountId, query.limit ?? 20, query.cursor);
      return {
        status: 200,
        body: { items: page.items.map(toJobView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) },
      };
    },
  }),
  defineRoute({
    key: 'GET /jobs/{jobId}',
    auth: 'account',
    summary: 'One of your jobs',
    params: jobIdParams,
    responses: { 200: { description: 'The job', schema: jobView }, 404: notFound },
    handle: async ({ caller, params }) => ({
      status: 200,
      body: toJobView(await getOwnJob(caller.accountId, params.jobId)),
    }),
  }),
  defineRoute({
    key: 'PATCH /jobs/{jobId}',
    auth: 'account',
    summary:
      'Move a one-off job (runAt), or change a recurring one (repeat: from its next run; paused: true stops it, false resumes with the first run after now)',
    params: jobIdParams,
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
    responses: {
      200: { description: 'Changed', schema: jobView },
      404: notFound,
      409: notChangeable,
      503: { description: 'Scheduling is unavailable; retry' },
    },
    handle: async ({ caller, params, body: input, now }) => {
      const patch: JobPatch =
        input.runAt !== undefined
          ? { runAt: Date.parse(input.runAt) }
          : {
              ...(input.repeat ? { repeat: input.repeat } : {}),
              ...(input.paused === undefined ? {} : { paused: input.paused }),
            };
      return { status: 200, body: toJobView(await changeOwnJob(caller, params.jobId, patch, now)) };
    },
  }),
  defineRoute({
    key: 'DELETE /jobs/{jobId}',
    auth: 'account',
    summary: 'Cancel a PENDING or PAUSED job; it never runs again',
    params: jobIdParams,
    responses: { 200: { description: 'Cancelled', schema: jobView }, 404: notFound, 409: notChangeable },
    handle: async ({ caller, params, now }) => ({
      status: 200,
      body: toJobView(await cancelOwnJob(caller.accountId, params.jobId, now)),
    }),
  }),
  defineRoute({
    key: 'GET /jobs/{jobId}/runs',
    auth: 'account',
    summary: "A job's runs, newest first: each run's outcome after its last call",
    params: jobIdParams,
    query: pageQuery('Runs'),
    responses: {
      200: {
        description: 'A page of runs; nextCursor when more follow',
        schema: z.object({ items: z.array(runView), nextCursor: z.string().optional() }),
      },
      404: notFound,
    },
    handle: async ({ caller, params, query }) => {
      const page = await listOwnJobRuns(caller.accountId, params.jobId, query.limit ?? 20, query.cursor);
      return { status: 200, body: { items: page.items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) } };
    },
  }),
];
