// Each capability that stores things in an account's partition says what else must go with them.
import { leaveStudiesOf } from '../absence/owned-data.ts';
import { releaseAlarmsOf } from '../alarms/owned-data.ts';
import type { Item } from '../shared/table.ts';

export type OwnedDataCleaner = (accountId: string, owned: readonly Item[]) => Promise<void>;

export const ownedDataCleaners: readonly OwnedDataCleaner[] = [releaseAlarmsOf, leaveStudiesOf];
