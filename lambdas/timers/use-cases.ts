// The API use cases every timer kind shares (alarms and jobs, one-off and recurring), over the core:
// create (insert, arm, take back what could not be armed), the demo deadline, the 409s of a timer that
// cannot change or changed meanwhile, a client's change and cancel with their re-arming, and the
// cursors of a kind's listing and history. A capability adds its fields, its words and its view.
import { ConfigError } from '../shared/config.ts';
import { ConflictError, DependencyUnavailableError, NotFoundError, ValidationError } from '../shared/errors.ts';
import { ID_PATTERN, newId } from '../shared/ids.ts';
import { logger } from '../shared/logger.ts';
import type { RepeatRule } from '../shared/recurrence.ts';
import { accountPk, type Key } from '../shared/table.ts';
import { toEpochSeconds, toIso } from '../shared/time.ts';
import { armOccurrence, disarmOccurrenceQuietly } from './arming.ts';
import { changeTimer, revertChange, type TimerChange } from './client-changes.ts';
import type { TimerKind } from './kind.ts';
import { listOccurrences, listTimers, type OccurrenceRecord } from './listings.ts';
import {
  cancelTimer,
  getTimer,
  insertTimer,
  type NewTimer,
  removeUnarmedTimer,
  type TimerState,
} from './timer-items.ts';

/** A kind as its API speaks of it. */
export interface TimerApi {
  readonly kind: TimerKind;
  /** 'alarm', 'job'. */
  readonly noun: string;
  /** What its action is while a claim holds it: 'sent', 'run'. */
  readonly doing: string;
  /** Error codes: no longer changeable, changed meanwhile, the demo cap. */
  readonly codes: { readonly notPending: string; readonly changed: string; readonly limit: string };
}

export interface Owner {
  readonly accountId: string;
  readonly demo: boolean;
}

export interface Listing<T> {
  readonly items: T[];
  readonly nextCursor?: string;
}

const invalid = (at: 'body' | 'query', field: string, message: string) =>
  new ValidationError('The request has invalid fields', [{ in: at, field, message }]);

const unavailable = () => new DependencyUnavailableError('Scheduling is unavailable right now; try again shortly');

/** A demo account's expiry (epoch ms), by which its timers must be due; undefined for other accounts. */
export async function demoDeadline(
  owner: Owner,
  expiryOf: (accountId: string) => Promise<number | undefined>,
): Promise<number | undefined> {
  if (!owner.demo) return undefined;
  const expiresAt = await expiryOf(owner.accountId);
  if (expiresAt === undefined) throw new NotFoundError('No such account');
  return expiresAt;
}

/** 400 on `field` when the timer would fall due after the demo account (and it) is deleted: say so now. */
export function refuseAfterDeadline(dueAt: number, deadline: number | undefined, field: string): void {
  if (deadline !== undefined && dueAt >= deadline)
    throw invalid('body', field, `must be before the demo account expires at ${toIso(deadline)}`);
}

const ref = (timer: TimerState) => ({
  accountId: timer.accountId,
  id: timer.id,
  version: timer.version,
  dueAt: timer.dueAt as string,
});

/** A demo account's cap on its PENDING or PAUSED timers of the kind, and its expiry (epoch ms). */
export interface DemoLimits {
  readonly cap: number;
  readonly deadline: number | undefined;
}

/**
 * Books the owner's new timer and arms its first occurrence. A demo account's counts against `cap` (409
 * `limitMessage` at it) and goes with the account at its deadline (TTL); 404 when the account is gone;
 * 503 when neither the Scheduler nor the queue took it (it is then taken back).
 */
export async function createTimer(
  api: TimerApi,
  owner: Owner,
  booking: { readonly dueAt: number; readonly repeat?: RepeatRule; readonly fields: NewTimer['fields'] },
  limits: DemoLimits & { readonly limitMessage: string },
  now: number,
): Promise<TimerState> {
  const timer: NewTimer = {
    accountId: owner.accountId,
    id: newId(now),
    dueAt: toIso(booking.dueAt),
    ...(booking.repeat ? { repeat: booking.repeat } : {}),
    fields: booking.fields,
  };
  const { outcome, timer: booked } = await insertTimer(api.kind, timer, {
    ...(owner.demo ? { pendingCap: limits.cap } : {}),
    ...(limits.deadline === undefined ? {} : { ttl: toEpochSeconds(limits.deadline) }),
  });
  if (outcome === 'limit-reached') throw new ConflictError(limits.limitMessage, api.codes.limit);
  if (outcome === 'account-gone') throw new NotFoundError('No such account');
  try {
    await armOccurrence(api.kind, ref(booked), { how: 'create', now, whenSchedulerFails: 'queue' });
  } catch (error) {
    // A timer nothing will fire must not stay behind.
    logger.error(`Could not arm the new ${api.noun}; taking it back`, { id: booked.id, error });
    await removeUnarmedTimer(api.kind, booked).catch((undoError: unknown) =>
      logger.error(`Could not take back an unarmed ${api.noun}; the sweeper will fire it late`, {
        id: booked.id,
        error: undoError,
      }),
    );
    if (error instanceof ConfigError) throw error;
    throw unavailable();
  }
  return booked;
}

/** A timer of the owner, or 404: an id of the wrong shape, someone else's and none at all look alike. */
export async function getOwnTimer(api: TimerApi, accountId: string, id: string): Promise<TimerState> {
  const timer = ID_PATTERN.test(id) ? await getTimer(api.kind, accountId, id) : undefined;
  if (!timer) throw new NotFoundError(`No such ${api.noun}`);
  return timer;
}

