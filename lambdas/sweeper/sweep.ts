// The sweeper: every few minutes, finds what should have happened but did not (an alarm still PENDING
// well past its fireAt, a demo account past its expiresAt) and re-drives it through its normal queue.
// The consumers are idempotent, so a re-drive of something that is merely slow changes nothing.

import { ENV, TABLE } from '../../lib/definitions.ts';
import { lazy, requireEnv } from '../shared/config.ts';
import { logger } from '../shared/logger.ts';
import { sendMessages } from '../shared/send-messages.ts';
import { queryAll } from '../shared/table.ts';
import { hourBucket } from '../shared/time.ts';

const config = lazy(() => ({
  pushQueueUrl: requireEnv(ENV.alarmPushQueueUrl),
  expiryQueueUrl: requireEnv(ENV.accountExpiryQueueUrl),
}));

const HOUR_MS = 3_600_000;
/** How far back the sweeper looks. Older than this, the DLQ alarms and DynamoDB TTL have spoken already. */
export const LOOKBACK_HOURS = 48;
/** An alarm is overdue only this long after fireAt: the Scheduler fires within the minute it names. */
export const ALARM_GRACE_MS = 2 * 60_000;

const { partitionKey: DUE_PK, sortKey: DUE_AT } = TABLE.indexes.due;

/** The due-index buckets (one per hour) that can hold items due in [from, to]. */
export function bucketsBetween(from: number, to: number): string[] {
  const buckets: string[] = [];
  for (let t = Math.floor(from / HOUR_MS) * HOUR_MS; t <= to; t += HOUR_MS) buckets.push(hourBucket(t));
  return buckets;
}

async function dueItems(prefix: string, dueBefore: number, now: number): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for (const bucket of bucketsBetween(now - LOOKBACK_HOURS * HOUR_MS, dueBefore)) {
    const found = await queryAll({
      IndexName: TABLE.indexes.due.name,
      KeyConditionExpression: '#pk = :pk AND #due <= :before',
      ExpressionAttributeNames: { '#pk': DUE_PK, '#due': DUE_AT },
      ExpressionAttributeValues: { ':pk': `${prefix}#${bucket}`, ':before': new Date(dueBefore).toISOString() },
    });
    items.push(...found);
  }
  return items;
}

export interface SweepReport {
  readonly overdueAlarms: number;
  readonly expiredDemoAccounts: number;
}

export async function sweep(now: number): Promise<SweepReport> {
  const { pushQueueUrl, expiryQueueUrl } = config();
  // The index only holds alarms while PENDING (the attributes are removed when they leave it).
  const alarms = (await dueItems('ALARM', now - ALARM_GRACE_MS, now)).filter((a) => a.status === 'PENDING');
  const accounts = await dueItems('DEMO', now, now);
  await sendMessages(
    pushQueueUrl,
    alarms.map((a) => ({ kind: 'send-due-alarm', accountId: a.accountId, alarmId: a.alarmId, version: a.version })),
  );
  await sendMessages(
    expiryQueueUrl,
    accounts.map((a) => ({ kind: 'expire-demo-account', accountId: a.accountId, expiresAt: a.expiresAt })),
  );
  const report = { overdueAlarms: alarms.length, expiredDemoAccounts: accounts.length };
  if (report.overdueAlarms + report.expiredDemoAccounts > 0) logger.warn('Sweeper re-drove missed work', { ...report });
  return report;
}
