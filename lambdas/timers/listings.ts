// What a client lists: the account's timers of a kind, and what each occurrence of a timer did (its
// history records), newest first, a page at a time.
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '../shared/clients/dynamo.ts';
import { accountPk, tableName } from '../shared/table.ts';
import type { TimerKind } from './kind.ts';
import { type TimerState, toTimerState } from './timer-items.ts';

export interface TimerPage {
  readonly timers: TimerState[];
  /** Key of the last one returned, when more follow. */
  readonly lastKey?: { pk: string; sk: string };
}

/**
 * One page of the account's items under `prefix`, newest first (ids are ULIDs and history keys end with
 * the ISO time, so sort-key order is time order), and the key of the last one when more follow.
 */
export async function newestFirst(
  accountId: string,
  prefix: string,
  limit: number,
  startKey?: { pk: string; sk: string },
): Promise<{ items: Record<string, unknown>[]; lastKey?: { pk: string; sk: string } }> {
  // One more than asked tells whether another page exists, so the last page never has a cursor.
  const out = await dynamo.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': accountPk(accountId), ':prefix': prefix },
      ScanIndexForward: false,
      Limit: limit + 1,
      ExclusiveStartKey: startKey,
    }),
  );
  const items = out.Items ?? [];
  if (items.length <= limit) return { items };
  const page = items.slice(0, limit);
  const last = page[page.length - 1] as { pk: string; sk: string };
  return { items: page, lastKey: { pk: last.pk, sk: last.sk } };
}

/** The account's timers of a kind, newest first. */
export async function listTimers(
  kind: TimerKind,
  accountId: string,
  limit: number,
  startKey?: { pk: string; sk: string },
): Promise<TimerPage> {
  const { items, lastKey } = await newestFirst(accountId, kind.itemPrefix, limit, startKey);
  return { timers: items.map((item) => toTimerState(kind, item)), ...(lastKey ? { lastKey } : {}) };
}

export interface OccurrenceRecord {
  /** ISO: the occurrence. */
  readonly dueAt: string;
  readonly status: string;
  readonly attempts: number;
  readonly reason?: string;
  /** The whole record, the kind's own attributes included. */
  readonly item: Readonly<Record<string, unknown>>;
}

export interface OccurrencePage {
  readonly occurrences: OccurrenceRecord[];
  readonly lastKey?: { pk: string; sk: string };
}

/** A timer's occurrences, newest first. */
export async function listOccurrences(
  kind: TimerKind,
  accountId: string,
  id: string,
  limit: number,
  startKey?: { pk: string; sk: string },
): Promise<OccurrencePage> {
  const { items, lastKey } = await newestFirst(accountId, `${kind.historyPrefix}${id}#`, limit, startKey);
  const occurrences = items.map((item) => ({
    dueAt: String(item.dueAt),
    status: String(item.status),
    attempts: Number(item.attempts ?? 0),
    ...(typeof item.reason === 'string' ? { reason: item.reason } : {}),
    item,
  }));
  return { occurrences, ...(lastKey ? { lastKey } : {}) };
}
