// Use cases of webhook jobs seen from the API: create, list, read, reschedule, change the rule, pause,
// resume, cancel, and the runs. Running them is webhook-call.ts on the timer core.
import { DEFAULTS } from '../../lib/definitions.ts';
import { demoExpiryOf, requireSigningSecret } from '../accounts/index.ts';
import { ConfigError } from '../shared/config.ts';
import { ConflictError, DependencyUnavailableError, NotFoundError, ValidationError } from '../shared/errors.ts';
import { ID_PATTERN, newId } from '../shared/ids.ts';
import { logger } from '../shared/logger.ts';
import { nextOccurrence, type RepeatRule } from '../shared/recurrence.ts';
import { accountPk } from '../shared/table.ts';
import { toEpochSeconds, toIso } from '../shared/time.ts';
import { armOccurrence, disarmOccurrenceQuietly } from '../timers/arming.ts';
import { listOccurrences, type OccurrenceRecord } from '../timers/occurrence-history.ts';
import {
  cancelTimer,
  changeTimer,
  getTimer,
  insertTimer,
  listTimers,
  removeUnarmedTimer,
  type TimerChange,
  type TimerState,
} from '../timers/timer-items.ts';
import { jobTimers } from './job-kind.ts';

export type JobStatus = 'PENDING' | 'PAUSED' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export interface Job {
  readonly jobId: string;
  readonly status: JobStatus;
  /** One-off jobs: ISO. */
  readonly runAt?: string;
  readonly repeat?: RepeatRule;
  /** Recurring jobs while PENDING: the next run, ISO. */
  readonly nextRunAt?: string;
  readonly url: string;
  readonly payload: Record<string, unknown>;
  readonly createdAt: string;
  readonly finishedAt?: string;
  readonly failureReason?: string;
}

export interface JobRun {
  readonly runAt: string;
  readonly status: string;
  readonly attempts: number;
  readonly httpStatus?: number;
  readonly reason?: string;
  readonly finishedAt?: string;
}

export interface Owner {
  readonly accountId: string;
  readonly demo: boolean;
}

export type NewJob = { readonly url: string; readonly payload?: Record<string, unknown> } & (
  | { readonly runAt: number; readonly repeat?: undefined }
  | { readonly repeat: RepeatRule; readonly runAt?: undefined }
);

export function toJob(timer: TimerState): Job {
  const item = timer.item;
  const recurring = timer.repeat !== undefined;
  return {
    jobId: timer.id,
    status: timer.status as JobStatus,
    ...(!recurring && typeof item.runAt === 'string' ? { runAt: item.runAt } : {}),
    ...(timer.repeat ? { repeat: { ...timer.repeat } } : {}),
    ...(recurring && timer.status === 'PENDING' && timer.dueAt ? { nextRunAt: timer.dueAt } : {}),
    url: String(item.url),
    payload: (item.payload as Record<string, unknown> | undefined) ?? {},
    createdAt: String(item.createdAt),
    // A recurring job's finishedAt is its last run's until it is over.
    ...(typeof item.finishedAt === 'string' && (!recurring || !['PENDING', 'PAUSED'].includes(timer.status))
      ? { finishedAt: item.finishedAt }
      : {}),
    ...(typeof item.failureReason === 'string' ? { failureReason: item.failureReason } : {}),
  };
}

export function toJobRun(record: OccurrenceRecord): JobRun {
  const item = record.item;
  return {
    runAt: record.dueAt,
    status: record.status,
    attempts: record.attempts,
    ...(typeof item.httpStatus === 'number' ? { httpStatus: item.httpStatus } : {}),
    ...(record.reason === undefined ? {} : { reason: record.reason }),
    ...(typeof item.finishedAt === 'string' ? { finishedAt: item.finishedAt } : {}),
  };
}

/** A demo account's expiry (epoch ms): a one-off job after it would be deleted before it ran. */
async function demoDeadline(owner: Owner): Promise<number | undefined> {
  if (!owner.demo) return undefined;
  return demoExpiryOf(owner.accountId);
}

function refuseAfterDeadline(runAt: number, deadline: number | undefined): void {
  if (deadline !== undefined && runAt >= deadline) {
    throw new ValidationError('The request has invalid fields', [
      { in: 'body', field: 'runAt', message: `must be before the demo account expires at ${toIso(deadline)}` },
    ]);
  }
}

function firstRun(rule: RepeatRule, now: number, field: string): number {
  const next = nextOccurrence(rule, now);
  if (next === undefined) {
    throw new ValidationError('The request has invalid fields', [{ in: 'body', field, message: 'has no run left' }]);
  }
  return next;
}

