// The sparse due index: things that fall due (demo accounts here; every timer, alarm or job, through the
// timer core's overdue query on the same attributes), bucketed by hour and sorted by due time, so each
// capability finds its overdue work without a scan. The kind prefix of an entry ('DEMO', 'ALARM', 'JOB')
// belongs to the capability that owns the item.
import { TABLE } from '../../lib/definitions.ts';
import { queryAll } from './table.ts';
import { hourBucket } from './time.ts';

const HOUR_MS = 3_600_000;
/** How far back overdue work is looked for. Older than this, the DLQ alarms and DynamoDB TTL have spoken already. */
export const LOOKBACK_HOURS = 48;

const { partitionKey: DUE_PK, sortKey: DUE_AT } = TABLE.indexes.due;

/** The index attributes of an item of this kind that falls due at `dueAt` (ISO, UTC). */
export const dueEntry = (kind: string, dueAt: string) => ({
  [DUE_PK]: `${kind}#${hourBucket(Date.parse(dueAt))}`,
  [DUE_AT]: dueAt,
});

/** The due-index buckets (one per hour) that can hold items due in [from, to]. */
export function bucketsBetween(from: number, to: number): string[] {
  const buckets: string[] = [];
  for (let t = Math.floor(from / HOUR_MS) * HOUR_MS; t <= to; t += HOUR_MS) buckets.push(hourBucket(t));
  return buckets;
}

/** Items of this kind due at or before `dueBefore`, looking back LOOKBACK_HOURS from `now`. */
export async function dueItems(kind: string, dueBefore: number, now: number): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for (const bucket of bucketsBetween(now - LOOKBACK_HOURS * HOUR_MS, dueBefore)) {
    const found = await queryAll({
      IndexName: TABLE.indexes.due.name,
      KeyConditionExpression: '#pk = :pk AND #due <= :before',
      ExpressionAttributeNames: { '#pk': DUE_PK, '#due': DUE_AT },
      ExpressionAttributeValues: { ':pk': `${kind}#${bucket}`, ':before': new Date(dueBefore).toISOString() },
    });
    items.push(...found);
  }
  return items;
}
