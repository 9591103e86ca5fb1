// DynamoDB access of studies, participants, weeks, attendance and absence runs. Key queries and one
// index query only; nothing here scans.
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { TABLE } from '../../lib/definitions.ts';
import { dynamo } from '../shared/clients.ts';
import { isConditionFailure, isTransactionConditionFailure } from '../shared/errors.ts';
import { accountPk, tableName } from '../shared/table.ts';
import { dayBucket, dayBucketsOf, type Window } from './absence-window.ts';

export interface Study {
  readonly studyId: string;
  readonly name: string;
  readonly ownerId: string;
  readonly autoAttendance: boolean;
  readonly absencePenalty: number;
  readonly createdAt: string;
}

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

export type RunStatus = 'RUNNING' | 'DONE' | 'FAILED';

export interface AbsenceRun {
  readonly runId: string;
  readonly status: RunStatus;
  readonly at: string;
  readonly trigger: string;
  readonly weeks: number;
  readonly absences: number;
  readonly planned: boolean;
  readonly expectedChunks: number;
  readonly doneChunks: number;
  readonly createdAt: string;
  readonly finishedAt?: string;
}

const studyPk = (studyId: string) => `STUDY#${studyId}`;
const META = 'META';
const memberSk = (accountId: string) => `MEMBER#${accountId}`;
const weekSk = (week: number) => `WEEK#${String(week).padStart(6, '0')}`;
/** Each week's attendance has its own partition: reading a week reads only that week. */
const attendancePk = (studyId: string, week: number) => `${studyPk(studyId)}#${weekSk(week)}`;
const runKey = (runId: string) => ({ pk: `RUN#${runId}`, sk: 'RUN' });

const { partitionKey: WEEK_END_PK, sortKey: WEEK_END_AT } = TABLE.indexes.weekEnd;

export async function insertStudy(study: Study): Promise<void> {
  await dynamo.send(
    new TransactWriteCommand({
      TransactItems: [
        {
          Put: {
            TableName: tableName,
            Item: { pk: studyPk(study.studyId), sk: META, type: 'study', ...study },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        // The owner's partition names the study, so deleting the owner finds it.
        { Put: { TableName: tableName, Item: { pk: accountPk(study.ownerId), sk: `OWNS#${study.studyId}`, studyId: study.studyId } } },
      ],
    }),
  );
}

export async function findStudy(studyId: string): Promise<Study | undefined> {
  const out = await dynamo.send(new GetCommand({ TableName: tableName, Key: { pk: studyPk(studyId), sk: META }, ConsistentRead: true }));
  if (!out.Item) return undefined;
  const { name, ownerId, autoAttendance, absencePenalty, createdAt } = out.Item as Study;
  return { studyId, name, ownerId, autoAttendance, absencePenalty, createdAt };
}

export async function isParticipant(studyId: string, accountId: string): Promise<boolean> {
  const out = await dynamo.send(
    new GetCommand({ TableName: tableName, Key: { pk: studyPk(studyId), sk: memberSk(accountId) }, ConsistentRead: true }),
  );
  return out.Item !== undefined;
}

export type AddParticipantResult = 'added' | 'already-participant' | 'no-such-account';

export async function insertParticipant(studyId: string, accountId: string, joinedAt: string): Promise<AddParticipantResult> {
  try {
    await dynamo.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            ConditionCheck: {
              TableName: tableName,
              Key: { pk: accountPk(accountId), sk: 'PROFILE' },
              ConditionExpression: 'attribute_exists(pk)',
            },
          },
          {
            Put: {
              TableName: tableName,
              Item: { pk: studyPk(studyId), sk: memberSk(accountId), type: 'participant', studyId, accountId, joinedAt },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          { Put: { TableName: tableName, Item: { pk: accountPk(accountId), sk: `MEMBER_OF#${studyId}`, studyId } } },
        ],
      }),
    );
    return 'added';
  } catch (error) {
    const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
    if (!isTransactionConditionFailure(error) || !reasons) throw error;
    return reasons[0]?.Code === 'ConditionalCheckFailed' ? 'no-such-account' : 'already-participant';
  }
}

/** One page of a study's participants, in account-id order. */
export async function participantsPage(
  studyId: string,
  limit: number,
  startAfter?: string,
): Promise<{ accountIds: string[]; next?: string }> {
  const out = await dynamo.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :member)',
      ExpressionAttributeValues: { ':pk': studyPk(studyId), ':member': 'MEMBER#' },
      ProjectionExpression: 'accountId',
      Limit: limit,
      ConsistentRead: true,
      ...(startAfter ? { ExclusiveStartKey: { pk: studyPk(studyId), sk: memberSk(startAfter) } } : {}),
    }),
  );
  const accountIds = (out.Items ?? []).map((i) => i.accountId as string);
  const last = accountIds.at(-1);
  return out.LastEvaluatedKey && last ? { accountIds, next: last } : { accountIds };
}

