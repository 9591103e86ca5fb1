// DynamoDB access of studies and their participants (joined accounts). Invitations and membership
// changes are in invitation-store.ts; weeks and attendance in week-store.ts; runs in run-store.ts.
import { GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '../shared/clients/dynamo.ts';
import { retryingConflictsOr409 } from '../shared/dynamo/conditional.ts';
import { tableName } from '../shared/table.ts';
import { MEMBER_PREFIX, memberSk, ownsKey, STUDY_SK, studyPk, withTtl } from './study-keys.ts';

export interface Study {
  readonly studyId: string;
  readonly name: string;
  readonly ownerId: string;
  readonly autoAttendance: boolean;
  readonly absencePenalty: number;
  readonly createdAt: string;
}

/** The study as stored: `ttl` (epoch s) when its owner is a demo account, copied onto its weeks. */
export interface StudyRecord extends Study {
  readonly ttl?: number;
}

/** An account that accepted its invitation, and when: it is judged only for weeks that end after that. */
export interface Participant {
  readonly accountId: string;
  /** Absent only on a membership written without one: no proof of consent, so never judged. */
  readonly joinedAt?: string;
}

export async function insertStudy(study: Study, ttl?: number): Promise<void> {
  await retryingConflictsOr409(() =>
    dynamo.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: tableName,
              Item: { pk: studyPk(study.studyId), sk: STUDY_SK, type: 'study', ...study, ...withTtl(ttl) },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          // The owner's partition names the study, so deleting the owner finds it.
          {
            Put: {
              TableName: tableName,
              Item: { ...ownsKey(study.ownerId, study.studyId), studyId: study.studyId, ...withTtl(ttl) },
            },
          },
        ],
      }),
    ),
  );
}

export async function findStudy(studyId: string): Promise<StudyRecord | undefined> {
  const out = await dynamo.send(
    new GetCommand({ TableName: tableName, Key: { pk: studyPk(studyId), sk: STUDY_SK }, ConsistentRead: true }),
  );
  if (!out.Item) return undefined;
  const { name, ownerId, autoAttendance, absencePenalty, createdAt, ttl } = out.Item as StudyRecord;
  return { studyId, name, ownerId, autoAttendance, absencePenalty, createdAt, ...(ttl === undefined ? {} : { ttl }) };
}

export async function isParticipant(studyId: string, accountId: string): Promise<boolean> {
  const out = await dynamo.send(
    new GetCommand({
      TableName: tableName,
      Key: { pk: studyPk(studyId), sk: memberSk(accountId) },
      ConsistentRead: true,
    }),
  );
  return out.Item !== undefined;
}

const toParticipant = (item: Record<string, unknown>): Participant => ({
  accountId: String(item.accountId),
  ...(typeof item.joinedAt === 'string' ? { joinedAt: item.joinedAt } : {}),
});

/** One page of a study's participants, in account-id order; `next` is where the following page starts. */
export async function participantsPage(
  studyId: string,
  limit: number,
  startAfter?: string,
): Promise<{ participants: Participant[]; next?: string }> {
  const out = await dynamo.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :member)',
      ExpressionAttributeValues: { ':pk': studyPk(studyId), ':member': MEMBER_PREFIX },
      ProjectionExpression: 'accountId, joinedAt',
      Limit: limit,
      ConsistentRead: true,
      ...(startAfter ? { ExclusiveStartKey: { pk: studyPk(studyId), sk: memberSk(startAfter) } } : {}),
    }),
  );
  const participants = (out.Items ?? []).map(toParticipant);
  const last = participants.at(-1)?.accountId;
  return out.LastEvaluatedKey && last ? { participants, next: last } : { participants };
}

/**
 * The participants after `startAfter` up to and including `upTo` (to the end when absent): a page as an
 * earlier delivery bounded it, however many joined or left since.
 */
export async function participantsBetween(
  studyId: string,
  limit: number,
  startAfter?: string,
  upTo?: string,
): Promise<Participant[]> {
  const found: Participant[] = [];
  let after = startAfter;
  for (;;) {
    const page = await participantsPage(studyId, limit, after);
    found.push(...page.participants.filter((p) => upTo === undefined || p.accountId <= upTo));
    const last = page.participants.at(-1)?.accountId;
    if (!page.next || last === undefined || (upTo !== undefined && last >= upTo)) return found;
    after = page.next;
  }
}

export async function allParticipants(studyId: string): Promise<string[]> {
  const ids: string[] = [];
  let next: string | undefined;
  do {
    const page = await participantsPage(studyId, 1000, next);
    ids.push(...page.participants.map((p) => p.accountId));
    next = page.next;
  } while (next);
  return ids;
}
