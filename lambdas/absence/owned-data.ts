// What deleting an account means for studies: it leaves the studies it joined (study-side items).
import type { Item } from '../shared/table.ts';

/** Called with every item of the account's partition; acts on its participations. Must be safe to repeat. */
export async function leaveStudiesOf(_accountId: string, _owned: readonly Item[]): Promise<void> {}
