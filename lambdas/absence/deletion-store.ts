// DynamoDB access for taking things apart: a study's partition, a study's weeks, a week's attendance
// rows, and a delete that may meet the batch's transaction. Used when an account leaves a study or is deleted.
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '../shared/clients/dynamo.ts';
import { retryingConflicts } from '../shared/dynamo/conditional.ts';
import { type Key, queryAll, tableName } from '../shared/table.ts';
import { attendancePk, studyPk, WEEK_PREFIX } from './study-keys.ts';

/** Everything of a study's partition (meta, invitations, participants, weeks), for deleting an owned study. */
export async function studyItems(studyId: string): Promise<Record<string, unknown>[]> {
  return queryAll({
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': studyPk(studyId) },
    ConsistentRead: true,
  });
}

/** The week numbers of a study (a key query on its WEEK# items). */
export async function weekNumbersOf(studyId: string): Promise<number[]> {
  const weeks: number[] = [];
  const found = await queryAll({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :week)',
    ExpressionAttributeValues: { ':pk': studyPk(studyId), ':week': WEEK_PREFIX },
    ProjectionExpression: 'sk',
    ConsistentRead: true,
  });
  for (const item of found) {
    const sk = String(item.sk);
    if (sk.startsWith(WEEK_PREFIX)) weeks.push(Number(sk.slice(WEEK_PREFIX.length)));
  }
  return weeks;
}

/** Keys of every attendance row of one week (its own partition). */
export async function attendanceKeysOf(studyId: string, week: number): Promise<Key[]> {
  const found = await queryAll({
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': attendancePk(studyId, week) },
    ProjectionExpression: 'pk, sk',
  });
  return found.map((item) => ({ pk: String(item.pk), sk: String(item.sk) }));
}

/** A delete may meet the batch's transaction on the same item (a membership, a row): it is retried. */
export async function deleteItem(key: Key): Promise<void> {
  await retryingConflicts(() =>
    dynamo.send(new DeleteCommand({ TableName: tableName, Key: { pk: key.pk, sk: key.sk } })),
  );
}
