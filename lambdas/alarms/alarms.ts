// Use cases of alarms seen from the API, one-off and recurring, over the timer core (ALARM_KIND): create,
// list, read, change (move a one-off; a recurring one's rule, pause, resume), cancel, and what each fire
// did. Every change bumps the version, so a message in flight for the old one is dropped. Firing is
// send-due-alarm.ts.
import { DEFAULTS } from '../../lib/definitions.ts';
import { demoExpiryOf, requireSigningSecret } from '../accounts/index.ts';
import { ValidationError } from '../shared/errors.ts';
import { nextOccurrence, type RepeatRule } from '../shared/recurrence.ts';
import { toIso } from '../shared/time.ts';
import type { TimerChange } from '../timers/index.ts';
import type { Listing, Owner } from '../timers/use-cases.ts';
import * as timers from '../timers/use-cases.ts';
import { ALARMS, type Alarm, toAlarm } from './alarm-kind.ts';

export type { Owner } from '../timers/use-cases.ts';
export type { Alarm, AlarmStatus } from './alarm-kind.ts';

interface AlarmContent {
  readonly title: string;
  readonly body: string;
  readonly deviceToken: string;
  readonly data?: Readonly<Record<string, string>>;
  readonly condition?: { readonly url: string };
}

export interface NewAlarm extends AlarmContent {
  /** Epoch ms, already checked to lie in the future and within 365 days. */
  readonly fireAt: number;
}

export interface NewRecurringAlarm extends AlarmContent {
  /** Already checked to fire at least once. */
  readonly repeat: RepeatRule;
}

const invalid = (field: string, message: string) =>
  new ValidationError('The request has invalid fields', [{ in: 'body', field, message }]);

/** The first occurrence of a rule after now, or a 400 on `field` when none is left. */
function firstAfter(rule: RepeatRule, now: number, field: string): number {
  const first = nextOccurrence(rule, now);
  if (first === undefined) throw invalid(field, 'has no occurrence left after now');
  return first;
}

const deadlineOf = (owner: Owner) => timers.demoDeadline(owner, demoExpiryOf);

async function bookAlarm(owner: Owner, input: AlarmContent, first: number, now: number, repeat?: RepeatRule) {
  if (input.condition) await requireSigningSecret(owner.accountId);
  const deadline = await deadlineOf(owner);
  timers.refuseAfterDeadline(first, deadline, repeat ? 'repeat' : 'fireAt');
  const cap = DEFAULTS.maxPendingAlarmsPerDemoAccount;
  const timer = await timers.createTimer(
    ALARMS,
    owner,
    {
      dueAt: first,
      repeat,
      fields: {
        fireAt: toIso(first),
        title: input.title,
        body: input.body,
        data: input.data ?? {},
        deviceToken: input.deviceToken,
        createdAt: toIso(now),
        ...(input.condition ? { condition: { url: input.condition.url } } : {}),
        // What a consumer of the version before reads for `counted` (only demo alarms count).
        countedOnProfile: owner.demo,
      },
    },
    {
      cap,
      deadline,
      limitMessage: `A demo account may have at most ${cap} pending alarms (recurring ones count); cancel one or wait until one fires`,
    },
    now,
  );
  return toAlarm(timer);
}

export const createAlarm = (owner: Owner, input: NewAlarm, now: number): Promise<Alarm> =>
  bookAlarm(owner, input, input.fireAt, now);

export const createRecurringAlarm = (owner: Owner, input: NewRecurringAlarm, now: number): Promise<Alarm> =>
  bookAlarm(owner, input, firstAfter(input.repeat, now, 'repeat'), now, input.repeat);

/** An alarm of the owner, or 404: an id of the wrong shape, someone else's alarm and no alarm look alike. */
export async function getOwnAlarm(accountId: string, alarmId: string): Promise<Alarm> {
  return toAlarm(await timers.getOwnTimer(ALARMS, accountId, alarmId));
}

export interface AlarmChange {
  readonly fireAt?: number;
  readonly repeat?: RepeatRule;
  readonly paused?: boolean;
}

/**
 * PATCH of an alarm: `fireAt` moves a one-off alarm; `repeat` and/or `paused` change a recurring one (a
 * new rule takes effect from the next occurrence; resuming starts with the first occurrence after now).
 */
