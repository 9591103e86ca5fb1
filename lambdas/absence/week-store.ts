// DynamoDB access of weeks and attendance, and the batch's exactly-once effect (markAbsent).
import { GetCommand, PutCommand, type PutCommandInput, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE } from '../../lib/definitions.ts';
import { scorePenalty } from '../accounts/index.ts';
import { dynamo } from '../shared/clients/dynamo.ts';
import { batchGet } from '../shared/dynamo/batch.ts';
import { conditionHeld, retryingConflicts, retryingConflictsOr409 } from '../shared/dynamo/conditional.ts';
import { queryAll, tableName } from '../shared/table.ts';
import { dayBucket, dayBucketsOf, type Window } from './absence-window.ts';
import { attendancePk, memberSk, studyPk, weekSk, withTtl } from './study-keys.ts';
import type { StudyRecord } from './study-store.ts';

export interface Week {
  readonly studyId: string;
  readonly week: number;
  readonly startsAt: string;
  readonly endsAt: string;
}

export type AttendanceStatus = 'ATTENDANCE' | 'ABSENCE';

export interface AttendanceRow {
  readonly accountId: string;
  readonly status: AttendanceStatus;
  /** The run that marked an ABSENCE. */
  readonly runId?: string;
}

/** A conditional put from the API: false when its condition did not hold, 409 if it keeps meeting transactions. */
const putFromApi = (put: Omit<PutCommandInput, 'TableName'>): Promise<boolean> =>
  conditionHeld(() => retryingConflictsOr409(() => dynamo.send(new PutCommand({ TableName: tableName, ...put }))));

const { partitionKey: WEEK_END_PK, sortKey: WEEK_END_AT } = TABLE.indexes.weekEnd;

/** `createdAt` lets a run leave out weeks added after it began, so a redelivered run fans out the same weeks. */
export async function insertWeek(week: Week, study: StudyRecord, createdAt: string): Promise<boolean> {
  const endsAtMs = Date.parse(week.endsAt);
  // Only weeks of auto-attendance studies enter the index the nightly run reads (a sparse index).
  const indexed = study.autoAttendance ? { [WEEK_END_PK]: `WEEKEND#${dayBucket(endsAtMs)}` } : {};
  return putFromApi({
    Item: {
      pk: studyPk(week.studyId),
      sk: weekSk(week.week),
      type: 'week',
      ...week,
      [WEEK_END_AT]: week.endsAt,
      createdAt,
      ...indexed,
      ...withTtl(study.ttl),
    },
    ConditionExpression: 'attribute_not_exists(pk)',
  });
}

export async function findWeek(studyId: string, week: number): Promise<Week | undefined> {
  const out = await dynamo.send(
    new GetCommand({ TableName: tableName, Key: { pk: studyPk(studyId), sk: weekSk(week) }, ConsistentRead: true }),
  );
  if (!out.Item) return undefined;
  const { startsAt, endsAt } = out.Item as Week;
  return { studyId, week, startsAt, endsAt };
}

/**
 * Weeks of auto-attendance studies whose endsAt lies in the window: one index query per UTC day (a key
 * condition with a sort-key range). Weeks added after `createdUpTo` are left out (a filter on the
 * index's items), so every delivery of the same run message finds the same weeks.
 */
export async function weeksEndingIn(window: Window, createdUpTo: string): Promise<Week[]> {
  const weeks: Week[] = [];
  for (const day of dayBucketsOf(window)) {
    const found = await queryAll({
      IndexName: TABLE.indexes.weekEnd.name,
      KeyConditionExpression: '#pk = :day AND #end BETWEEN :from AND :to',
      FilterExpression: 'attribute_not_exists(#created) OR #created <= :createdUpTo',
      ExpressionAttributeNames: { '#pk': WEEK_END_PK, '#end': WEEK_END_AT, '#created': 'createdAt' },
      ExpressionAttributeValues: {
        ':day': `WEEKEND#${day}`,
        ':from': new Date(window.from).toISOString(),
        ':to': new Date(window.to).toISOString(),
        ':createdUpTo': createdUpTo,
      },
    });
    for (const item of found) {
      const w = item as Week;
      weeks.push({ studyId: w.studyId, week: w.week, startsAt: w.startsAt, endsAt: w.endsAt });
    }
  }
  return weeks;
}

export async function attendanceRows(
  studyId: string,
  week: number,
  accountIds: readonly string[],
): Promise<Map<string, AttendanceRow>> {
  const keys = accountIds.map((id) => ({ pk: attendancePk(studyId, week), sk: memberSk(id) }));
  const rows = new Map<string, AttendanceRow>();
  for (const item of await batchGet(keys, { consistentRead: true })) {
    const row = item as AttendanceRow;
    rows.set(row.accountId, {
      accountId: row.accountId,
      status: row.status,
      ...(row.runId ? { runId: row.runId } : {}),
    });
  }
  return rows;
}

export async function weekAttendance(studyId: string, week: number): Promise<Map<string, AttendanceRow>> {
  const rows = new Map<string, AttendanceRow>();
  const found = await queryAll({
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': attendancePk(studyId, week) },
    ConsistentRead: true,
  });
  for (const item of found) rows.set(item.accountId as string, item as AttendanceRow);
  return rows;
}

/**
 * ATTENDANCE, unless the participant was already marked absent. Repeating it is fine. A mark that meets
 * the batch's transaction on the same row is retried: the retry finds the absence (false) or no row.
 */
export async function markAttendance(studyId: string, week: number, accountId: string, at: string): Promise<boolean> {
  return putFromApi({
    Item: {
      pk: attendancePk(studyId, week),
      sk: memberSk(accountId),
      accountId,
      status: 'ATTENDANCE',
      markedAt: at,
    },
    ConditionExpression: 'attribute_not_exists(pk) OR #status = :attendance',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':attendance': 'ATTENDANCE' },
  });
}

/**
 * The exactly-once effect: the participant becomes ABSENCE and loses the penalty together, only if
 * nobody marked them yet and only if they joined before the week ended (checked on their membership in
 * the same transaction, so one who joins, leaves or rejoins while a chunk runs is judged by what holds
 * at that instant, never half). False when a condition did not hold (already marked, joined too late or
 * left, account gone).
 */
export async function markAbsent(input: {
  studyId: string;
  week: number;
  endsAt: string;
  accountId: string;
  penalty: number;
  runId: string;
  at: string;
}): Promise<boolean> {
  return conditionHeld(() =>
    retryingConflicts(() =>
      dynamo.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: tableName,
                Item: {
                  pk: attendancePk(input.studyId, input.week),
                  sk: memberSk(input.accountId),
                  accountId: input.accountId,
                  status: 'ABSENCE',
                  runId: input.runId,
                  markedAt: input.at,
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            scorePenalty(input.accountId, input.penalty),
            {
              ConditionCheck: {
                TableName: tableName,
                Key: { pk: studyPk(input.studyId), sk: memberSk(input.accountId) },
                ConditionExpression: 'joinedAt < :endsAt',
                ExpressionAttributeValues: { ':endsAt': input.endsAt },
              },
            },
          ],
        }),
      ),
    ),
  );
}
