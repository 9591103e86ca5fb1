// DynamoDB access of absence runs and their chunk records: the bookkeeping that makes a run's counts
// exact however often its messages are delivered. The marks themselves are in week-store.ts.
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { dynamo } from '../shared/clients/dynamo.ts';
import { conditionHeld, retryingConflicts } from '../shared/dynamo/conditional.ts';
import { tableName } from '../shared/table.ts';
import { chunkKey, runKey, runTtl, withTtl } from './study-keys.ts';

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

export async function insertRun(run: AbsenceRun): Promise<boolean> {
  return conditionHeld(() =>
    dynamo.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...runKey(run.runId), type: 'absence-run', ...run, ...withTtl(runTtl(run.createdAt)) },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    ),
  );
}

export async function findRun(runId: string): Promise<AbsenceRun | undefined> {
  const out = await dynamo.send(new GetCommand({ TableName: tableName, Key: runKey(runId), ConsistentRead: true }));
  return out.Item as AbsenceRun | undefined;
}

export async function deleteRun(runId: string): Promise<void> {
  await dynamo.send(new DeleteCommand({ TableName: tableName, Key: runKey(runId) }));
}

/**
 * A conditional update of the run's record, retried when it meets a chunk's transaction there; false
 * when its condition did not hold.
 */
function updateRun(runId: string, update: Omit<UpdateCommandInput, 'TableName' | 'Key'>): Promise<boolean> {
  return conditionHeld(() =>
    retryingConflicts(() => dynamo.send(new UpdateCommand({ TableName: tableName, Key: runKey(runId), ...update }))),
  );
}

/** Records how many weeks (= first chunks) the run has, once. */
export async function planRun(runId: string, weeks: number, now: string): Promise<void> {
  await updateRun(runId, {
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
  });
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
  const key = chunkKey(input.runId, input.chunkId);
  const record = { ...key, state: 'OPEN', ...(input.next ? { next: input.next } : {}), ...withTtl(runTtl(input.now)) };
  const put = { TableName: tableName, Item: record, ConditionExpression: 'attribute_not_exists(pk)' };
  const withNextPage = () =>
    retryingConflicts(() =>
      dynamo.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: put },
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
  // No page after it: nothing to add to the run, so the run's record (every chunk's hot spot) is left alone.
  const alone = () => dynamo.send(new PutCommand(put));
  if (await conditionHeld(input.next ? withNextPage : alone)) {
    return { state: 'OPEN', opened: true, ...(input.next ? { next: input.next } : {}) };
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
  return conditionHeld(() =>
    retryingConflicts(() =>
      dynamo.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: tableName,
                Key: chunkKey(input.runId, input.chunkId),
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
    ),
  );
}

/** DONE once every expected chunk is recorded (planned first, so an early chunk can't finish the run). */
export async function finishRunIfComplete(runId: string, now: string): Promise<void> {
  await updateRun(runId, {
    UpdateExpression: 'SET #status = :done, finishedAt = :now',
    ConditionExpression: '#status = :running AND planned = :true AND doneChunks = expectedChunks',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':done': 'DONE', ':running': 'RUNNING', ':true': true, ':now': now },
  });
}

export async function failRun(runId: string, now: string): Promise<void> {
  await updateRun(runId, {
    UpdateExpression: 'SET #status = :failed, finishedAt = :now',
    ConditionExpression: '#status = :running',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':failed': 'FAILED', ':running': 'RUNNING', ':now': now },
  });
}
