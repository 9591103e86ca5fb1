// What deleting an account means for studies: it leaves the studies it joined, and the studies it owns
// are deleted with their weeks, participants and attendance.
import type { Item } from '../shared/table.ts';
import { deleteKeys, keysOf, studyItems, weekAttendance } from './study-store.ts';

/** Called with every item of the account's partition; acts on its participations. Safe to repeat. */
export async function leaveStudiesOf(accountId: string, owned: readonly Item[]): Promise<void> {
  for (const item of owned) {
    const sk = String(item.sk);
    if (sk.startsWith('MEMBER_OF#')) {
      const studyId = sk.slice('MEMBER_OF#'.length);
      await deleteKeys([{ pk: keysOf.studyPk(studyId), sk: keysOf.memberSk(accountId) }]);
    } else if (sk.startsWith('OWNS#')) {
      await deleteStudy(sk.slice('OWNS#'.length));
    }
  }
}

async function deleteStudy(studyId: string): Promise<void> {
  const items = await studyItems(studyId);
  for (const item of items) {
    const sk = String(item.sk);
    if (sk.startsWith('MEMBER#')) {
      // The member's own partition names the study too.
      await deleteKeys([{ pk: `ACCOUNT#${sk.slice('MEMBER#'.length)}`, sk: `MEMBER_OF#${studyId}` }]);
    } else if (sk.startsWith('WEEK#')) {
      const week = Number(item.week);
      const rows = await weekAttendance(studyId, week);
      await deleteKeys([...rows.keys()].map((id) => ({ pk: keysOf.attendancePk(studyId, week), sk: keysOf.memberSk(id) })));
    }
  }
  // The META item last, so a retry after a crash still finds the study.
  const meta = items.filter((i) => i.sk === 'META');
  await deleteKeys([...items.filter((i) => i.sk !== 'META'), ...meta] as { pk: unknown; sk: unknown }[]);
}
