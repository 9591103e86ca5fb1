// Jobs as the timer core sees them: where they live, which queue and schedule group carry them.
import { FUNCTIONS, SCHEDULE_GROUPS } from '../../lib/definitions.ts';
import { accountExists, countPendingJob, uncountPendingJob } from '../accounts/index.ts';
import { carriedBy, type TimerKind } from '../timers/kind.ts';
import type { TimerApi } from '../timers/use-cases.ts';

export const JOB_MESSAGE_KIND = 'run-due-job';

export const jobTimers: TimerKind = {
  messageKind: JOB_MESSAGE_KIND,
  itemType: 'job',
  idAttribute: 'jobId',
  itemPrefix: 'JOB#',
  historyPrefix: 'JOBRUN#',
  duePrefix: 'JOB',
  ...carriedBy(SCHEDULE_GROUPS.jobs),
  schedulePrefix: 'job-',
  // A claim outlives the attempt that took it: no invocation runs past the function's timeout.
  claimMs: FUNCTIONS.runDueJob.timeoutSeconds * 1000,
  profile: { exists: accountExists, count: countPendingJob, uncount: uncountPendingJob },
  completedStatus: 'SUCCEEDED',
  // A run's record keeps its attempts and httpStatus: one-off jobs list theirs like recurring ones.
  oneOffRecord: 'history',
};

export const JOBS: TimerApi = {
  kind: jobTimers,
  noun: 'job',
  doing: 'run',
  codes: { notPending: 'JOB_NOT_PENDING', changed: 'JOB_CHANGED', limit: 'JOB_LIMIT_REACHED' },
};
