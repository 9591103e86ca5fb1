// DynamoDB access of studies, participants, weeks, attendance and absence runs. Key queries and one
// index query only; nothing here scans.
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  BatchWriteCommand,
  type BatchWriteCommandOutput,
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
import { accountPk, type Key, queryAll, tableName } from '../shared/table.ts';
import { toEpochSeconds } from '../shared/time.ts';
import { dayBucket, dayBucketsOf, type Window } from './absence-window.ts';
import { inParallel, sleep } from './in-parallel.ts';

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
/**
 * Runs and their chunk records expire 30 days after they are written: well past the queue's 14-day
 * retention, so no message can be redelivered after the record that makes it harmless is gone.
 */
export const RUN_RECORD_DAYS = 30;
const runTtl = (fromIso: string) => toEpochSeconds(Date.parse(fromIso) + RUN_RECORD_DAYS * 86_400_000);

const { partitionKey: WEEK_END_PK, sortKey: WEEK_END_AT } = TABLE.indexes.weekEnd;
const withTtl = (ttl: number | undefined) => (ttl === undefined ? {} : { [TABLE.ttlAttribute]: ttl });

/** Two writers on one item at the same moment: DynamoDB refuses one of them rather than queue it. */
export function isTransactionConflict(error: unknown): boolean {
  const e = error as { name?: string; CancellationReasons?: { Code?: string }[] } | undefined;
  if (e?.name === 'TransactionConflictException') return true;
  return (
    e?.name === 'TransactionCanceledException' &&
    (e.CancellationReasons ?? []).some((r) => r.Code === 'TransactionConflict')
  );
}

const CONFLICT_ATTEMPTS = 8;

/**
 * Retries a write that lost a conflict (the SDK does not: TransactionCanceledException is not retryable
 * to it). Safe because every write here is conditional: the retry meets the winner's result and its
 * condition decides. Concurrent runs conflict on the same absentee, every chunk on its run's record.
 */
async function retryingConflicts<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (!isTransactionConflict(error) || attempt >= CONFLICT_ATTEMPTS) throw error;
      await sleep(Math.random() * Math.min(1_000, 10 * 2 ** attempt));
    }
  }
}

