// Taking an account out of a study, and deleting a study: used when an account leaves (or declines) and
// when it is deleted. Every step is safe to repeat, so a crash halfway is finished by the retry.
import { batchDelete } from '../shared/dynamo/batch.ts';
import type { Key } from '../shared/table.ts';
import { attendanceKeysOf, deleteItem, studyItems, weekNumbersOf } from './deletion-store.ts';
import {
  attendancePk,
  INVITE_PREFIX,
  invitedToKey,
  inviteSk,
  MEMBER_PREFIX,
  memberOfKey,
  memberSk,
  STUDY_SK,
  studyPk,
  WEEK_PREFIX,
} from './study-keys.ts';

/**
 * The membership first: from then on no run's chunk lists the account, and a chunk that listed it
 * already fails the membership condition of its transaction, so nothing more is judged. Then its
 * attendance row of every week, then the account's own MEMBER_OF# item, last, so a retry still finds it.
 */
export async function leaveStudy(studyId: string, accountId: string): Promise<void> {
  await deleteItem({ pk: studyPk(studyId), sk: memberSk(accountId) });
  const weeks = await weekNumbersOf(studyId);
  await batchDelete(weeks.map((week) => ({ pk: attendancePk(studyId, week), sk: memberSk(accountId) })));
  await deleteItem(memberOfKey(accountId, studyId));
}

/** Declines (or, for the owner's side, withdraws) an open invitation: both sides. */
export async function dropInvitation(studyId: string, accountId: string): Promise<void> {
  await batchDelete([{ pk: studyPk(studyId), sk: inviteSk(accountId) }, invitedToKey(accountId, studyId)]);
}

/**
 * The study item first, so the API answers 404 and chunks in flight skip the study at once. A retry
 * after a crash still finds the rest: the owner's OWNS# item is deleted only after this returns, and the
 * study's partition is read by its key, not through the study item.
 */
export async function deleteStudy(studyId: string): Promise<void> {
  await deleteItem({ pk: studyPk(studyId), sk: STUDY_SK });
  const keys: Key[] = [];
  for (const item of await studyItems(studyId)) {
    const sk = String(item.sk);
    const own = { pk: String(item.pk), sk };
    // The member's and the invitee's own partitions name the study too.
    if (sk.startsWith(MEMBER_PREFIX)) keys.push(memberOfKey(sk.slice(MEMBER_PREFIX.length), studyId), own);
    else if (sk.startsWith(INVITE_PREFIX)) keys.push(invitedToKey(sk.slice(INVITE_PREFIX.length), studyId), own);
    else if (sk.startsWith(WEEK_PREFIX)) keys.push(...(await attendanceKeysOf(studyId, Number(item.week))), own);
  }
  await batchDelete(keys);
}
