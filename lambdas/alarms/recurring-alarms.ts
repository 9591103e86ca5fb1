// Use cases of recurring alarms seen from the API, on the timer core (ALARM_KIND): create, change the
// rule, pause and resume (each a version bump, so a message in flight for the old occurrence is dropped),
// cancel, and the history of occurrences (of any alarm: a one-off alarm has at most one). Routes call
// here for every alarm; one-off alarms are handed to alarms.ts. Firing is send-due-alarm.ts.
import { DEFAULTS } from '../../lib/definitions.ts';
import { requireSigningSecret } from '../accounts/index.ts';
import { ConfigError } from '../shared/config.ts';
import { ConflictError, DependencyUnavailableError, NotFoundError, ValidationError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { logger } from '../shared/logger.ts';
import { nextOccurrence, type RepeatRule } from '../shared/recurrence.ts';
import { accountPk, type Key } from '../shared/table.ts';
import { toEpochSeconds, toIso } from '../shared/time.ts';
import {
  armOccurrence,
  cancelTimer,
  changeTimer,
  disarmOccurrenceQuietly,
  getTimer,
  insertTimer,
  listOccurrences,
  removeUnarmedTimer,
  type TimerState,
} from '../timers/index.ts';
import { toAlarm } from './alarm-items.ts';
import { ALARM_KIND } from './alarm-kind.ts';
import {
  type Alarm,
  cancelOwnAlarm,
  demoDeadline,
  explainLostRace,
  getOwnAlarm,
  type Owner,
  refuseAfterDeadline,
  refuseUnlessChangeable,
  rescheduleOwnAlarm,
} from './alarms.ts';

export interface NewRecurringAlarm {
  /** Already checked to fire at least once. */
  readonly repeat: RepeatRule;
  readonly title: string;
  readonly body: string;
  readonly deviceToken: string;
  readonly data?: Readonly<Record<string, string>>;
  readonly condition?: { readonly url: string };
}

const invalid = (field: string, message: string) =>
  new ValidationError('The request has invalid fields', [{ in: 'body', field, message }]);

/** The first occurrence of a rule after now, or a 400 on `field` when none is left. */
function firstAfter(rule: RepeatRule, now: number, field: string): number {
  const first = nextOccurrence(rule, now);
  if (first === undefined) throw invalid(field, 'has no occurrence left after now');
  return first;
}

const ref = (timer: TimerState) => ({
  accountId: timer.accountId,
  id: timer.id,
  version: timer.version,
  dueAt: timer.dueAt as string,
});

export async function createRecurringAlarm(owner: Owner, input: NewRecurringAlarm, now: number): Promise<Alarm> {
  if (input.condition) await requireSigningSecret(owner.accountId);
  const deadline = await demoDeadline(owner);
  const first = firstAfter(input.repeat, now, 'repeat');
  refuseAfterDeadline(first, deadline);
  const { outcome, timer } = await insertTimer(
    ALARM_KIND,
    {
      accountId: owner.accountId,
      id: newId(now),
      dueAt: toIso(first),
      repeat: input.repeat,
      fields: {
        fireAt: toIso(first),
        title: input.title,
        body: input.body,
        data: input.data ?? {},
        deviceToken: input.deviceToken,
        createdAt: toIso(now),
        ...(input.condition ? { condition: { url: input.condition.url } } : {}),
      },
    },
    {
      ...(owner.demo ? { pendingCap: DEFAULTS.maxPendingAlarmsPerDemoAccount } : {}),
      ...(deadline === undefined ? {} : { ttl: toEpochSeconds(deadline) }),
    },
  );
  if (outcome === 'limit-reached') {
    throw new ConflictError(
      `A demo account may have at most ${DEFAULTS.maxPendingAlarmsPerDemoAccount} pending alarms (recurring ones count); cancel one`,
      'ALARM_LIMIT_REACHED',
    );
  }
  if (outcome === 'account-gone') throw new NotFoundError('No such account');
  try {
    await armOccurrence(ALARM_KIND, ref(timer), { how: 'create', now, whenSchedulerFails: 'queue' });
  } catch (error) {
    logger.error('Could not arm the new recurring alarm; taking it back', { alarmId: timer.id, error });
    await removeUnarmedTimer(ALARM_KIND, timer).catch((undoError: unknown) =>
      logger.error('Could not take back an unarmed alarm; the sweeper will fire it late', {
        alarmId: timer.id,
        error: undoError,
      }),
    );
    if (error instanceof ConfigError) throw error;
    throw new DependencyUnavailableError('Scheduling is unavailable right now; try again shortly');
  }
  return toAlarm(timer.item);
}

async function ownTimer(accountId: string, alarmId: string): Promise<TimerState> {
  await getOwnAlarm(accountId, alarmId); // 404 for an id of the wrong shape or someone else's
  const timer = await getTimer(ALARM_KIND, accountId, alarmId);
  if (!timer) throw new NotFoundError('No such alarm');
  return timer;
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
  const alarm = await getOwnAlarm(owner.accountId, alarmId);
  if (!alarm.repeat) {
    if (change.repeat !== undefined) throw invalid('repeat', 'a one-off alarm has no rule: move its fireAt instead');
    if (change.paused !== undefined) throw invalid('paused', 'only a recurring alarm can be paused');
    return rescheduleOwnAlarm(owner, alarmId, change.fireAt as number, now);
  }
  if (change.fireAt !== undefined) {
    throw invalid('fireAt', 'a recurring alarm has no fireAt to move: change its repeat instead');
  }
  refuseUnlessChangeable(alarm, now);
  const timer = await ownTimer(owner.accountId, alarmId);
  const wasPaused = timer.status === 'PAUSED';
  const repeat = change.repeat ?? (timer.repeat as RepeatRule);
  const paused = change.paused ?? wasPaused;
  const ruleChanged = change.repeat !== undefined && JSON.stringify(change.repeat) !== JSON.stringify(timer.repeat);
  if (!ruleChanged && paused === wasPaused) return alarm;

  let dueAt: string | undefined;
  if (!paused) {
    // Resumed, or a new rule: the first occurrence after now (missed ones are not sent).
    const next = firstAfter(repeat, now, change.repeat !== undefined ? 'repeat' : 'paused');
    refuseAfterDeadline(next, await demoDeadline(owner));
    dueAt = toIso(next);
  }
  const changed = await changeTimer(
    ALARM_KIND,
    timer,
    { ...(paused ? { pause: true } : { dueAt }), ...(ruleChanged ? { repeat } : {}) },
    now,
  );
  if (!changed) return explainLostRace(owner.accountId, alarmId, now);
  if (changed.status === 'PENDING') {
    try {
      // The new version's message is the only one that fires it; any in flight for the old one is dropped.
      await armOccurrence(ALARM_KIND, ref(changed), {
        how: wasPaused ? 'create' : 'move',
        now,
        whenSchedulerFails: 'queue',
      });
    } catch (error) {
      // The due entry names the new occurrence: the sweeper re-drives it if nothing else does.
      logger.error('Could not arm the next occurrence; the sweeper will re-drive it', { alarmId, error });
    }
  } else {
    await disarmOccurrenceQuietly(ALARM_KIND, alarmId);
  }
  return toAlarm(changed.item);
}

/** DELETE of an alarm: a PENDING one-off, or a PENDING or PAUSED recurring one, is CANCELLED. */
export async function cancelAnyOwnAlarm(accountId: string, alarmId: string, now: number): Promise<Alarm> {
  const alarm = await getOwnAlarm(accountId, alarmId);
  if (!alarm.repeat) return cancelOwnAlarm(accountId, alarmId, now);
  refuseUnlessChangeable(alarm, now);
  const cancelled = await cancelTimer(ALARM_KIND, await ownTimer(accountId, alarmId), now);
  if (!cancelled) return explainLostRace(accountId, alarmId, now);
  await disarmOccurrenceQuietly(ALARM_KIND, alarmId);
  return toAlarm(cancelled.item);
}

export interface OccurrenceView {
  readonly fireAt: string;
  readonly status: string;
  readonly sentAt?: string;
  readonly reason?: string;
}

export interface OccurrenceListing {
  readonly items: OccurrenceView[];
  readonly nextCursor?: string;
}

function badCursor(): ValidationError {
  return new ValidationError('The request has invalid fields', [
    { in: 'query', field: 'cursor', message: 'is not a cursor this listing handed out' },
  ]);
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function decodeOccurrenceCursor(cursor: string, accountId: string, alarmId: string): Key {
  if (!/^[A-Za-z0-9_-]{1,300}$/.test(cursor)) throw badCursor();
  let key: { pk?: unknown; sk?: unknown };
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  if (typeof key !== 'object' || key === null || Array.isArray(key) || Object.keys(key).length !== 2) throw badCursor();
  const prefix = `${ALARM_KIND.historyPrefix}${alarmId}#`;
  if (key.pk !== accountPk(accountId) || typeof key.sk !== 'string' || !key.sk.startsWith(prefix)) throw badCursor();
  if (!ISO_UTC.test(key.sk.slice(prefix.length))) throw badCursor();
  return { pk: key.pk, sk: key.sk };
}

const encodeCursor = (key: Key): string =>
  Buffer.from(JSON.stringify({ pk: key.pk, sk: key.sk }), 'utf8').toString('base64url');

/** What a one-off alarm's single fire did, once it has fired. */
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
  const alarm = await getOwnAlarm(accountId, alarmId);
  if (!alarm.repeat) {
    // Its one record is the alarm itself.
    if (cursor !== undefined) throw badCursor();
    const only = oneOffOccurrence(alarm);
    return { items: only ? [only] : [] };
  }
  const start = cursor === undefined ? undefined : decodeOccurrenceCursor(cursor, accountId, alarmId);
  const page = await listOccurrences(ALARM_KIND, accountId, alarmId, limit, start);
  return {
    items: page.occurrences.map((o) => ({
      fireAt: o.dueAt,
      status: o.status,
      ...(o.status === 'SENT' && typeof o.item.finishedAt === 'string' ? { sentAt: o.item.finishedAt } : {}),
      ...(o.reason === undefined ? {} : { reason: o.reason }),
    })),
    ...(page.lastKey ? { nextCursor: encodeCursor(page.lastKey) } : {}),
  };
}
