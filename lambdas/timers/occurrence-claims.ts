// A due occurrence's claim and completion: one conditional write to claim it, one transaction to record
// what it did and move the timer on (its next occurrence, or its end). The claim, and the completion of a
// one-off timer recorded on itself, are conditional PartiQL statements coalesced with those of the other
// records of the invocation (shared/dynamo/coalesced.ts): a batch of timers due at one second claims in one
// request, reads what it claimed in one, and records its pushes in one.
import { TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE } from '../../lib/definitions.ts';
import { dynamo } from '../shared/clients/dynamo.ts';
import {
  type Coalesced,
  executeStatement,
  getItemConsistently,
  partiqlTable,
  StatementError,
} from '../shared/dynamo/coalesced.ts';
import { cancellationCodes, ifConditionHolds } from '../shared/dynamo/conditional.ts';
import { tableName } from '../shared/table.ts';
import { toIso } from '../shared/time.ts';
import { FINISHED_AT, type OccurrenceRef, type TimerKind } from './kind.ts';
import {
  DUE_AT,
  DUE_PK,
  dueBucket,
  leaveLive,
  occurrenceKey,
  type TimerState,
  timerKey,
  toTimerState,
} from './timer-items.ts';

/**
 * Claims the occurrence for one attempt and counts the attempt. Alone, one conditional UpdateItem that
 * returns the timer; among the claims of other records in the same turn, one conditional statement and
 * then one consistent read of what was claimed (both coalesced). Undefined unless the timer is PENDING at that
 * version and dueAt with no live claim. A crashed holder's claim runs out at `now + kind.claimMs`.
 */
export async function claimOccurrence(
  kind: TimerKind,
  ref: OccurrenceRef,
  attemptId: string,
  now: number,
): Promise<TimerState | undefined> {
  const key = timerKey(kind, ref.accountId, ref.id);
  const alone = () => claimWithUpdate(kind, ref, attemptId, now);
  let answer: Coalesced<TimerState | undefined>;
  try {
    answer = await executeStatement(
      {
        statement: `UPDATE ${partiqlTable()} SET "claimedUntil" = ? SET "claimedBy" = ? SET "attempts" = "attempts" + 1 REMOVE "retryAt" WHERE "pk" = ? AND "sk" = ? AND "status" = ? AND "version" = ? AND "${DUE_AT}" = ? AND ("claimedUntil" IS MISSING OR "claimedUntil" < ?)`,
        parameters: [now + kind.claimMs, attemptId, key.pk, key.sk, 'PENDING', ref.version, ref.dueAt, now],
        key,
      },
      alone,
    );
  } catch (error) {
    // An item stored before timers counted their attempts has no `attempts` to add to.
    if (error instanceof StatementError && error.code === 'ValidationError') return alone();
    throw error;
  }
  if (!answer.batched) return answer.result;
  if (answer.outcome !== 'done') return undefined;
  const item = await getItemConsistently(key);
  // Gone since (its account deleted), or claimed again after this claim ran out: not this attempt's.
  return item?.claimedBy === attemptId ? toTimerState(kind, item) : undefined;
}

/** The same claim as one UpdateItem (ADD starts a missing counter at 0), returning the claimed timer. */
async function claimWithUpdate(
  kind: TimerKind,
  ref: OccurrenceRef,
  attemptId: string,
  now: number,
): Promise<TimerState | undefined> {
  const out = await ifConditionHolds(() =>
    dynamo.send(
      new UpdateCommand({
        TableName: tableName,
        Key: timerKey(kind, ref.accountId, ref.id),
        UpdateExpression: 'SET #claimedUntil = :until, #claimedBy = :attempt ADD #attempts :one REMOVE #retryAt',
        ConditionExpression:
          '#status = :pending AND #version = :v AND #dueAt = :due AND (attribute_not_exists(#claimedUntil) OR #claimedUntil < :now)',
        ExpressionAttributeNames: {
          '#status': 'status',
          '#version': 'version',
          '#dueAt': DUE_AT,
          '#claimedUntil': 'claimedUntil',
          '#claimedBy': 'claimedBy',
          '#attempts': 'attempts',
          '#retryAt': 'retryAt',
        },
        ExpressionAttributeValues: {
          ':until': now + kind.claimMs,
          ':attempt': attemptId,
          ':one': 1,
          ':pending': 'PENDING',
          ':v': ref.version,
          ':due': ref.dueAt,
          ':now': now,
        },
        ReturnValues: 'ALL_NEW',
      }),
    ),
  );
  return out?.Attributes ? toTimerState(kind, out.Attributes) : undefined;
}