const unavailable = () => new DependencyUnavailableError('Scheduling is unavailable right now; try again shortly');

export async function createJob(owner: Owner, input: NewJob, now: number): Promise<Job> {
  // Calls are signed: a job on an account without a secret could only fail.
  await requireSigningSecret(owner.accountId);
  const deadline = await demoDeadline(owner);
  const dueAt = input.repeat ? firstRun(input.repeat, now, 'repeat') : input.runAt;
  if (!input.repeat) refuseAfterDeadline(dueAt, deadline);
  const { outcome, timer } = await insertTimer(
    jobTimers,
    {
      accountId: owner.accountId,
      id: newId(now),
      dueAt: toIso(dueAt),
      ...(input.repeat ? { repeat: input.repeat } : {}),
      fields: {
        url: input.url,
        payload: input.payload ?? {},
        createdAt: toIso(now),
        ...(input.repeat ? {} : { runAt: toIso(dueAt) }),
      },
    },
    {
      ...(owner.demo ? { pendingCap: DEFAULTS.maxPendingJobsPerDemoAccount } : {}),
      ...(deadline === undefined ? {} : { ttl: toEpochSeconds(deadline) }),
    },
  );
  if (outcome === 'limit-reached') {
    throw new ConflictError(
      `A demo account may have at most ${DEFAULTS.maxPendingJobsPerDemoAccount} pending jobs; cancel one or wait until one runs`,
      'JOB_LIMIT_REACHED',
    );
  }
  if (outcome === 'account-gone') throw new NotFoundError('No such account');
  try {
    await armOccurrence(jobTimers, occurrenceOf(timer), { how: 'create', now, whenSchedulerFails: 'queue' });
  } catch (error) {
    // Neither the Scheduler nor the queue took it: a job nothing will run must not stay behind.
    logger.error('Could not arm the new job; taking it back', { jobId: timer.id, error });
    await removeUnarmedTimer(jobTimers, timer).catch((undoError: unknown) =>
      logger.error('Could not take back an unarmed job; the sweeper will run it late', {
        jobId: timer.id,
        error: undoError,
      }),
    );
    if (error instanceof ConfigError) throw error;
    throw unavailable();
  }
  return toJob(timer);
}

const occurrenceOf = (timer: TimerState) => ({
  accountId: timer.accountId,
  id: timer.id,
  version: timer.version,
  dueAt: timer.dueAt as string,
});

async function getOwnTimer(accountId: string, jobId: string): Promise<TimerState> {
  const timer = ID_PATTERN.test(jobId) ? await getTimer(jobTimers, accountId, jobId) : undefined;
  if (!timer) throw new NotFoundError('No such job');
  return timer;
}

/** A job of the owner, or 404: an id of the wrong shape, someone else's job and no job look alike. */
export async function getOwnJob(accountId: string, jobId: string): Promise<Job> {
  return toJob(await getOwnTimer(accountId, jobId));
}

function refuseUnlessChangeable(timer: TimerState, now: number): void {
  if (timer.status !== 'PENDING' && timer.status !== 'PAUSED') {
    throw new ConflictError(`The job is ${timer.status}; only a PENDING or PAUSED job can change`, 'JOB_NOT_PENDING');
  }
  if (timer.claimedUntil !== undefined && timer.claimedUntil >= now) {
    throw new ConflictError('The job is being run right now', 'JOB_NOT_PENDING');
  }
}

async function explainLostRace(accountId: string, jobId: string, now: number): Promise<never> {
  refuseUnlessChangeable(await getOwnTimer(accountId, jobId), now);
  throw new ConflictError('The job changed meanwhile; read it and try again', 'JOB_CHANGED');
}

export type JobPatch =
  | { readonly runAt: number }
  | { readonly repeat?: RepeatRule; readonly paused?: boolean; readonly runAt?: undefined };

function wrongKind(field: string, message: string): ValidationError {
  return new ValidationError('The request has invalid fields', [{ in: 'body', field, message }]);
}

