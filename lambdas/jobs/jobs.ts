// Use cases of webhook jobs seen from the API: create, list, read, reschedule, change the rule, pause,
// resume, cancel, and the runs. Running them is webhook-call.ts on the timer core.
import { DEFAULTS } from '../../lib/definitions.ts';
import { demoExpiryOf, requireSigningSecret } from '../accounts/index.ts';
import { ValidationError } from '../shared/errors.ts';
import { nextOccurrence, type RepeatRule } from '../shared/recurrence.ts';
import { toIso } from '../shared/time.ts';
import type { TimerChange } from '../timers/client-changes.ts';
import type { OccurrenceRecord } from '../timers/listings.ts';
import type { TimerState } from '../timers/timer-items.ts';
import type { Listing, Owner } from '../timers/use-cases.ts';
import * as timers from '../timers/use-cases.ts';
import { JOBS } from './job-kind.ts';

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

export type { Listing, Owner } from '../timers/use-cases.ts';

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

const deadlineOf = (owner: Owner) => timers.demoDeadline(owner, demoExpiryOf);

function firstRun(rule: RepeatRule, now: number, field: string): number {
  const next = nextOccurrence(rule, now);
  if (next === undefined) {
    throw new ValidationError('The request has invalid fields', [{ in: 'body', field, message: 'has no run left' }]);
  }
  return next;
}

export async function createJob(owner: Owner, input: NewJob, now: number): Promise<Job> {
  // Calls are signed: a job on an account without a secret could only fail.
  await requireSigningSecret(owner.accountId);
  const deadline = await deadlineOf(owner);
  const dueAt = input.repeat ? firstRun(input.repeat, now, 'repeat') : input.runAt;
  if (!input.repeat) timers.refuseAfterDeadline(dueAt, deadline, 'runAt');
  const cap = DEFAULTS.maxPendingJobsPerDemoAccount;
  const timer = await timers.createTimer(
    JOBS,
    owner,
    {
      dueAt,
      repeat: input.repeat,
      fields: {
        url: input.url,
        payload: input.payload ?? {},
        createdAt: toIso(now),
        ...(input.repeat ? {} : { runAt: toIso(dueAt) }),
      },
    },
    {
      cap,
      deadline,
      limitMessage: `A demo account may have at most ${cap} pending jobs; cancel one or wait until one runs`,
    },
    now,
  );
  return toJob(timer);
}

/** A job of the owner, or 404: an id of the wrong shape, someone else's job and no job look alike. */
export async function getOwnJob(accountId: string, jobId: string): Promise<Job> {
  return toJob(await timers.getOwnTimer(JOBS, accountId, jobId));
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
  const timer = await timers.getOwnTimer(JOBS, owner.accountId, jobId);
  timers.refuseUnlessChangeable(JOBS, timer, now);
  if (patch.runAt !== undefined && timer.status === 'PENDING')
    timers.refuseAfterDeadline(patch.runAt, await deadlineOf(owner), 'runAt');
  const change = changeOf(timer, patch, now);
  if (!change) return toJob(timer);
  return toJob(await timers.applyChange(JOBS, timer, change, now));
}

export async function cancelOwnJob(accountId: string, jobId: string, now: number): Promise<Job> {
  const timer = await timers.getOwnTimer(JOBS, accountId, jobId);
  timers.refuseUnlessChangeable(JOBS, timer, now);
  return toJob(await timers.cancelOwnTimer(JOBS, timer, now));
}

/** The owner's jobs, newest first, `limit` at a time. */
export async function listOwnJobs(accountId: string, limit: number, cursor?: string): Promise<Listing<Job>> {
  return timers.viewed(await timers.listOwnTimers(JOBS, accountId, limit, cursor), toJob);
}

/** A job's runs, newest first; 404 as for the job itself. */
export async function listOwnJobRuns(
  accountId: string,
  jobId: string,
  limit: number,
  cursor?: string,
): Promise<Listing<JobRun>> {
  await timers.getOwnTimer(JOBS, accountId, jobId);
  return timers.viewed(await timers.listOwnHistory(JOBS, accountId, jobId, limit, cursor), toJobRun);
}
