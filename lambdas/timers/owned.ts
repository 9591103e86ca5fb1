// What deleting an account means for its timers of a kind: their schedules are deleted before the items.
import { inParallel } from '../shared/async.ts';
import { DependencyUnavailableError } from '../shared/errors.ts';
import type { Item } from '../shared/table.ts';
import { disarmOccurrence } from './arming.ts';
import type { TimerKind } from './kind.ts';
import { isTimerItem } from './timer-items.ts';

/** Schedules deleted at once; an account may own many timers, the Scheduler has a request quota. */
const CONCURRENCY = 8;

/** Called with every item of the account's partition; deletes the schedules of its live timers. Safe to repeat. */
export async function disarmOwnedTimers(kind: TimerKind, owned: readonly Item[]): Promise<void> {
  // Only live timers can have a schedule (a fired one deleted itself). A message already on the queue
  // finds no timer once the items are gone and is dropped.
  const ids = owned
    .filter((item) => isTimerItem(kind, item) && (item.status === 'PENDING' || item.status === 'PAUSED'))
    .map((item) => String(item[kind.idAttribute]));
  try {
    await inParallel(ids, CONCURRENCY, (id) => disarmOccurrence(kind, id));
  } catch (error) {
    // Nothing is deleted yet, so the whole deletion can be retried; the schedules would fire into nothing.
    throw new DependencyUnavailableError(
      `Could not delete the schedules of ${kind.itemType}s: ${(error as Error).name}`,
    );
  }
}
