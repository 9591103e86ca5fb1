// Use cases of studies: creating them, their weeks, and attendance. Invitations are in invitations.ts.
import { demoExpiryOf } from '../accounts/index.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { toEpochSeconds, toIso } from '../shared/time.ts';
import { allParticipants, findStudy, insertStudy, isParticipant, type Study, type StudyRecord } from './study-store.ts';
import { findWeek, insertWeek, markAttendance, type Week, weekAttendance } from './week-store.ts';

export type { Study } from './study-store.ts';
export type { Week } from './week-store.ts';

/** A demo account's expiry as a TTL (epoch s): the backstop for what it owns, as for its alarms. */
export async function demoTtlOf(accountId: string): Promise<number | undefined> {
  const expiresAt = await demoExpiryOf(accountId);
  return expiresAt === undefined ? undefined : toEpochSeconds(expiresAt);
}

export const earliest = (a: number | undefined, b: number | undefined) =>
  a === undefined ? b : b === undefined ? a : Math.min(a, b);

export async function createStudy(input: {
  ownerId: string;
  ownerIsDemo: boolean;
  name: string;
  autoAttendance: boolean;
  absencePenalty: number;
  now: number;
}): Promise<Study> {
  const study: Study = {
    studyId: newId(input.now),
    name: input.name,
    ownerId: input.ownerId,
    autoAttendance: input.autoAttendance,
    absencePenalty: input.absencePenalty,
    createdAt: toIso(input.now),
  };
  await insertStudy(study, input.ownerIsDemo ? await demoTtlOf(input.ownerId) : undefined);
  return study;
}

async function studyOwnedBy(studyId: string, accountId: string): Promise<StudyRecord> {
  const study = await findStudy(studyId);
  if (!study) throw new NotFoundError('No such study');
  if (study.ownerId !== accountId) throw new ForbiddenError('Only the owner of the study may do this');
  return study;
}

/** A week that has ended can no longer be added: nobody could have attended it, everybody would be absent. */
export async function addWeek(input: { callerId: string; week: Week; now: number }): Promise<Week> {
  const study = await studyOwnedBy(input.week.studyId, input.callerId);
  if (Date.parse(input.week.endsAt) <= input.now) {
    throw new ValidationError('A week must end in the future', [
      { in: 'body', field: 'endsAt', message: 'must be in the future' },
    ]);
  }
  if (!(await insertWeek(input.week, study, toIso(input.now))))
    throw new ConflictError(`Week ${input.week.week} exists already`, 'WEEK_EXISTS');
  return input.week;
}

async function existingWeek(studyId: string, week: number): Promise<Week> {
  const found = await findWeek(studyId, week);
  if (!found) throw new NotFoundError('No such week');
  return found;
}

export async function attend(input: { studyId: string; week: number; accountId: string; now: number }) {
  const study = await findStudy(input.studyId);
  if (!study) throw new NotFoundError('No such study');
  if (!(await isParticipant(input.studyId, input.accountId))) {
    throw new ForbiddenError('Only a participant of the study may mark attendance');
  }
  await existingWeek(input.studyId, input.week);
  if (!(await markAttendance(input.studyId, input.week, input.accountId, toIso(input.now)))) {
    throw new ConflictError('This week is already marked as an absence', 'ALREADY_ABSENT');
  }
  return { studyId: input.studyId, week: input.week, accountId: input.accountId, status: 'ATTENDANCE' as const };
}

export async function attendanceOf(input: { studyId: string; week: number; callerId: string }) {
  const study = await findStudy(input.studyId);
  if (!study) throw new NotFoundError('No such study');
  if (study.ownerId !== input.callerId && !(await isParticipant(input.studyId, input.callerId))) {
    throw new ForbiddenError('Only the owner or a participant may see attendance');
  }
  await existingWeek(input.studyId, input.week);
  const [participants, rows] = await Promise.all([
    allParticipants(input.studyId),
    weekAttendance(input.studyId, input.week),
  ]);
  return participants.map((accountId) => ({ accountId, status: rows.get(accountId)?.status ?? ('PENDING' as const) }));
}
