// What deleting an account means for its alarms: their schedules are deleted before the items are.
import { inParallel } from '../shared/async.ts';
import { DependencyUnavailableError } from '../shared/errors.ts';
import type { Item } from '../shared/table.ts';
import { deleteAlarmSchedule } from './alarm-arming.ts';
import { isAlarmItem } from './alarm-items.ts';

/** Schedules deleted at once; an account may own many alarms, the Scheduler has a request quota. */
const CONCURRENCY = 8;

/** Called with every item of the account's partition; acts on its alarms. Must be safe to repeat. */
export async function releaseAlarmsOf(_accountId: string, owned: readonly Item[]): Promise<void> {
  // Only PENDING alarms still have a schedule (a fired one deleted itself). A message already on the
  // queue finds no alarm once the items are gone and is dropped.
  const ids = owned
    .filter((item) => isAlarmItem(item) && item.status === 'PENDING')
    .map((item) => String(item.alarmId));
  try {
    await inParallel(ids, CONCURRENCY, deleteAlarmSchedule);
  } catch (error) {
    // Nothing is deleted yet, so the whole deletion can be retried; the schedules would fire into nothing.
    throw new DependencyUnavailableError(`Could not delete the alarms' schedules: ${(error as Error).name}`);
  }
}
