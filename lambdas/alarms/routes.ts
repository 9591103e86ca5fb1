// HTTP routes of alarms: a push notification at a chosen time, reschedulable and cancellable.
import * as z from 'zod';
import { ownedResourceRoutes } from '../http/owned-routes.ts';
import { outboundUrl } from '../shared/outbound/url-schema.ts';
import { repeatSchema } from '../shared/repeat-schema.ts';
import { futureInstant, notScheduled, repeatView } from '../shared/timer-fields.ts';
import { type Alarm, createAlarm, getOwnAlarm, listOwnAlarms } from './alarms.ts';
import { checkFcmSize } from './fcm-message.ts';
import { pushBody as body, pushData as data, pushTitle as title } from './push-fields.ts';
import { cancelAnyOwnAlarm, changeOwnAlarm, createRecurringAlarm, listOwnOccurrences } from './recurring-alarms.ts';

const fireAt = futureInstant('When to push: ISO-8601 with any offset, in the future, at most 365 days ahead');

const deviceToken = z
  .string()
  .min(1)
  .max(4096)
  .regex(/^\S+$/, 'must not contain spaces')
  .describe('FCM registration token of the device; stored, never returned');

const condition = z
  .strictObject({ url: outboundUrl })
  .describe(
    'Asked at every fire, before the push: a signed POST of {alarmId, fireAt, data}; the answer sends, sends other text, or skips. Needs the account signing secret',
  );

const alarmView = z.object({
  alarmId: z.string(),
  status: z
    .enum(['PENDING', 'PAUSED', 'SENT', 'FAILED', 'CANCELLED', 'SKIPPED'])
    .describe('SKIPPED: its condition said no. PAUSED: a recurring alarm, paused'),
  fireAt: z.iso.datetime().optional().describe('One-off alarms: when it fires'),
  repeat: repeatView.optional().describe('Recurring alarms: the rule'),
  nextFireAt: z.iso
    .datetime()
    .optional()
    .describe('Recurring alarms: the next occurrence; absent when paused or when nothing is left'),
  condition: z.object({ url: z.string() }).optional(),
  title: z.string(),
  body: z.string(),
  data: z.record(z.string(), z.string()),
  createdAt: z.iso.datetime(),
  sentAt: z.iso.datetime().optional(),
  failureReason: z
    .string()
    .optional()
    .describe('Why it FAILED or was SKIPPED, e.g. UNREGISTERED, FCM_UNAVAILABLE, CONDITION_FALSE'),
});

/** The client's view: never the device token, nor the bookkeeping of sending. */
export const toAlarmView = (a: Alarm): z.infer<typeof alarmView> => ({
  alarmId: a.alarmId,
  status: a.status,
  ...(a.repeat
    ? {
        repeat: { ...a.repeat },
        ...(a.status === 'PENDING' ? { nextFireAt: a.fireAt } : {}),
      }
    : { fireAt: a.fireAt }),
  ...(a.condition ? { condition: { url: a.condition.url } } : {}),
  title: a.title,
  body: a.body,
  data: { ...a.data },
  createdAt: a.createdAt,
  ...(a.sentAt ? { sentAt: a.sentAt } : {}),
  ...(a.failureReason ? { failureReason: a.failureReason } : {}),
});

const occurrenceView = z.object({
  fireAt: z.iso.datetime().describe('The time the rule named'),
  status: z.enum(['SENT', 'FAILED', 'SKIPPED']),
  sentAt: z.iso.datetime().optional(),
  reason: z.string().optional().describe('Why it FAILED or was SKIPPED, e.g. CONDITION_FALSE, CONDITION_UNREACHABLE'),
});

/** Exactly one of fireAt and repeat, with a 400 naming both when it is not so. */
function oneOfFireAtOrRepeat(input: { fireAt?: unknown; repeat?: unknown }, ctx: z.RefinementCtx): void {
  const has = (input.fireAt !== undefined ? 1 : 0) + (input.repeat !== undefined ? 1 : 0);
  if (has === 1) return;
  const message = has === 0 ? 'one of fireAt and repeat is required' : 'give either fireAt or repeat, not both';
  for (const path of has === 0 ? ['fireAt', 'repeat'] : ['fireAt', 'repeat']) {
    ctx.addIssue({ code: 'custom', path: [path], message });
  }
}