export async function allParticipants(studyId: string): Promise<string[]> {
  const ids: string[] = [];
  let next: string | undefined;
  do {
    const page = await participantsPage(studyId, 1000, next);
    ids.push(...page.accountIds);
    next = page.next;
  } while (next);
  return ids;
}

export async function insertWeek(week: Week, study: Study): Promise<boolean> {
  const endsAtMs = Date.parse(week.endsAt);
  // Only weeks of auto-attendance studies enter the index the nightly run reads (a sparse index).
  const indexed = study.autoAttendance ? { [WEEK_END_PK]: `WEEKEND#${dayBucket(endsAtMs)}` } : {};
  try {
    await dynamo.send(
      new PutCommand({
        TableName: tableName,
        Item: { pk: studyPk(week.studyId), sk: weekSk(week.week), type: 'week', ...week, [WEEK_END_AT]: week.endsAt, ...indexed },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

export async function findWeek(studyId: string, week: number): Promise<Week | undefined> {
  const out = await dynamo.send(
    new GetCommand({ TableName: tableName, Key: { pk: studyPk(studyId), sk: weekSk(week) }, ConsistentRead: true }),
  );
  if (!out.Item) return undefined;
  const { startsAt, endsAt } = out.Item as Week;
  return { studyId, week, startsAt, endsAt };
}

/** Weeks of auto-attendance studies whose endsAt lies in the window: one index query per UTC day. */
export async function weeksEndingIn(window: Window): Promise<Week[]> {
  const weeks: Week[] = [];
  for (const day of dayBucketsOf(window)) {
    let start: Record<string, unknown> | undefined;
    do {
      const out = await dynamo.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: TABLE.indexes.weekEnd.name,
          KeyConditionExpression: '#pk = :day AND #end BETWEEN :from AND :to',
          ExpressionAttributeNames: { '#pk': WEEK_END_PK, '#end': WEEK_END_AT },
          ExpressionAttributeValues: {
            ':day': `WEEKEND#${day}`,
            ':from': new Date(window.from).toISOString(),
            ':to': new Date(window.to).toISOString(),
          },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) {
        const w = item as Week;
        weeks.push({ studyId: w.studyId, week: w.week, startsAt: w.startsAt, endsAt: w.endsAt });
      }
      start = out.LastEvaluatedKey;
    } while (start);
  }
  return weeks;
}

export async function attendanceRows(studyId: string, week: number, accountIds: readonly string[]): Promise<Map<string, AttendanceRow>> {
  const rows = new Map<string, AttendanceRow>();
  for (let i = 0; i < accountIds.length; i += 100) {
    let keys: Record<string, unknown>[] | undefined = accountIds
      .slice(i, i + 100)
      .map((id) => ({ pk: attendancePk(studyId, week), sk: memberSk(id) }));
    while (keys && keys.length > 0) {
      const out: BatchGetCommandOutput = await dynamo.send(
        new BatchGetCommand({ RequestItems: { [tableName]: { Keys: keys, ConsistentRead: true } } }),
      );
      for (const item of out.Responses?.[tableName] ?? []) {
        const row = item as AttendanceRow;
        rows.set(row.accountId, { accountId: row.accountId, status: row.status, ...(row.runId ? { runId: row.runId } : {}) });
      }
      keys = out.UnprocessedKeys?.[tableName]?.Keys;
    }
  }
  return rows;
}

export async function weekAttendance(studyId: string, week: number): Promise<Map<string, AttendanceRow>> {
  const rows = new Map<string, AttendanceRow>();
  let start: Record<string, unknown> | undefined;
  do {
    const out = await dynamo.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': attendancePk(studyId, week) },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    for (const item of out.Items ?? []) rows.set(item.accountId as string, item as AttendanceRow);
    start = out.LastEvaluatedKey;
  } while (start);
  return rows;
}

/** ATTENDANCE, unless the participant was already marked absent. Repeating it is fine. */
export async function markAttendance(studyId: string, week: number, accountId: string, at: string): Promise<boolean> {
  try {
    await dynamo.send(
      new PutCommand({
        TableName: tableName,
        Item: { pk: attendancePk(studyId, week), sk: memberSk(accountId), accountId, status: 'ATTENDANCE', markedAt: at },
        ConditionExpression: 'attribute_not_exists(pk) OR #status = :attendance',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':attendance': 'ATTENDANCE' },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/**
 * The exactly-once effect: the participant becomes ABSENCE and loses the penalty together, and only if
 * nobody marked them yet. False when the condition did not hold (already marked, or account gone).
 */
export async function markAbsent(
  input: { studyId: string; week: number; accountId: string; penalty: number; runId: string; at: string },
): Promise<boolean> {
  try {
    await dynamo.send(
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
          {
            Update: {
              TableName: tableName,
              Key: { pk: accountPk(input.accountId), sk: 'PROFILE' },
              UpdateExpression: 'SET score = score - :penalty',
              ConditionExpression: 'attribute_exists(pk)',
              ExpressionAttributeValues: { ':penalty': input.penalty },
            },
          },
        ],
      }),
    );
    return true;
  } catch (error) {
    if (isTransactionConditionFailure(error)) return false;
    throw error;
  }
}

export async function insertRun(run: AbsenceRun): Promise<boolean> {
  try {
    await dynamo.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...runKey(run.runId), type: 'absence-run', ...run },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

export async function findRun(runId: string): Promise<AbsenceRun | undefined> {
  const out = await dynamo.send(new GetCommand({ TableName: tableName, Key: runKey(runId), ConsistentRead: true }));
  return out.Item as AbsenceRun | undefined;
}

export async function deleteRun(runId: string): Promise<void> {
  await dynamo.send(new DeleteCommand({ TableName: tableName, Key: runKey(runId) }));
}

/** Records how many weeks (= first chunks) the run has, once. */
export async function planRun(runId: string, weeks: number, now: string): Promise<void> {
  try {
    await dynamo.send(
      new UpdateCommand({
        TableName: tableName,
        Key: runKey(runId),
        UpdateExpression:
          weeks === 0
            ? 'SET planned = :true, weeks = :n, expectedChunks = :n, #status = :done, finishedAt = :now'
            : 'SET planned = :true, weeks = :n, expectedChunks = :n',
        ConditionExpression: 'attribute_exists(pk) AND planned = :false',
        ExpressionAttributeNames: weeks === 0 ? { '#status': 'status' } : undefined,
        ExpressionAttributeValues: {
          ':true': true,
          ':false': false,
          ':n': weeks,
          ...(weeks === 0 ? { ':done': 'DONE', ':now': now } : {}),
        },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

/**
 * Adds one chunk's result to its run exactly once: the chunk record and the run's counters change in one
 * transaction, and the chunk record may only be written once. A chunk that found another page adds it to
 * the chunks the run expects, in the same transaction.
 */
export async function recordChunk(input: {
  runId: string;
  chunkId: string;
  absences: number;
  morePages: boolean;
}): Promise<boolean> {
  try {
    await dynamo.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: tableName,
              Item: { pk: runKey(input.runId).pk, sk: `CHUNK#${input.chunkId}`, absences: input.absences },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Update: {
              TableName: tableName,
              Key: runKey(input.runId),
              UpdateExpression: 'ADD absences :a, doneChunks :one, expectedChunks :more',
              ConditionExpression: 'attribute_exists(pk)',
              ExpressionAttributeValues: { ':a': input.absences, ':one': 1, ':more': input.morePages ? 1 : 0 },
            },
          },
        ],
      }),
    );
    return true;
  } catch (error) {
    if (isTransactionConditionFailure(error)) return false;
    throw error;
  }
}

/** DONE once every expected chunk is recorded (planned first, so an early chunk can't finish the run). */
export async function finishRunIfComplete(runId: string, now: string): Promise<void> {
  try {
    await dynamo.send(
      new UpdateCommand({
        TableName: tableName,
        Key: runKey(runId),
        UpdateExpression: 'SET #status = :done, finishedAt = :now',
        ConditionExpression: '#status = :running AND planned = :true AND doneChunks = expectedChunks',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':done': 'DONE', ':running': 'RUNNING', ':true': true, ':now': now },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

export async function failRun(runId: string, now: string): Promise<void> {
  try {
    await dynamo.send(
      new UpdateCommand({
        TableName: tableName,
        Key: runKey(runId),
        UpdateExpression: 'SET #status = :failed, finishedAt = :now',
        ConditionExpression: '#status = :running',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':failed': 'FAILED', ':running': 'RUNNING', ':now': now },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

/** Everything of a study's partition (meta, participants, weeks), for deleting an owned study. */
export async function studyItems(studyId: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await dynamo.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': studyPk(studyId) },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

export async function deleteKeys(keys: readonly { pk: unknown; sk: unknown }[]): Promise<void> {
  for (const key of keys) await dynamo.send(new DeleteCommand({ TableName: tableName, Key: { pk: key.pk, sk: key.sk } }));
}

export const keysOf = { studyPk, memberSk, attendancePk };
