// What deleting an account means for studies: it leaves the studies it joined (its membership and its
// attendance rows go), its open invitations go on the studies' side too, and the studies it owns are
// deleted with their weeks, invitations, participants and attendance.
import type { Item } from '../shared/table.ts';
import { deleteStudy, dropInvitation, leaveStudy } from './study-deletion.ts';
import { INVITED_TO_PREFIX, MEMBER_OF_PREFIX, OWNS_PREFIX } from './study-keys.ts';

/** Called with every item of the account's partition; acts on its participations. Safe to repeat. */
export async function leaveStudiesOf(accountId: string, owned: readonly Item[]): Promise<void> {
  for (const item of owned) {
    const sk = String(item.sk);
    if (sk.startsWith(MEMBER_OF_PREFIX)) await leaveStudy(sk.slice(MEMBER_OF_PREFIX.length), accountId);
    else if (sk.startsWith(INVITED_TO_PREFIX)) await dropInvitation(sk.slice(INVITED_TO_PREFIX.length), accountId);
    else if (sk.startsWith(OWNS_PREFIX)) await deleteStudy(sk.slice(OWNS_PREFIX.length));
  }
}