/**
 * Gives up this attempt's claim: the occurrence will be tried again when its message comes back at
 * `retryAt` (epoch ms; the sweeper leaves it alone until then). Harmless if the claim is gone already.
 */
export async function releaseClaim(
  kind: TimerKind,
  ref: { accountId: string; id: string },
  attemptId: string,
  retryAt: number,
): Promise<void> {
  await ifConditionHolds(() =>
    dynamo.send(
      new UpdateCommand({
        TableName: tableName,
        Key: timerKey(kind, ref.accountId, ref.id),
        UpdateExpression: 'SET #retryAt = :retryAt REMOVE #claimedUntil, #claimedBy',
        ConditionExpression: '#claimedBy = :attempt',
        ExpressionAttributeNames: { '#claimedUntil': 'claimedUntil', '#claimedBy': 'claimedBy', '#retryAt': 'retryAt' },
        ExpressionAttributeValues: { ':attempt': attemptId, ':retryAt': retryAt },
      }),
    ),
  );
}

/** How an occurrence ended, as its action said. */
export interface OccurrenceEnd {
  /** The occurrence's status (SENT, SUCCEEDED, FAILED, SKIPPED...). */
  readonly status: string;
  readonly reason?: string;
  /** The kind's own attributes of the record (e.g. httpStatus). */
  readonly fields?: Readonly<Record<string, unknown>>;
  /** A recurring timer stops here with this status (a dead device token); one-off timers always stop. */
  readonly endsTimer?: boolean;
}

export interface Completion {
  /** The recurring timer as it now is, when another occurrence is due: to be armed. */
  readonly next?: TimerState;
  /** The timer's status now. */
  readonly timerStatus: string;
}

/**
 * Records the occurrence and moves the timer on, in one transaction: the history record (one per
 * occurrence: it cannot be written twice), and the timer: a one-off (or one told to stop) takes a
 * terminal status and leaves the due index; a recurring one gets its next occurrence (`nextDueAt`,
 * computed by the caller), a new version and a new due-index entry, or, with none left, the kind's
 * completed status. Undefined if this attempt's claim was no longer the timer's.
 */
