// Use cases of alarms seen from the API: create, list, read, reschedule, cancel. Sending is in send-due-alarm.ts.
import { DEFAULTS } from '../../lib/definitions.ts';
import { demoExpiryOf, requireSigningSecret } from '../accounts/index.ts';
import { ConfigError } from '../shared/config.ts';
import { ConflictError, DependencyUnavailableError, NotFoundError, ValidationError } from '../shared/errors.ts';
import { ID_PATTERN, newId } from '../shared/ids.ts';
import { logger } from '../shared/logger.ts';
import { accountPk } from '../shared/table.ts';
import { toEpochSeconds, toIso } from '../shared/time.ts';
import { armAlarm, disarmAlarm } from './alarm-arming.ts';
import { alarmKey } from './alarm-items.ts';
import {
  type Alarm,
  cancelAlarm,
  getAlarm,
  insertAlarm,
  listAlarms,
  removeUnarmedAlarm,
  rescheduleAlarm,
  revertReschedule,
} from './alarm-store.ts';

export type { Alarm, AlarmStatus } from './alarm-store.ts';

export interface Owner {
  readonly accountId: string;
  readonly demo: boolean;
}

export interface NewAlarm {
  /** Epoch ms, already checked to lie in the future and within 365 days. */
  readonly fireAt: number;
  readonly condition?: { readonly url: string };
  readonly title: string;
  readonly body: string;
  readonly deviceToken: string;
  readonly data?: Readonly<Record<string, string>>;
}

/** A demo account's expiry (epoch ms), by which its alarms must have fired; undefined for others. */
export async function demoDeadline(owner: Owner): Promise<number | undefined> {
  if (!owner.demo) return undefined;
  const expiresAt = await demoExpiryOf(owner.accountId);
  if (expiresAt === undefined) throw new NotFoundError('No such account');
  return expiresAt;
}

export function refuseAfterDeadline(fireAt: number, deadline: number | undefined): void {
  // The alarm would be deleted with the account before it could fire: say so now rather than never.
  if (deadline !== undefined && fireAt >= deadline) {
    throw new ValidationError('The request has invalid fields', [
      { in: 'body', field: 'fireAt', message: `must be before the demo account expires at ${toIso(deadline)}` },
    ]);
  }
}

export async function createAlarm(owner: Owner, input: NewAlarm, now: number): Promise<Alarm> {
  if (input.condition) await requireSigningSecret(owner.accountId);
  const deadline = await demoDeadline(owner);
  refuseAfterDeadline(input.fireAt, deadline);
  const ttl = deadline === undefined ? undefined : toEpochSeconds(deadline);
  const alarm: Alarm = {
    alarmId: newId(now),
    accountId: owner.accountId,
    status: 'PENDING',
    fireAt: toIso(input.fireAt),
    ...(input.condition ? { condition: { url: input.condition.url } } : {}),
    title: input.title,
    body: input.body,
    data: input.data ?? {},
    deviceToken: input.deviceToken,
    createdAt: toIso(now),
    version: 1,
    // Only a demo account's alarms count towards its cap.
    countedOnProfile: owner.demo,
  };
  const outcome = await insertAlarm(alarm, {
    ...(owner.demo ? { pendingCap: DEFAULTS.maxPendingAlarmsPerDemoAccount } : {}),
    ...(ttl === undefined ? {} : { ttl }),
  });
  if (outcome === 'limit-reached') {
    throw new ConflictError(
      `A demo account may have at most ${DEFAULTS.maxPendingAlarmsPerDemoAccount} pending alarms; cancel one or wait until one fires`,
      'ALARM_LIMIT_REACHED',
    );
  }
  if (outcome === 'account-gone') throw new NotFoundError('No such account');
  try {
    await armAlarm(alarm, 'create', now);
  } catch (error) {
    // Neither the Scheduler nor the queue took it: an alarm nothing will fire must not stay behind.
    logger.error('Could not arm the new alarm; taking it back', { alarmId: alarm.alarmId, error });
    await removeUnarmedAlarm(alarm).catch((undoError: unknown) =>
      logger.error('Could not take back an unarmed alarm; the sweeper will fire it late', {
        alarmId: alarm.alarmId,
        error: undoError,
      }),
    );
    if (error instanceof ConfigError) throw error;
    throw new DependencyUnavailableError('Scheduling is unavailable right now; try again shortly');
  }
  return alarm;
}

