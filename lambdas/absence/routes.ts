// HTTP routes of studies, weekly attendance and the admin absence runs; invitations are in
// invitation-routes.ts and join this list.
import * as z from 'zod';
import { DEFAULTS } from '../../lib/definitions.ts';
import { defineRoute } from '../http/route.ts';
import { getAbsenceRun, requestAbsenceRun } from './absence-run.ts';
import { invitationRoutes } from './invitation-routes.ts';
import { studyParams } from './route-params.ts';
import { addWeek, attend, attendanceOf, createStudy, type Study } from './studies.ts';

const instant = z.iso.datetime({ offset: true }).describe('ISO-8601 instant with an offset');
const toUtc = (value: string) => new Date(Date.parse(value)).toISOString();

const weekNumber = z
  .string()
  .regex(/^[1-9][0-9]{0,5}$/, 'must be a positive whole number')
  .transform(Number)
  .describe('Week number, 1 or more');
const weekParams = z.object({ studyId: studyParams.shape.studyId, week: weekNumber });
const runParams = z.object({ runId: z.string().regex(/^[A-Za-z0-9:._-]{1,80}$/, 'is not a run id') });

const studyView = z.object({
  studyId: z.string(),
  name: z.string(),
  ownerId: z.string(),
  autoAttendance: z.boolean(),
  absencePenalty: z.number().int(),
  createdAt: z.string(),
});
const attendanceMarkView = z.object({
  studyId: z.string(),
  week: z.number().int(),
  accountId: z.string(),
  status: z.literal('ATTENDANCE'),
});
const attendanceStatus = z.enum(['PENDING', 'ATTENDANCE', 'ABSENCE']);
const runView = z.object({
  runId: z.string(),
  status: z.enum(['RUNNING', 'DONE', 'FAILED']),
  at: z.string(),
  weeks: z.number().int(),
  absences: z.number().int(),
  createdAt: z.string(),
  finishedAt: z.string().optional(),
});

const toStudyView = (s: Study) => ({
  studyId: s.studyId,
  name: s.name,
  ownerId: s.ownerId,
  autoAttendance: s.autoAttendance,
  absencePenalty: s.absencePenalty,
  createdAt: s.createdAt,
});
const notFound = { description: 'No such study (or week)' };
const forbidden = { description: 'Not the owner (or not a participant)' };

export const studyRoutes = [
  ...invitationRoutes,
  defineRoute({
    key: 'POST /studies',
    auth: 'account',
    idempotent: true,
    summary: 'Create a study; the caller becomes its owner',
    body: z.strictObject({
      name: z
        .string()
        .trim()
        .min(1)
        .max(100)
        .regex(/^[^\p{Cc}]*$/u, 'must not contain control characters'),
      autoAttendance: z.boolean().describe('Whether the nightly batch marks absentees of its weeks'),
      absencePenalty: z
        .number()
        .int()
        .min(0)
        .max(1000)
        .optional()
        .describe(`Score lost per absence, default ${DEFAULTS.absencePenalty}`),
    }),
    responses: { 201: { description: 'Created', schema: studyView } },
    handle: async ({ caller, body, now }) => ({
      status: 201,
      body: toStudyView(
        await createStudy({
          ownerId: caller.accountId,
          ownerIsDemo: caller.demo,
          name: body.name,
          autoAttendance: body.autoAttendance,
          absencePenalty: body.absencePenalty ?? DEFAULTS.absencePenalty,
          now,
        }),
      ),
    }),
  }),
  defineRoute({
    key: 'POST /studies/{studyId}/weeks',
    auth: 'account',
    idempotent: true,
    summary: 'Add a week to the study (owner only); it must end in the future',
    params: studyParams,
    body: z
      .strictObject({ week: z.number().int().min(1).max(999_999), startsAt: instant, endsAt: instant })
      .refine((w) => Date.parse(w.endsAt) > Date.parse(w.startsAt), {
        message: 'must be after startsAt',
        path: ['endsAt'],
      }),
    responses: {
      201: {
        description: 'Added',
        schema: z.object({ studyId: z.string(), week: z.number().int(), startsAt: z.string(), endsAt: z.string() }),
      },
      400: { description: 'Bad input, or endsAt not in the future' },
      403: forbidden,
      404: notFound,
      409: { description: 'The week number exists already' },
    },
    handle: async ({ caller, params, body, now }) => ({
      status: 201,
      body: await addWeek({
        now,
        callerId: caller.accountId,
        week: { studyId: params.studyId, week: body.week, startsAt: toUtc(body.startsAt), endsAt: toUtc(body.endsAt) },
      }),
    }),
  }),
  defineRoute({
    key: 'POST /studies/{studyId}/weeks/{week}/attendance',
    auth: 'account',
    summary: 'Mark the caller present for the week (participants who accepted their invitation only)',
    params: weekParams,
    responses: {
      201: { description: 'Marked', schema: attendanceMarkView },
      403: forbidden,
      404: notFound,
      409: { description: 'Already marked absent (ALREADY_ABSENT), or a concurrent change (WRITE_CONFLICT): retry' },
    },
    handle: async ({ caller, params, now }) => ({
      status: 201,
      body: await attend({ studyId: params.studyId, week: params.week, accountId: caller.accountId, now }),
    }),
  }),
  defineRoute({
    key: 'GET /studies/{studyId}/weeks/{week}/attendance',
    auth: 'account',
    summary: "Every participant's status for the week (owner or participants)",
    params: weekParams,
    responses: {
      200: {
        description: 'Attendance',
        schema: z.object({ items: z.array(z.object({ accountId: z.string(), status: attendanceStatus })) }),
      },
      403: forbidden,
      404: notFound,
    },
    handle: async ({ caller, params }) => ({
      status: 200,
      body: { items: await attendanceOf({ studyId: params.studyId, week: params.week, callerId: caller.accountId }) },
    }),
  }),
  defineRoute({
    key: 'POST /admin/absence-runs',
    auth: 'admin',
    idempotent: true,
    summary: 'Run the absence batch now (or for another instant), like the nightly schedule does',
    body: z.strictObject({ at: instant.optional().describe('The run instant; default now') }),
    responses: { 202: { description: 'Accepted', schema: z.object({ runId: z.string() }) } },
    handle: async ({ body, now }) => {
      const run = await requestAbsenceRun({ at: body.at ? Date.parse(body.at) : now, now });
      return { status: 202, body: { runId: run.runId } };
    },
  }),
  defineRoute({
    key: 'GET /admin/absence-runs/{runId}',
    auth: 'admin',
    summary: 'Status and counts of an absence run',
    params: runParams,
    responses: { 200: { description: 'The run', schema: runView }, 404: { description: 'No such run' } },
    handle: async ({ params }) => {
      const run = await getAbsenceRun(params.runId);
      return {
        status: 200,
        body: {
          runId: run.runId,
          status: run.status,
          at: run.at,
          weeks: run.weeks,
          absences: run.absences,
          createdAt: run.createdAt,
          ...(run.finishedAt ? { finishedAt: run.finishedAt } : {}),
        },
      };
    },
  }),
];