/** 409 unless the timer is PENDING (or PAUSED, a recurring one) and no attempt holds it right now. */
export function refuseUnlessChangeable(api: TimerApi, timer: TimerState, now: number): void {
  if (timer.status !== 'PENDING' && timer.status !== 'PAUSED') {
    const or = timer.repeat ? 'or PAUSED ' : '';
    throw new ConflictError(
      `The ${api.noun} is ${timer.status}; only a PENDING ${or}${api.noun} can change`,
      api.codes.notPending,
    );
  }
  if (timer.claimedUntil !== undefined && timer.claimedUntil >= now)
    throw new ConflictError(`The ${api.noun} is being ${api.doing} right now`, api.codes.notPending);
}

/** After a client's conditional write lost a race: the current state says why. */
export async function explainLostRace(api: TimerApi, accountId: string, id: string, now: number): Promise<never> {
  refuseUnlessChangeable(api, await getOwnTimer(api, accountId, id), now);
  throw new ConflictError(`The ${api.noun} changed meanwhile; read it and try again`, api.codes.changed);
}

/**
 * Applies a client's change (checked changeable already) and re-arms: a new version, so the message in
 * flight for the old one is dropped; a paused timer is disarmed. 503 when its new occurrence could not
 * be armed (its due-index entry is in place: the sweeper fires it, late).
 */
export async function applyChange(
  api: TimerApi,
  timer: TimerState,
  change: TimerChange,
  now: number,
): Promise<TimerState> {
  const changed = await changeTimer(api.kind, timer, change, now);
  if (!changed) return explainLostRace(api, timer.accountId, timer.id, now);
  if (changed.status === 'PAUSED') {
    await disarmOccurrenceQuietly(api.kind, timer.id);
    return changed;
  }
  try {
    await armOccurrence(api.kind, ref(changed), {
      how: timer.status === 'PAUSED' ? 'create' : 'move',
      now,
      whenSchedulerFails: 'queue',
    });
  } catch (error) {
    // Neither the Scheduler nor the queue took it: back to what it was, whose schedule still stands.
    logger.error(`Could not arm the changed ${api.noun}; restoring it as it was`, { id: timer.id, error });
    try {
      if (!(await revertChange(api.kind, timer, changed, change)))
        logger.warn(`The ${api.noun} changed again meanwhile; left as it is`, { id: timer.id });
    } catch (undoError) {
      logger.error(`Could not restore the ${api.noun}; the sweeper will fire it at its new time, late`, {
        id: timer.id,
        error: undoError,
      });
    }
    throw unavailable();
  }
  return changed;
}

/** Cancels the timer (checked changeable already) and deletes its schedule. */
export async function cancelOwnTimer(api: TimerApi, timer: TimerState, now: number): Promise<TimerState> {
  const cancelled = await cancelTimer(api.kind, timer, now);
  if (!cancelled) return explainLostRace(api, timer.accountId, timer.id, now);
  await disarmOccurrenceQuietly(api.kind, timer.id);
  return cancelled;
}

/** A cursor is the last key of a page. */
export const encodeCursor = (key: Key): string =>
  Buffer.from(JSON.stringify({ pk: key.pk, sk: key.sk }), 'utf8').toString('base64url');

/** 400 on the query's cursor. */
export const cursorRefused = () => invalid('query', 'cursor', 'is not a cursor this listing handed out');

/** The key a cursor stands for, one of this listing's (`prefix` + a `tail`) in the caller's partition; else 400. */
export function decodeCursor(cursor: string, accountId: string, prefix: string, tail: RegExp): Key {
  if (!/^[A-Za-z0-9_-]{1,300}$/.test(cursor)) throw cursorRefused();
  let key: { pk?: unknown; sk?: unknown };
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw cursorRefused();
  }
  if (typeof key !== 'object' || key === null || Array.isArray(key) || Object.keys(key).length !== 2)
    throw cursorRefused();
  if (key.pk !== accountPk(accountId) || typeof key.sk !== 'string' || !key.sk.startsWith(prefix))
    throw cursorRefused();
  if (!tail.test(key.sk.slice(prefix.length))) throw cursorRefused();
  return { pk: key.pk, sk: key.sk };
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The owner's timers of the kind, newest first, `limit` at a time. */
export async function listOwnTimers(
  api: TimerApi,
  accountId: string,
  limit: number,
  cursor?: string,
): Promise<Listing<TimerState>> {
  const start = cursor === undefined ? undefined : decodeCursor(cursor, accountId, api.kind.itemPrefix, ID_PATTERN);
  const page = await listTimers(api.kind, accountId, limit, start);
  return { items: page.timers, ...(page.lastKey ? { nextCursor: encodeCursor(page.lastKey) } : {}) };
}

/** What each occurrence of the timer `id` did, newest first, `limit` at a time. */
export async function listOwnHistory(
  api: TimerApi,
  accountId: string,
  id: string,
  limit: number,
  cursor?: string,
): Promise<Listing<OccurrenceRecord>> {
  const prefix = `${api.kind.historyPrefix}${id}#`;
  const start = cursor === undefined ? undefined : decodeCursor(cursor, accountId, prefix, ISO_UTC);
  const page = await listOccurrences(api.kind, accountId, id, limit, start);
  return { items: page.occurrences, ...(page.lastKey ? { nextCursor: encodeCursor(page.lastKey) } : {}) };
}

/** A listing whose items become the capability's view. */
export const viewed = <T, V>(listing: Listing<T>, view: (item: T) => V): Listing<V> => ({
  items: listing.items.map(view),
  ...(listing.nextCursor === undefined ? {} : { nextCursor: listing.nextCursor }),
});