/** An alarm of the owner, or 404: an id of the wrong shape, someone else's alarm and no alarm look alike. */
export async function getOwnAlarm(accountId: string, alarmId: string): Promise<Alarm> {
  const alarm = ID_PATTERN.test(alarmId) ? await getAlarm(accountId, alarmId) : undefined;
  if (!alarm) throw new NotFoundError('No such alarm');
  return alarm;
}

/** 409 unless the alarm is PENDING (or PAUSED, for a recurring one) and nobody is sending it right now. */
export function refuseUnlessChangeable(alarm: Alarm, now: number): void {
  const recurring = alarm.repeat !== undefined;
  if (alarm.status !== 'PENDING' && !(recurring && alarm.status === 'PAUSED')) {
    throw new ConflictError(
      `The alarm is ${alarm.status}; only a PENDING ${recurring ? 'or PAUSED ' : ''}alarm can change`,
      'ALARM_NOT_PENDING',
    );
  }
  if (alarm.claimedUntil !== undefined && alarm.claimedUntil >= now) {
    throw new ConflictError('The alarm is being sent right now', 'ALARM_NOT_PENDING');
  }
}

/** After a conditional write lost a race: the current state says why. */
export async function explainLostRace(accountId: string, alarmId: string, now: number): Promise<never> {
  const current = await getOwnAlarm(accountId, alarmId);
  refuseUnlessChangeable(current, now);
  throw new ConflictError('The alarm changed meanwhile; read it and try again', 'ALARM_CHANGED');
}

export async function rescheduleOwnAlarm(owner: Owner, alarmId: string, fireAt: number, now: number): Promise<Alarm> {
  const { accountId } = owner;
  const alarm = await getOwnAlarm(accountId, alarmId);
  refuseUnlessChangeable(alarm, now);
  refuseAfterDeadline(fireAt, await demoDeadline(owner));
  if (alarm.fireAt === toIso(fireAt)) return alarm;
  const moved = await rescheduleAlarm(alarm, toIso(fireAt), now);
  if (!moved) return explainLostRace(accountId, alarmId, now);
  try {
    // Only the message of the new version fires it; the old schedule's message is now stale.
    await armAlarm(moved, 'move', now);
  } catch (error) {
    logger.error('Could not arm the rescheduled alarm; restoring its previous time', { alarmId, error });
    await revertReschedule(alarm, moved.version).catch((undoError: unknown) =>
      logger.error('Could not restore the previous time; the sweeper will fire it late', { alarmId, error: undoError }),
    );
    throw new DependencyUnavailableError('Scheduling is unavailable right now; try again shortly');
  }
  return moved;
}

export async function cancelOwnAlarm(accountId: string, alarmId: string, now: number): Promise<Alarm> {
  const alarm = await getOwnAlarm(accountId, alarmId);
  refuseUnlessChangeable(alarm, now);
  const cancelled = await cancelAlarm(alarm, now);
  if (!cancelled) return explainLostRace(accountId, alarmId, now);
  await disarmAlarm(alarmId);
  return cancelled;
}

export interface AlarmListing {
  readonly items: Alarm[];
  readonly nextCursor?: string;
}

function badCursor(): ValidationError {
  return new ValidationError('The request has invalid fields', [
    { in: 'query', field: 'cursor', message: 'is not a cursor this listing handed out' },
  ]);
}

/** The listing key a cursor stands for; anything else, forged or from another account, is a 400. */
export function decodeCursor(cursor: string, accountId: string): { pk: string; sk: string } {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) throw badCursor();
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  const k = key as { pk?: unknown; sk?: unknown; [other: string]: unknown };
  if (typeof key !== 'object' || key === null || Array.isArray(key) || Object.keys(k).length !== 2) throw badCursor();
  if (k.pk !== accountPk(accountId) || typeof k.sk !== 'string') throw badCursor();
  const alarmId = k.sk.startsWith('ALARM#') ? k.sk.slice('ALARM#'.length) : '';
  if (!ID_PATTERN.test(alarmId)) throw badCursor();
  return alarmKey(accountId, alarmId);
}

export const encodeCursor = (key: { pk: string; sk: string }): string =>
  Buffer.from(JSON.stringify({ pk: key.pk, sk: key.sk }), 'utf8').toString('base64url');

/** The owner's alarms, newest first, `limit` at a time. */
export async function listOwnAlarms(accountId: string, limit: number, cursor?: string): Promise<AlarmListing> {
  const start = cursor === undefined ? undefined : decodeCursor(cursor, accountId);
  const page = await listAlarms(accountId, limit, start);
  return { items: page.alarms, ...(page.lastKey ? { nextCursor: encodeCursor(page.lastKey) } : {}) };
}
