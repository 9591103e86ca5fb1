// What deleting an account means for its alarms: their schedules are deleted before the items are.
import type { Item } from '../shared/table.ts';
import { disarmOwnedTimers } from '../timers/owned.ts';
import { ALARM_KIND } from './alarm-kind.ts';

/** Called with every item of the account's partition (its alarms and their records). Must be safe to repeat. */
export const releaseAlarmsOf = (_accountId: string, owned: readonly Item[]): Promise<void> =>
  disarmOwnedTimers(ALARM_KIND, owned);
