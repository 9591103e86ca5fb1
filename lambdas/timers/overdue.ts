// What the sweeper asks of each timer kind: its occurrences still PENDING well past their dueAt (a
// schedule that never delivered, an arming lost in a crash), found by due-index hour bucket, never by
// scan, and re-driven through the kind's own queue. The consumer's checks make a re-drive of something
// merely slow change nothing.
import { TABLE } from '../../lib/definitions.ts';
import { sendMessages } from '../shared/send-messages.ts';
import { queryAll } from '../shared/table.ts';
import { hourBucket } from '../shared/time.ts';
import { messageOf, queueUrlOf, type TimerKind, type TimerMessage } from './kind.ts';
import { toTimerState } from './timer-items.ts';

const HOUR_MS = 3_600_000;
/** How far back the sweeper looks. Older than this, the DLQ alarms and DynamoDB TTL have spoken already. */
export const OVERDUE_LOOKBACK_HOURS = 48;
/** An occurrence is overdue only this long after it was due (its schedule is armed early, its hold waits). */
export const OVERDUE_GRACE_MS = 2 * 60_000;

const { partitionKey: DUE_PK, sortKey: DUE_AT } = TABLE.indexes.due;

/** The due-index hour buckets that can hold items due in [from, to]. */
export function hourBucketsBetween(from: number, to: number): string[] {
  const buckets: string[] = [];
  for (let t = Math.floor(from / HOUR_MS) * HOUR_MS; t <= to; t += HOUR_MS) buckets.push(hourBucket(t));
  return buckets;
}

/**
 * The messages of the kind's occurrences that are overdue at `now`: PENDING, due more than the grace
 * ago, nobody calling them and no retry of theirs still to come.
 */
export async function overdueOccurrences(
  kind: TimerKind,
  now: number,
  graceMs: number = OVERDUE_GRACE_MS,
): Promise<TimerMessage[]> {
  const before = now - graceMs;
  const messages: TimerMessage[] = [];
  for (const bucket of hourBucketsBetween(now - OVERDUE_LOOKBACK_HOURS * HOUR_MS, before)) {
    const items = await queryAll({
      IndexName: TABLE.indexes.due.name,
      KeyConditionExpression: '#pk = :pk AND #due <= :before',
      ExpressionAttributeNames: { '#pk': DUE_PK, '#due': DUE_AT },
      ExpressionAttributeValues: { ':pk': `${kind.duePrefix}#${bucket}`, ':before': new Date(before).toISOString() },
    });
    for (const item of items) {
      const timer = toTimerState(kind, item);
      if (timer.status !== 'PENDING' || timer.dueAt === undefined) continue;
      if ((timer.claimedUntil ?? 0) >= now || (timer.retryAt ?? 0) + graceMs >= now) continue;
      messages.push(
        messageOf(kind, { accountId: timer.accountId, id: timer.id, version: timer.version, dueAt: timer.dueAt }),
      );
    }
  }
  return messages;
}

/** Re-drives the kind's overdue occurrences through its queue; how many. */
export async function redriveOverdue(kind: TimerKind, now: number): Promise<number> {
  const messages = await overdueOccurrences(kind, now);
  if (messages.length > 0) await sendMessages(queueUrlOf(kind), messages);
  return messages.length;
}