const alarms = ownedResourceRoutes({
  path: '/alarms',
  id: 'alarmId',
  noun: 'alarm',
  view: alarmView,
  toView: toAlarmView,
});
const notPending = {
  description: 'The alarm is no longer PENDING (or PAUSED, for a recurring one), or is being sent right now',
};

export const alarmRoutes = [
  alarms.create({
    summary: 'Schedule a push notification to a device at fireAt, or at every occurrence of repeat',
    body: z
      .strictObject({
        fireAt: fireAt.optional(),
        repeat: repeatSchema.optional(),
        title,
        body,
        deviceToken,
        data: z.optional(data),
        condition: condition.optional(),
      })
      .superRefine((input, ctx) => {
        oneOfFireAtOrRepeat(input, ctx);
        checkFcmSize(input, input.repeat !== undefined, ctx);
      }),
    created: 'Scheduled',
    errors: {
      409: {
        description:
          'ALARM_LIMIT_REACHED: a demo account has its maximum of pending alarms (recurring ones count); NO_SIGNING_SECRET: a condition needs the account signing secret',
      },
      503: notScheduled,
    },
    create: (caller, input, now) => {
      const common = {
        title: input.title,
        body: input.body,
        deviceToken: input.deviceToken,
        ...(input.condition ? { condition: input.condition } : {}),
        ...(input.data ? { data: input.data } : {}),
      };
      return input.repeat
        ? createRecurringAlarm(caller, { ...common, repeat: input.repeat }, now)
        : createAlarm(caller, { ...common, fireAt: Date.parse(input.fireAt as string) }, now);
    },
  }),
  alarms.list({ summary: 'Your alarms, newest first, a page at a time', plural: 'Alarms', list: listOwnAlarms }),
  alarms.get({ summary: 'One of your alarms', get: getOwnAlarm }),
  alarms.change({
    summary:
      'Move a PENDING one-off alarm to a new fireAt (it fires once, at the new time); or change a recurring alarm: its repeat (from the next occurrence on) and/or paused (resuming with the first occurrence after now)',
    body: z
      .strictObject({
        fireAt: fireAt.optional().describe('One-off alarms only'),
        repeat: repeatSchema.optional().describe('Recurring alarms only'),
        paused: z.boolean().optional().describe('Recurring alarms only'),
      })
      .superRefine((input, ctx) => {
        if (input.fireAt === undefined && input.repeat === undefined && input.paused === undefined) {
          ctx.addIssue({ code: 'custom', path: ['fireAt'], message: 'give fireAt, or repeat and/or paused' });
        } else if (input.fireAt !== undefined && (input.repeat !== undefined || input.paused !== undefined)) {
          ctx.addIssue({
            code: 'custom',
            path: ['fireAt'],
            message: 'fireAt is for one-off alarms, repeat and paused for recurring ones',
          });
        }
      }),
    errors: {
      400: { description: 'fireAt on a recurring alarm, or repeat/paused on a one-off one' },
      409: notPending,
      503: { description: 'Scheduling is unavailable; the alarm keeps its previous time; retry' },
    },
    change: (caller, alarmId, input, now) =>
      changeOwnAlarm(
        caller,
        alarmId,
        {
          ...(input.fireAt === undefined ? {} : { fireAt: Date.parse(input.fireAt) }),
          ...(input.repeat === undefined ? {} : { repeat: input.repeat }),
          ...(input.paused === undefined ? {} : { paused: input.paused }),
        },
        now,
      ),
  }),
  alarms.cancel({
    summary: 'Cancel a PENDING (or PAUSED recurring) alarm; it never fires again',
    conflict: notPending,
    cancel: cancelAnyOwnAlarm,
  }),
  alarms.history({
    segment: 'occurrences',
    summary: 'What each occurrence of one of your alarms did, newest first (a one-off alarm has at most one)',
    plural: 'Occurrences',
    view: occurrenceView,
    toView: (o) => ({ ...o }),
    list: listOwnOccurrences,
  }),
];
