// DynamoDB access of invitations and membership changes: the owner invites, the invited account
// accepts (and only then is a participant), declines or leaves. Both sides of each link are written in
// one transaction, so the study's side and the account's own partition never disagree.
import { TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { accountExists } from '../accounts/index.ts';
import { dynamo } from '../shared/clients/dynamo.ts';
import { batchGet } from '../shared/dynamo/batch.ts';
import { firstFailedCondition, retryingConflictsOr409 } from '../shared/dynamo/conditional.ts';
import { queryAll, tableName } from '../shared/table.ts';
import {
  INVITED_TO_PREFIX,
  invitedToKey,
  inviteSk,
  memberOfKey,
  memberSk,
  STUDY_SK,
  studyPk,
  withTtl,
} from './study-keys.ts';
import type { StudyRecord } from './study-store.ts';

/** What the invited account sees before it agrees: which study, and what an absence would cost it. */
export interface Invitation {
  readonly studyId: string;
  readonly name: string;
  readonly absencePenalty: number;
  readonly invitedAt: string;
}

type TransactItems = NonNullable<TransactWriteCommandInput['TransactItems']>;

/**
 * Writes both sides of a link in one transaction: `done`, or the answer its first failed condition
 * stands for (`answers` in the order of the items). Any other failure is thrown.
 */
async function linkOrAnswer<R>(items: TransactItems, done: R, answers: readonly R[]): Promise<R> {
  try {
    await retryingConflictsOr409(() => dynamo.send(new TransactWriteCommand({ TransactItems: items })));
    return done;
  } catch (error) {
    const at = firstFailedCondition(error);
    const answer = at === undefined ? undefined : answers[at];
    if (answer === undefined) throw error;
    return answer;
  }
}

export type InviteResult = 'invited' | 'no-such-account' | 'no-such-study' | 'already-participant' | 'already-invited';

/** `ttl`: the earlier expiry of a demo invitee and a demo owner, on both sides of the invitation. */
export async function insertInvitation(
  study: StudyRecord,
  accountId: string,
  invitedAt: string,
  ttl?: number,
): Promise<InviteResult> {
  const studyKey = { pk: studyPk(study.studyId), sk: STUDY_SK };
  const invitation: Invitation = {
    studyId: study.studyId,
    name: study.name,
    absencePenalty: study.absencePenalty,
    invitedAt,
  };
  // The items stand in the order of the answers their failed conditions give.
  return linkOrAnswer(
    [
      accountExists(accountId),
      { ConditionCheck: { TableName: tableName, Key: studyKey, ConditionExpression: 'attribute_exists(pk)' } },
      {
        ConditionCheck: {
          TableName: tableName,
          Key: { pk: studyKey.pk, sk: memberSk(accountId) },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Put: {
          TableName: tableName,
          Item: {
            pk: studyKey.pk,
            sk: inviteSk(accountId),
            type: 'invitation',
            studyId: study.studyId,
            accountId,
            invitedAt,
            ...withTtl(ttl),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Put: {
          TableName: tableName,
          Item: { ...invitedToKey(accountId, study.studyId), ...invitation, ...withTtl(ttl) },
        },
      },
    ],
    'invited',
    ['no-such-account', 'no-such-study', 'already-participant', 'already-invited'],
  );
}

export type AcceptResult = 'joined' | 'no-such-study' | 'already-participant' | 'no-invitation';

/** Turns the invitation into a membership in one transaction; `ttl` as for the invitation. */
export async function acceptInvitation(
  studyId: string,
  accountId: string,
  joinedAt: string,
  ttl?: number,
): Promise<AcceptResult> {
  const pk = studyPk(studyId);
  return linkOrAnswer(
    [
      {
        ConditionCheck: {
          TableName: tableName,
          Key: { pk, sk: STUDY_SK },
          ConditionExpression: 'attribute_exists(pk)',
        },
      },
      {
        Put: {
          TableName: tableName,
          Item: {
            pk,
            sk: memberSk(accountId),
            type: 'participant',
            studyId,
            accountId,
            joinedAt,
            ...withTtl(ttl),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Delete: {
          TableName: tableName,
          Key: { pk, sk: inviteSk(accountId) },
          ConditionExpression: 'attribute_exists(pk)',
        },
      },
      { Delete: { TableName: tableName, Key: invitedToKey(accountId, studyId) } },
      { Put: { TableName: tableName, Item: { ...memberOfKey(accountId, studyId), studyId, ...withTtl(ttl) } } },
    ],
    'joined',
    ['no-such-study', 'already-participant', 'no-invitation'],
  );
}

/**
 * Whether the account is invited to, or takes part in, the study, as its own partition says. Its
 * MEMBER_OF# item is removed last when it leaves, so a leave cut short by a crash is still found.
 */
export async function standingIn(studyId: string, accountId: string): Promise<{ invited: boolean; member: boolean }> {
  const keys = [invitedToKey(accountId, studyId), memberOfKey(accountId, studyId)];
  const found = new Set((await batchGet(keys, { consistentRead: true })).map((item) => String(item.sk)));
  return { invited: found.has(keys[0]?.sk ?? ''), member: found.has(keys[1]?.sk ?? '') };
}

/** The account's open invitations, in study order (a key query on its own partition). */
export async function invitationsOf(accountId: string): Promise<Invitation[]> {
  const items = await queryAll({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :invited)',
    ExpressionAttributeValues: { ':pk': invitedToKey(accountId, '').pk, ':invited': INVITED_TO_PREFIX },
    ConsistentRead: true,
  });
  return items.map((i) => ({
    studyId: String(i.studyId),
    name: String(i.name),
    absencePenalty: Number(i.absencePenalty),
    invitedAt: String(i.invitedAt),
  }));
}
