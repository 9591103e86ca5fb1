// What deleting an account means for studies: it leaves the studies it joined (its membership and its
// attendance rows go), and the studies it owns are deleted with their weeks, participants and attendance.
import type { Item, Key } from '../shared/table.ts';
import { attendanceKeysOf, deleteItem, deleteKeys, keysOf, studyItems, weekNumbersOf } from './study-store.ts';

/** Called with every item of the account's partition; acts on its participations. Safe to repeat. */
export async function leaveStudiesOf(accountId: string, owned: readonly Item[]): Promise<void> {
  for (const item of owned) {
    const sk = String(item.sk);
    if (sk.startsWith('MEMBER_OF#')) await leaveStudy(sk.slice('MEMBER_OF#'.length), accountId);
    else if (sk.startsWith('OWNS#')) await deleteStudy(sk.slice('OWNS#'.length));
  }
}

async function leaveStudy(studyId: string, accountId: string): Promise<void> {
  // The membership first: from then on no run's chunk lists the account, so no new row appears.
  await deleteItem({ pk: keysOf.studyPk(studyId), sk: keysOf.memberSk(accountId) });
  const weeks = await weekNumbersOf(studyId);
  await deleteKeys(weeks.map((week) => ({ pk: keysOf.attendancePk(studyId, week), sk: keysOf.memberSk(accountId) })));
}

/**
 * The study item first, so the API answers 404 and chunks in flight skip the study at once. A retry
 * after a crash still finds the rest: the owner's OWNS# item is deleted only after this returns, and the
 * study's partition is read by its key, not through the study item.
 */
async function deleteStudy(studyId: string): Promise<void> {
  await deleteItem({ pk: keysOf.studyPk(studyId), sk: 'META' });
  const items = await studyItems(studyId);
  const keys: Key[] = [];
  for (const item of items) {
    const sk = String(item.sk);
    // The member's own partition names the study too.
    if (sk.startsWith('MEMBER#')) {
      keys.push(
        { pk: `ACCOUNT#${sk.slice('MEMBER#'.length)}`, sk: `MEMBER_OF#${studyId}` },
        { pk: String(item.pk), sk },
      );
    } else if (sk.startsWith('WEEK#')) {
      keys.push(...(await attendanceKeysOf(studyId, Number(item.week))), { pk: String(item.pk), sk });
    }
  }
  await deleteKeys(keys);
}