export async function completeOccurrence(
  kind: TimerKind,
  claimed: TimerState,
  attemptId: string,
  end: OccurrenceEnd,
  finishedAt: number,
  nextDueAt: string | undefined,
): Promise<Completion | undefined> {
  const dueAt = claimed.dueAt as string;
  const record = {
    Put: {
      TableName: tableName,
      Item: {
        ...(end.fields ?? {}),
        ...occurrenceKey(kind, claimed.accountId, claimed.id, dueAt),
        type: `${kind.itemType}-occurrence`,
        accountId: claimed.accountId,
        [kind.idAttribute]: claimed.id,
        dueAt: dueAt,
        status: end.status,
        attempts: claimed.attempts,
        [FINISHED_AT]: toIso(finishedAt),
        ...(end.reason === undefined ? {} : { reason: end.reason }),
        ...(claimed.item[TABLE.ttlAttribute] === undefined
          ? {}
          : { [TABLE.ttlAttribute]: claimed.item[TABLE.ttlAttribute] }),
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
  const names = {
    '#status': 'status',
    '#claimedUntil': 'claimedUntil',
    '#claimedBy': 'claimedBy',
    '#duePk': DUE_PK,
    '#dueAt': DUE_AT,
    '#version': 'version',
    '#attempts': 'attempts',
    '#finished': FINISHED_AT,
  };
  const condition = '#status = :pending AND #claimedBy = :attempt';
  const goesOn = claimed.repeat !== undefined && !end.endsTimer && nextDueAt !== undefined;
  if (goesOn) {
    const next = nextDueAt as string;
    const values = {
      ':pending': 'PENDING',
      ':attempt': attemptId,
      ':next': claimed.version + 1,
      ':zero': 0,
      ':duePk': dueBucket(kind, next),
      ':dueAt': next,
      ':finished': toIso(finishedAt),
    };
    try {
      await dynamo.send(
        new TransactWriteCommand({
          TransactItems: [
            record,
            {
              Update: {
                TableName: tableName,
                Key: timerKey(kind, claimed.accountId, claimed.id),
                UpdateExpression:
                  'SET #version = :next, #attempts = :zero, #duePk = :duePk, #dueAt = :dueAt, #finished = :finished REMOVE #claimedUntil, #claimedBy',
                ConditionExpression: condition,
                ExpressionAttributeNames: names,
                ExpressionAttributeValues: values,
              },
            },
          ],
        }),
      );
    } catch (error) {
      if (cancellationCodes(error)?.includes('ConditionalCheckFailed')) return undefined;
      throw error;
    }
    const { claimedUntil: _u, claimedBy: _b, ...rest } = claimed.item;
    return {
      timerStatus: 'PENDING',
      next: toTimerState(kind, {
        ...rest,
        version: claimed.version + 1,
        attempts: 0,
        [DUE_PK]: values[':duePk'],
        [DUE_AT]: next,
        [FINISHED_AT]: values[':finished'],
      }),
    };
  }
  const timerStatus = claimed.repeat === undefined || end.endsTimer ? end.status : kind.completedStatus;
  const failed = end.reason !== undefined && (claimed.repeat === undefined || end.endsTimer);
  // A one-off timer of a kind that records on the timer: the timer item is its record (status, finish
  // time, reason, attempts), so the completion is the one write below and no history item.
  const onTimer = claimed.repeat === undefined && kind.oneOffRecord === 'timer';
  const leave = () =>
    leaveLive(
      kind,
      claimed,
      {
        UpdateExpression: `SET #status = :status, #finished = :finished${failed ? ', #reason = :reason' : ''} REMOVE #duePk, #claimedUntil, #claimedBy`,
        ConditionExpression: condition,
        // Only the names this expression uses: DynamoDB refuses unused ones.
        ExpressionAttributeNames: {
          '#status': names['#status'],
          '#claimedUntil': names['#claimedUntil'],
          '#claimedBy': names['#claimedBy'],
          '#duePk': names['#duePk'],
          '#finished': names['#finished'],
          ...(failed ? { '#reason': 'failureReason' } : {}),
        },
        ExpressionAttributeValues: {
          ':status': timerStatus,
          ':finished': toIso(finishedAt),
          ':pending': 'PENDING',
          ':attempt': attemptId,
          ...(failed ? { ':reason': end.reason } : {}),
        },
      },
      onTimer ? [] : [record],
    );
  if (!onTimer || claimed.counted) return (await leave()) ? { timerStatus } : undefined;
  // Nothing to uncount and no record beside it: one statement, coalesced with the batch's others.
  const key = timerKey(kind, claimed.accountId, claimed.id);
  const answer = await executeStatement(
    {
      statement: `UPDATE ${partiqlTable()} SET "status" = ? SET "${FINISHED_AT}" = ?${failed ? ' SET "failureReason" = ?' : ''} REMOVE "${DUE_PK}" REMOVE "claimedUntil" REMOVE "claimedBy" WHERE "pk" = ? AND "sk" = ? AND "status" = ? AND "claimedBy" = ?`,
      parameters: [
        timerStatus,
        toIso(finishedAt),
        ...(failed ? [end.reason] : []),
        key.pk,
        key.sk,
        'PENDING',
        attemptId,
      ],
      key,
    },
    leave,
  );
  const done = answer.batched ? answer.outcome === 'done' : answer.result;
  return done ? { timerStatus } : undefined;
}
