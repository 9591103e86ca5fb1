// The jobs' overdue work: runs still PENDING a grace period after runAt (their schedule never delivered,
// or arming the next run was lost), re-driven through the timer core. Called by the sweeper.
import { redriveOverdue } from '../timers/overdue.ts';
import { jobTimers } from './job-kind.ts';

/** Re-sends the message of every overdue run; how many there were. */
export const redriveOverdueJobRuns = (now: number): Promise<number> => redriveOverdue(jobTimers, now);
