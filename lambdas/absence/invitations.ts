// Use cases of invitations: nobody takes part in a study, or loses score to it, without having agreed.
// The owner invites; the invited account sees the study's name and penalty, then accepts, declines or
// later leaves.
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../shared/errors.ts';
import { toIso } from '../shared/time.ts';
import { acceptInvitation, insertInvitation, invitationsOf, standingIn } from './invitation-store.ts';
import { demoTtlOf, earliest } from './studies.ts';
import { dropInvitation, leaveStudy } from './study-deletion.ts';
import { findStudy, type StudyRecord } from './study-store.ts';

export type { Invitation } from './invitation-store.ts';

async function existingStudy(studyId: string): Promise<StudyRecord> {
  const study = await findStudy(studyId);
  if (!study) throw new NotFoundError('No such study');
  return study;
}

export async function invite(input: { studyId: string; callerId: string; accountId: string; now: number }) {
  const study = await existingStudy(input.studyId);
  if (study.ownerId !== input.callerId) throw new ForbiddenError('Only the owner of the study may invite');
  if (input.accountId === study.ownerId) {
    throw new ValidationError('The owner runs the study and does not take part in it', [
      { in: 'body', field: 'accountId', message: 'is the owner of the study' },
    ]);
  }
  const invitedAt = toIso(input.now);
  const ttl = earliest(study.ttl, await demoTtlOf(input.accountId));
  // The transaction checks again that the account and the study exist: either may be deleted in between.
  const result = await insertInvitation(study, input.accountId, invitedAt, ttl);
  if (result === 'no-such-account') throw new NotFoundError('No such account');
  if (result === 'no-such-study') throw new NotFoundError('No such study');
  if (result === 'already-participant') {
    throw new ConflictError('The account already takes part in this study', 'ALREADY_PARTICIPANT');
  }
  if (result === 'already-invited') throw new ConflictError('The account is invited already', 'ALREADY_INVITED');
  return { studyId: input.studyId, accountId: input.accountId, status: 'INVITED' as const, invitedAt };
}

export async function openInvitations(accountId: string) {
  return invitationsOf(accountId);
}

export async function accept(input: { studyId: string; accountId: string; demo: boolean; now: number }) {
  const study = await existingStudy(input.studyId);
  const joinedAt = toIso(input.now);
  const ttl = earliest(study.ttl, input.demo ? await demoTtlOf(input.accountId) : undefined);
  const result = await acceptInvitation(input.studyId, input.accountId, joinedAt, ttl);
  if (result === 'no-such-study') throw new NotFoundError('No such study');
  if (result === 'already-participant') {
    throw new ConflictError('You take part in this study already', 'ALREADY_PARTICIPANT');
  }
  if (result === 'no-invitation') throw new NotFoundError('You have no invitation to this study');
  return { studyId: input.studyId, accountId: input.accountId, status: 'JOINED' as const, joinedAt };
}

/** Declines an open invitation or leaves the study; weeks not yet judged no longer count for the account. */
export async function leaveOrDecline(input: { studyId: string; accountId: string }): Promise<void> {
  await existingStudy(input.studyId);
  const standing = await standingIn(input.studyId, input.accountId);
  if (!standing.invited && !standing.member) {
    throw new NotFoundError('You have no invitation to, and take no part in, this study');
  }
  if (standing.invited) await dropInvitation(input.studyId, input.accountId);
  if (standing.member) await leaveStudy(input.studyId, input.accountId);
}
