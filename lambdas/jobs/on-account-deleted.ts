// What deleting an account means for its jobs: their schedules are deleted before the items are.
import type { Item } from '../shared/table.ts';
import { disarmOwnedTimers } from '../timers/owned.ts';
import { jobTimers } from './job-kind.ts';

/** Called with every item of the account's partition (its jobs and their runs). Must be safe to repeat. */
export const releaseJobsOf = (_accountId: string, owned: readonly Item[]): Promise<void> =>
  disarmOwnedTimers(jobTimers, owned);