export async function changeOwnAlarm(owner: Owner, alarmId: string, change: AlarmChange, now: number): Promise<Alarm> {
  const timer = await timers.getOwnTimer(ALARMS, owner.accountId, alarmId);
  if (!timer.repeat) {
    if (change.repeat !== undefined) throw invalid('repeat', 'a one-off alarm has no rule: move its fireAt instead');
    if (change.paused !== undefined) throw invalid('paused', 'only a recurring alarm can be paused');
  } else if (change.fireAt !== undefined) {
    throw invalid('fireAt', 'a recurring alarm has no fireAt to move: change its repeat instead');
  }
  timers.refuseUnlessChangeable(ALARMS, timer, now);
  let patch: TimerChange;
  if (!timer.repeat) {
    const fireAt = change.fireAt as number;
    timers.refuseAfterDeadline(fireAt, await deadlineOf(owner), 'fireAt');
    if (timer.item.fireAt === toIso(fireAt)) return toAlarm(timer);
    patch = { dueAt: toIso(fireAt), fields: { fireAt: toIso(fireAt) } };
  } else {
    const wasPaused = timer.status === 'PAUSED';
    const repeat = change.repeat ?? timer.repeat;
    const paused = change.paused ?? wasPaused;
    const ruleChanged = change.repeat !== undefined && JSON.stringify(change.repeat) !== JSON.stringify(timer.repeat);
    if (!ruleChanged && paused === wasPaused) return toAlarm(timer);
    const rule = ruleChanged ? { repeat } : {};
    if (paused) patch = { pause: true, ...rule };
    else {
      // Resumed, or a new rule: the first occurrence after now (missed ones are not sent).
      const next = firstAfter(repeat, now, change.repeat !== undefined ? 'repeat' : 'paused');
      timers.refuseAfterDeadline(next, await deadlineOf(owner), 'repeat');
      patch = { dueAt: toIso(next), ...rule };
    }
  }
  return toAlarm(await timers.applyChange(ALARMS, timer, patch, now));
}

/** PATCH of a one-off alarm's fireAt. */
export const rescheduleOwnAlarm = (owner: Owner, alarmId: string, fireAt: number, now: number): Promise<Alarm> =>
  changeOwnAlarm(owner, alarmId, { fireAt }, now);

/** DELETE of an alarm: a PENDING one-off, or a PENDING or PAUSED recurring one, is CANCELLED. */
export async function cancelAnyOwnAlarm(accountId: string, alarmId: string, now: number): Promise<Alarm> {
  const timer = await timers.getOwnTimer(ALARMS, accountId, alarmId);
  timers.refuseUnlessChangeable(ALARMS, timer, now);
  return toAlarm(await timers.cancelOwnTimer(ALARMS, timer, now));
}

export const cancelOwnAlarm = cancelAnyOwnAlarm;

/** The owner's alarms, newest first, `limit` at a time. */
export async function listOwnAlarms(accountId: string, limit: number, cursor?: string): Promise<Listing<Alarm>> {
  return timers.viewed(await timers.listOwnTimers(ALARMS, accountId, limit, cursor), toAlarm);
}

export type AlarmListing = Listing<Alarm>;

export interface OccurrenceView {
  readonly fireAt: string;
  readonly status: string;
  readonly sentAt?: string;
  readonly reason?: string;
}

export type OccurrenceListing = Listing<OccurrenceView>;

/** What a one-off alarm's single fire did, once it has fired: its record is the alarm itself. */
function oneOffOccurrence(alarm: Alarm): OccurrenceView | undefined {
  if (alarm.status !== 'SENT' && alarm.status !== 'FAILED' && alarm.status !== 'SKIPPED') return undefined;
  return {
    fireAt: alarm.fireAt,
    status: alarm.status,
    ...(alarm.sentAt ? { sentAt: alarm.sentAt } : {}),
    ...(alarm.failureReason ? { reason: alarm.failureReason } : {}),
  };
}

/** What each occurrence of the owner's alarm did, newest first, `limit` at a time. */
export async function listOwnOccurrences(
  accountId: string,
  alarmId: string,
  limit: number,
  cursor?: string,
): Promise<OccurrenceListing> {
  const timer = await timers.getOwnTimer(ALARMS, accountId, alarmId);
  if (!timer.repeat) {
    // Its one record is the alarm itself: a single page, no cursor of its own.
    if (cursor !== undefined) throw timers.cursorRefused();
    const only = oneOffOccurrence(toAlarm(timer));
    return { items: only ? [only] : [] };
  }
  const page = await timers.listOwnHistory(ALARMS, accountId, alarmId, limit, cursor);
  return timers.viewed(page, (o) => ({
    fireAt: o.dueAt,
    status: o.status,
    ...(o.status === 'SENT' && typeof o.item.finishedAt === 'string' ? { sentAt: o.item.finishedAt } : {}),
    ...(o.reason === undefined ? {} : { reason: o.reason }),
  }));
}
