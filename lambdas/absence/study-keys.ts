// The keys of the absence capability's items, in one place: every store file of this folder builds its
// keys here, and on-account-deleted.ts reads them back when an account is deleted.
import { TABLE } from '../../lib/definitions.ts';
import { accountPk } from '../shared/table.ts';
import { toEpochSeconds } from '../shared/time.ts';

export const studyPk = (studyId: string) => `STUDY#${studyId}`;
export const STUDY_SK = 'META';
/** A participant (joined): the batch pages through these, so invitations are kept out of them. */
export const memberSk = (accountId: string) => `MEMBER#${accountId}`;
export const MEMBER_PREFIX = 'MEMBER#';
/** An open invitation, on the study's side. */
export const inviteSk = (accountId: string) => `INVITE#${accountId}`;
export const INVITE_PREFIX = 'INVITE#';
export const weekSk = (week: number) => `WEEK#${String(week).padStart(6, '0')}`;
export const WEEK_PREFIX = 'WEEK#';
/** Each week's attendance has its own partition: reading a week reads only that week. */
export const attendancePk = (studyId: string, week: number) => `${studyPk(studyId)}#${weekSk(week)}`;

/** The account's own partition names what it owns, joined and was invited to, so deleting it finds them. */
export const ownsKey = (ownerId: string, studyId: string) => ({ pk: accountPk(ownerId), sk: `OWNS#${studyId}` });
export const memberOfKey = (accountId: string, studyId: string) => ({
  pk: accountPk(accountId),
  sk: `MEMBER_OF#${studyId}`,
});
export const invitedToKey = (accountId: string, studyId: string) => ({
  pk: accountPk(accountId),
  sk: `INVITED_TO#${studyId}`,
});
export const OWNS_PREFIX = 'OWNS#';
export const MEMBER_OF_PREFIX = 'MEMBER_OF#';
export const INVITED_TO_PREFIX = 'INVITED_TO#';

export const runKey = (runId: string) => ({ pk: `RUN#${runId}`, sk: 'RUN' });
export const chunkKey = (runId: string, chunkId: string) => ({ pk: runKey(runId).pk, sk: `CHUNK#${chunkId}` });

/**
 * Runs and their chunk records expire 30 days after they are written: well past the queue's 14-day
 * retention, so no message can be redelivered after the record that makes it harmless is gone.
 */
export const RUN_RECORD_DAYS = 30;
export const runTtl = (fromIso: string) => toEpochSeconds(Date.parse(fromIso) + RUN_RECORD_DAYS * 86_400_000);

/** A demo account's items carry its expiry as `ttl`, the backstop of their deletion. */
export const withTtl = (ttl: number | undefined) => (ttl === undefined ? {} : { [TABLE.ttlAttribute]: ttl });
