// HTTP routes of alarms: a push notification at a chosen time, reschedulable and cancellable.
import * as z from 'zod';
import { defineRoute } from '../http/route.ts';
import { type Alarm, cancelOwnAlarm, createAlarm, getOwnAlarm, listOwnAlarms, rescheduleOwnAlarm } from './alarms.ts';
import { checkFcmSize } from './fcm-message.ts';
import { pushBody as body, pushData as data, pushTitle as title } from './push-fields.ts';

const DAY_MS = 86_400_000;
export const MAX_LEAD_DAYS = 365;
/** Range checks only run on a well-formed date, so a bad one gets one clear message. */
const wellFormed = { when: (payload: { issues: readonly unknown[] }) => payload.issues.length === 0 };
const fireAt = z.iso
  .datetime({ offset: true })
  .refine((value) => Date.parse(value) > Date.now(), { message: 'must be in the future', ...wellFormed })
  .refine((value) => Date.parse(value) <= Date.now() + MAX_LEAD_DAYS * DAY_MS, {
    message: `must be at most ${MAX_LEAD_DAYS} days ahead`,
    ...wellFormed,
  })
  .describe('When to push: ISO-8601 with any offset, in the future, at most 365 days ahead');

const deviceToken = z
  .string()
  .min(1)
  .max(4096)
  .regex(/^\S+$/, 'must not contain spaces')
  .describe('FCM registration token of the device; stored, never returned');

const alarmView = z.object({
  alarmId: z.string(),
  status: z.enum(['PENDING', 'SENT', 'FAILED', 'CANCELLED']),
  fireAt: z.iso.datetime(),
  title: z.string(),
  body: z.string(),
  data: z.record(z.string(), z.string()),
  createdAt: z.iso.datetime(),
  sentAt: z.iso.datetime().optional(),
  failureReason: z.string().optional().describe('Why it FAILED, e.g. UNREGISTERED or FCM_UNAVAILABLE'),
});

/** The client's view: never the device token, nor the bookkeeping of sending. */
export const toAlarmView = (a: Alarm): z.infer<typeof alarmView> => ({
  alarmId: a.alarmId,
  status: a.status,
  fireAt: a.fireAt,
  title: a.title,
  body: a.body,
  data: { ...a.data },
  createdAt: a.createdAt,
  ...(a.sentAt ? { sentAt: a.sentAt } : {}),
  ...(a.failureReason ? { failureReason: a.failureReason } : {}),
});

const alarmIdParams = z.object({ alarmId: z.string().describe('Id of one of your alarms') });
const notFound = { description: 'No such alarm of yours' };
const notPending = { description: 'The alarm is no longer PENDING (or is being sent right now)' };

export const alarmRoutes = [
  defineRoute({
    key: 'POST /alarms',
    auth: 'account',
    idempotent: true,
    summary: 'Schedule a push notification to a device at fireAt',
    body: z
      .strictObject({ fireAt, title, body, deviceToken, data: data.optional() })
      .superRefine((input, ctx) => checkFcmSize(input, false, ctx)),
    responses: {
      201: { description: 'Scheduled', schema: alarmView },
      409: { description: 'ALARM_LIMIT_REACHED: a demo account has its maximum of pending alarms' },
      503: { description: 'Scheduling is unavailable; nothing was created; retry' },
    },
    handle: async ({ caller, body: input, now }) => {
      const alarm = await createAlarm(
        caller,
        { ...input, fireAt: Date.parse(input.fireAt), ...(input.data ? { data: input.data } : {}) },
        now,
      );
      return { status: 201, headers: { location: `/alarms/${alarm.alarmId}` }, body: toAlarmView(alarm) };
    },
  }),
  defineRoute({
    key: 'GET /alarms',
    auth: 'account',
    summary: 'Your alarms, newest first, a page at a time',
    query: z.object({
      limit: z
        .string()
        .regex(/^\d{1,3}$/, 'must be a whole number from 1 to 100')
        .transform(Number)
        .pipe(z.number().int().min(1).max(100))
        .optional()
        .describe('Alarms per page, 1 to 100 (default 20)'),
      cursor: z.string().optional().describe('nextCursor of the previous page'),
    }),
    responses: {
      200: {
        description: 'A page of alarms; nextCursor when more follow',
        schema: z.object({ items: z.array(alarmView), nextCursor: z.string().optional() }),
      },
    },
    handle: async ({ caller, query }) => {
      const page = await listOwnAlarms(caller.accountId, query.limit ?? 20, query.cursor);
      return {
        status: 200,
        body: { items: page.items.map(toAlarmView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) },
      };
    },
  }),
  defineRoute({
    key: 'GET /alarms/{alarmId}',
    auth: 'account',
    summary: 'One of your alarms',
    params: alarmIdParams,
    responses: { 200: { description: 'The alarm', schema: alarmView }, 404: notFound },
    handle: async ({ caller, params }) => ({
      status: 200,
      body: toAlarmView(await getOwnAlarm(caller.accountId, params.alarmId)),
    }),
  }),
  defineRoute({
    key: 'PATCH /alarms/{alarmId}',
    auth: 'account',
    summary: 'Move a PENDING alarm to a new fireAt; it fires once, at the new time',
    params: alarmIdParams,
    body: z.strictObject({ fireAt }),
    responses: {
      200: { description: 'Rescheduled', schema: alarmView },
      404: notFound,
      409: notPending,
      503: { description: 'Scheduling is unavailable; the alarm keeps its previous time; retry' },
    },
    handle: async ({ caller, params, body: input, now }) => ({
      status: 200,
      body: toAlarmView(await rescheduleOwnAlarm(caller, params.alarmId, Date.parse(input.fireAt), now)),
    }),
  }),
  defineRoute({
    key: 'DELETE /alarms/{alarmId}',
    auth: 'account',
    summary: 'Cancel a PENDING alarm; it never fires',
    params: alarmIdParams,
    responses: { 200: { description: 'Cancelled', schema: alarmView }, 404: notFound, 409: notPending },
    handle: async ({ caller, params, now }) => ({
      status: 200,
      body: toAlarmView(await cancelOwnAlarm(caller.accountId, params.alarmId, now)),
    }),
  }),
];