export async function insertStudy(study: Study, ttl?: number): Promise<void> {
  await dynamo.send(
    new TransactWriteCommand({
      TransactItems: [
        {
          Put: {
            TableName: tableName,
            Item: { pk: studyPk(study.studyId), sk: META, type: 'study', ...study, ...withTtl(ttl) },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        // The owner's partition names the study, so deleting the owner finds it.
        {
          Put: {
            TableName: tableName,
            Item: {
              pk: accountPk(study.ownerId),
              sk: `OWNS#${study.studyId}`,
              studyId: study.studyId,
              ...withTtl(ttl),
            },
          },
        },
      ],
    }),
  );
}

export async function findStudy(studyId: string): Promise<StudyRecord | undefined> {
  const out = await dynamo.send(
    new GetCommand({ TableName: tableName, Key: { pk: studyPk(studyId), sk: META }, ConsistentRead: true }),
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

export type AddParticipantResult = 'added' | 'already-participant' | 'no-such-account';

/** `ttl`: the earlier expiry of a demo participant and a demo owner, on both sides of the membership. */
export async function insertParticipant(
  studyId: string,
  accountId: string,
  joinedAt: string,
  ttl?: number,
): Promise<AddParticipantResult> {
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
              Item: {
                pk: studyPk(studyId),
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
            Put: {
              TableName: tableName,
              Item: { pk: accountPk(accountId), sk: `MEMBER_OF#${studyId}`, studyId, ...withTtl(ttl) },
            },
          },
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

/** One page of a study's participants, in account-id order; `next` is where the following page starts. */
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

/**
 * The participants after `startAfter` up to and including `upTo` (to the end when absent): a page as an
 * earlier delivery bounded it, however many joined or left since.
 */
export async function participantsBetween(
  studyId: string,
  limit: number,
  startAfter?: string,
  upTo?: string,
): Promise<string[]> {
  const ids: string[] = [];
  let after = startAfter;
  for (;;) {
    const page = await participantsPage(studyId, limit, after);
    ids.push(...page.accountIds.filter((id) => upTo === undefined || id <= upTo));
    const last = page.accountIds.at(-1);
    if (!page.next || last === undefined || (upTo !== undefined && last >= upTo)) return ids;
    after = page.next;
  }
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

/** `createdAt` lets a run leave out weeks added after it began, so a redelivered run fans out the same weeks. */
export async function insertWeek(week: Week, study: StudyRecord, createdAt: string): Promise<boolean> {
  const endsAtMs = Date.parse(week.endsAt);
  // Only weeks of auto-attendance studies enter the index the nightly run reads (a sparse index).
  const indexed = study.autoAttendance ? { [WEEK_END_PK]: `WEEKEND#${dayBucket(endsAtMs)}` } : {};
  try {
    await dynamo.send(
      new PutCommand({
        TableName: tableName,
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
        rows.set(row.accountId, {
          accountId: row.accountId,
          status: row.status,
          ...(row.runId ? { runId: row.runId } : {}),
        });
      }
      keys = out.UnprocessedKeys?.[tableName]?.Keys;
    }
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

/** ATTENDANCE, unless the participant was already marked absent. Repeating it is fine. */
export async function markAttendance(studyId: string, week: number, accountId: string, at: string): Promise<boolean> {
  try {
    await dynamo.send(
      new PutCommand({
        TableName: tableName,
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
export async function markAbsent(input: {
  studyId: string;
  week: number;
  accountId: string;
  penalty: number;
  runId: string;
  at: string;
}): Promise<boolean> {
  try {
    await retryingConflicts(() =>
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
      ),
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
        Item: { ...runKey(run.runId), type: 'absence-run', ...run, ...withTtl(runTtl(run.createdAt)) },
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
    await retryingConflicts(() =>
      dynamo.send(
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
      ),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

export type ChunkState = 'OPEN' | 'DONE';

/**
 * Opens a chunk of a run, once. The first delivery writes the chunk's record with the page after it
 * (if it found one) and, in the same transaction, adds that page to the chunks the run expects, so the
 * run cannot be DONE before that page is recorded too. A later delivery of the same chunk gets the
 * first delivery's decision back instead, so it sends the same next page and the run expects it once.
 */
export async function openChunk(input: {
  runId: string;
  chunkId: string;
  next: string | undefined;
  now: string;
}): Promise<{ state: ChunkState; opened: boolean; next?: string }> {
  const key = { pk: runKey(input.runId).pk, sk: `CHUNK#${input.chunkId}` };
  const record = { ...key, state: 'OPEN', ...(input.next ? { next: input.next } : {}), ...withTtl(runTtl(input.now)) };
  try {
    if (input.next) {
      await retryingConflicts(() =>
        dynamo.send(
          new TransactWriteCommand({
            TransactItems: [
              { Put: { TableName: tableName, Item: record, ConditionExpression: 'attribute_not_exists(pk)' } },
              {
                Update: {
                  TableName: tableName,
                  Key: runKey(input.runId),
                  UpdateExpression: 'ADD expectedChunks :one',
                  ConditionExpression: 'attribute_exists(pk)',
                  ExpressionAttributeValues: { ':one': 1 },
                },
              },
            ],
          }),
        ),
      );
    } else {
      // No page after it: nothing to add to the run, so the run's record (every chunk's hot spot) is left alone.
      await dynamo.send(
        new PutCommand({ TableName: tableName, Item: record, ConditionExpression: 'attribute_not_exists(pk)' }),
      );
    }
    return { state: 'OPEN', opened: true, ...(input.next ? { next: input.next } : {}) };
  } catch (error) {
    if (!isConditionFailure(error) && !isTransactionConditionFailure(error)) throw error;
  }
  const out = await dynamo.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
  // No record and the put failed: the run itself is gone (expired); there is nothing to add to.
  if (!out.Item) return { state: 'DONE', opened: false };
  const next = out.Item.next as string | undefined;
  return { state: out.Item.state as ChunkState, opened: false, ...(next ? { next } : {}) };
}

/**
 * Adds an open chunk's count to its run, once: the chunk turns DONE and the run's counters grow in one
 * transaction, on condition that the chunk is still OPEN. False when another delivery closed it first.
 */
export async function closeChunk(input: { runId: string; chunkId: string; absences: number }): Promise<boolean> {
  try {
    await retryingConflicts(() =>
      dynamo.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: tableName,
                Key: { pk: runKey(input.runId).pk, sk: `CHUNK#${input.chunkId}` },
                UpdateExpression: 'SET #state = :done, absences = :a',
                ConditionExpression: '#state = :open',
                ExpressionAttributeNames: { '#state': 'state' },
                ExpressionAttributeValues: { ':done': 'DONE', ':open': 'OPEN', ':a': input.absences },
              },
            },
            {
              Update: {
                TableName: tableName,
                Key: runKey(input.runId),
                UpdateExpression: 'ADD absences :a, doneChunks :one',
                ConditionExpression: 'attribute_exists(pk)',
                ExpressionAttributeValues: { ':a': input.absences, ':one': 1 },
              },
            },
          ],
        }),
      ),
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
    await retryingConflicts(() =>
      dynamo.send(
        new UpdateCommand({
          TableName: tableName,
          Key: runKey(runId),
          UpdateExpression: 'SET #status = :done, finishedAt = :now',
          ConditionExpression: '#status = :running AND planned = :true AND doneChunks = expectedChunks',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':done': 'DONE', ':running': 'RUNNING', ':true': true, ':now': now },
        }),
      ),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

export async function failRun(runId: string, now: string): Promise<void> {
  try {
    await retryingConflicts(() =>
      dynamo.send(
        new UpdateCommand({
          TableName: tableName,
          Key: runKey(runId),
          UpdateExpression: 'SET #status = :failed, finishedAt = :now',
          ConditionExpression: '#status = :running',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':failed': 'FAILED', ':running': 'RUNNING', ':now': now },
        }),
      ),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

/** Everything of a study's partition (meta, participants, weeks), for deleting an owned study. */
export async function studyItems(studyId: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  const found = await queryAll({
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': studyPk(studyId) },
    ConsistentRead: true,
  });
  items.push(...found);
  return items;
}

/** The week numbers of a study (a key query on its WEEK# items). */
export async function weekNumbersOf(studyId: string): Promise<number[]> {
  const weeks: number[] = [];
  const found = await queryAll({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :week)',
    ExpressionAttributeValues: { ':pk': studyPk(studyId), ':week': 'WEEK#' },
    ProjectionExpression: 'sk',
    ConsistentRead: true,
  });
  for (const item of found) {
    const sk = String(item.sk);
    if (sk.startsWith('WEEK#')) weeks.push(Number(sk.slice('WEEK#'.length)));
  }
  return weeks;
}

/** Keys of every attendance row of one week (its own partition). */
export async function attendanceKeysOf(studyId: string, week: number): Promise<Key[]> {
  const keys: Key[] = [];
  const found = await queryAll({
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': attendancePk(studyId, week) },
    ProjectionExpression: 'pk, sk',
  });
  for (const item of found) keys.push({ pk: String(item.pk), sk: String(item.sk) });
  return keys;
}

export async function deleteItem(key: Key): Promise<void> {
  await dynamo.send(new DeleteCommand({ TableName: tableName, Key: { pk: key.pk, sk: key.sk } }));
}

/** Deletes items 25 to a request, a few requests at once; deleting what is already gone is fine. */
export async function deleteKeys(keys: readonly Key[]): Promise<void> {
  const unique = [...new Map(keys.map((k) => [`${k.pk}\u0000${k.sk}`, k])).values()];
  const batches: Key[][] = [];
  for (let i = 0; i < unique.length; i += 25) batches.push(unique.slice(i, i + 25));
  await inParallel(batches, 4, async (batch) => {
    let requests: NonNullable<BatchWriteCommandOutput['UnprocessedItems']>[string] | undefined = batch.map((k) => ({
      DeleteRequest: { Key: { pk: k.pk, sk: k.sk } },
    }));
    for (let attempt = 0; requests && requests.length > 0; attempt++) {
      if (attempt > 0) await sleep(Math.random() * Math.min(1_000, 20 * 2 ** attempt));
      const out: BatchWriteCommandOutput = await dynamo.send(
        new BatchWriteCommand({ RequestItems: { [tableName]: requests } }),
      );
      requests = out.UnprocessedItems?.[tableName];
    }
  });
}

export const keysOf = { studyPk, memberSk, attendancePk };
