// The push consumer's side of an alarm: claim it for one sending attempt, give the claim back, or record
// the attempt's outcome. A crashed holder's claim simply runs out.
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '../shared/clients/dynamo.ts';
import { ifConditionHolds } from '../shared/dynamo/conditional.ts';
import { tableName } from '../shared/table.ts';
import { type Alarm, alarmKey, DUE_AT, DUE_PK, leavePending, toAlarm } from './alarm-items.ts';

/**
 * Claims a due alarm for one sending attempt, and returns it as claimed (one request: no read first).
 * Undefined if it is no longer PENDING at that version, or if another attempt holds an unexpired claim.
 * A crashed holder's claim simply runs out at `until`.
 */
export async function claimAlarm(
  accountId: string,
  alarmId: string,
  version: number,
  attemptId: string,
  now: number,
  until: number,
): Promise<Alarm | undefined> {
  const out = await ifConditionHolds(() =>
    dynamo.send(
      new UpdateCommand({
        TableName: tableName,
        Key: alarmKey(accountId, alarmId),
        UpdateExpression: 'SET #claimedUntil = :until, #claimedBy = :attempt',
        ConditionExpression:
          '#status = :pending AND #version = :v AND (attribute_not_exists(#claimedUntil) OR #claimedUntil < :now)',
        ExpressionAttributeNames: {
          '#status': 'status',
          '#version': 'version',
          '#claimedUntil': 'claimedUntil',
          '#claimedBy': 'claimedBy',
        },
        ExpressionAttributeValues: {
          ':until': until,
          ':attempt': attemptId,
          ':pending': 'PENDING',
          ':v': version,
          ':now': now,
        },
        ReturnValues: 'ALL_NEW',
      }),
    ),
  );
  return out?.Attributes ? toAlarm(out.Attributes) : undefined;
}

/** Gives up this attempt's claim (FCM asked us to come back later); harmless if it is gone already. */
export async function releaseClaim(accountId: string, alarmId: string, attemptId: string): Promise<void> {
  await ifConditionHolds(() =>
    dynamo.send(
      new UpdateCommand({
        TableName: tableName,
        Key: alarmKey(accountId, alarmId),
        UpdateExpression: 'REMOVE #claimedUntil, #claimedBy',
        ConditionExpression: '#claimedBy = :attempt',
        ExpressionAttributeNames: { '#claimedUntil': 'claimedUntil', '#claimedBy': 'claimedBy' },
        ExpressionAttributeValues: { ':attempt': attemptId },
      }),
    ),
  );
}

export type Finish =
  | { readonly status: 'SENT'; readonly sentAt: string }
  /** SKIPPED: its condition said no (reason CONDITION_FALSE). */
  | { readonly status: 'FAILED' | 'SKIPPED'; readonly failureReason: string };

/** Records the outcome of this attempt's FCM request; false if the claim was no longer ours. */
export function finishAlarm(alarm: Alarm, attemptId: string, finish: Finish): Promise<boolean> {
  const detail =
    finish.status === 'SENT'
      ? { set: 'sentAt = :detail', value: finish.sentAt }
      : { set: 'failureReason = :detail', value: finish.failureReason };
  return leavePending(alarm, {
    UpdateExpression: `SET #status = :status, ${detail.set} REMOVE #duePk, #dueAt, #claimedUntil, #claimedBy`,
    ConditionExpression: '#status = :pending AND #claimedBy = :attempt',
    ExpressionAttributeNames: {
      '#status': 'status',
      '#duePk': DUE_PK,
      '#dueAt': DUE_AT,
      '#claimedUntil': 'claimedUntil',
      '#claimedBy': 'claimedBy',
    },
    ExpressionAttributeValues: {
      ':status': finish.status,
      ':detail': detail.value,
      ':pending': 'PENDING',
      ':attempt': attemptId,
    },
  });
}