/** The change a patch makes to the timer, or undefined when it changes nothing. */
function changeOf(timer: TimerState, patch: JobPatch, now: number): TimerChange | undefined {
  if (patch.runAt !== undefined) {
    if (timer.repeat) throw wrongKind('runAt', 'a recurring job changes its repeat, not its runAt');
    if (timer.item.runAt === toIso(patch.runAt)) return undefined;
    return { dueAt: toIso(patch.runAt), fields: { runAt: toIso(patch.runAt) } };
  }
  if (!timer.repeat) {
    throw wrongKind(patch.repeat ? 'repeat' : 'paused', 'a one-off job changes its runAt only');
  }
  if (timer.status === 'PENDING' && patch.paused === true)
    return { pause: true, ...(patch.repeat ? { repeat: patch.repeat } : {}) };
  const rule = patch.repeat ?? timer.repeat;
  const resumes = timer.status === 'PAUSED' && patch.paused === false;
  if (timer.status === 'PAUSED' && !resumes) return patch.repeat ? { pause: true, repeat: patch.repeat } : undefined;
  if (!resumes && !patch.repeat) return undefined;
  // A new rule takes effect from its next run; resuming starts with the first run after now.
  return { dueAt: toIso(firstRun(rule, now, 'repeat')), ...(patch.repeat ? { repeat: patch.repeat } : {}) };
}

export async function changeOwnJob(owner: Owner, jobId: string, patch: JobPatch, now: number): Promise<Job> {
  const { accountId } = owner;
  const timer = await getOwnTimer(accountId, jobId);
  refuseUnlessChangeable(timer, now);
  if (patch.runAt !== undefined && timer.status === 'PENDING')
    refuseAfterDeadline(patch.runAt, await demoDeadline(owner));
  const change = changeOf(timer, patch, now);
  if (!change) return toJob(timer);
  const changed = await changeTimer(jobTimers, timer, change, now);
  if (!changed) return explainLostRace(accountId, jobId, now);
  if (changed.status === 'PAUSED') {
    await disarmOccurrenceQuietly(jobTimers, jobId);
    return toJob(changed);
  }
  try {
    // Only the message of the new version runs it; the old schedule's message is stale now.
    await armOccurrence(jobTimers, occurrenceOf(changed), {
      how: timer.status === 'PAUSED' ? 'create' : 'move',
      now,
      whenSchedulerFails: 'queue',
    });
  } catch (error) {
    // Its due-index entry is in place: the sweeper runs it, late.
    logger.error('Could not arm the changed job; the sweeper will run it', { jobId, error });
    throw unavailable();
  }
  return toJob(changed);
}

export async function cancelOwnJob(accountId: string, jobId: string, now: number): Promise<Job> {
  const timer = await getOwnTimer(accountId, jobId);
  refuseUnlessChangeable(timer, now);
  const cancelled = await cancelTimer(jobTimers, timer, now);
  if (!cancelled) return explainLostRace(accountId, jobId, now);
  await disarmOccurrenceQuietly(jobTimers, jobId);
  return toJob(cancelled);
}

export interface Listing<T> {
  readonly items: T[];
  readonly nextCursor?: string;
}

function badCursor(): ValidationError {
  return new ValidationError('The request has invalid fields', [
    { in: 'query', field: 'cursor', message: 'is not a cursor this listing handed out' },
  ]);
}

/** A cursor is the last sort key of a page; it must be one of this listing's, in the caller's partition. */
const encodeCursor = (key: { sk: string }): string => Buffer.from(key.sk, 'utf8').toString('base64url');

function decodeCursor(cursor: string, accountId: string, prefix: string, pattern: RegExp): { pk: string; sk: string } {
  if (!/^[A-Za-z0-9_-]{1,300}$/.test(cursor)) throw badCursor();
  const sk = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!sk.startsWith(prefix) || !pattern.test(sk.slice(prefix.length))) throw badCursor();
  return { pk: accountPk(accountId), sk };
}

const ID = ID_PATTERN.source.slice(1, -1);

/** The owner's jobs, newest first, `limit` at a time. */
export async function listOwnJobs(accountId: string, limit: number, cursor?: string): Promise<Listing<Job>> {
  const start =
    cursor === undefined ? undefined : decodeCursor(cursor, accountId, jobTimers.itemPrefix, new RegExp(`^${ID}$`));
  const page = await listTimers(jobTimers, accountId, limit, start);
  return { items: page.timers.map(toJob), ...(page.lastKey ? { nextCursor: encodeCursor(page.lastKey) } : {}) };
}

/** A job's runs, newest first; 404 as for the job itself. */
export async function listOwnJobRuns(
  accountId: string,
  jobId: string,
  limit: number,
  cursor?: string,
): Promise<Listing<JobRun>> {
  await getOwnTimer(accountId, jobId);
  const start =
    cursor === undefined
      ? undefined
      : decodeCursor(
          cursor,
          accountId,
          `${jobTimers.historyPrefix}${jobId}#`,
          /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
        );
  const page = await listOccurrences(jobTimers, accountId, jobId, limit, start);
  return {
    items: page.occurrences.map(toJobRun),
    ...(page.lastKey ? { nextCursor: encodeCursor(page.lastKey) } : {}),
  };
}
