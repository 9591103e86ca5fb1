// What each occurrence of a timer did: its history records, newest first.
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '../shared/clients/dynamo.ts';
import { accountPk, tableName } from '../shared/table.ts';
import type { TimerKind } from './kind.ts';
import { occurrenceKey } from './timer-items.ts';

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

/** A timer's occurrences, newest first (the sort key ends with the ISO time). */
export async function listOccurrences(
  kind: TimerKind,
  accountId: string,
  id: string,
  limit: number,
  startKey?: { pk: string; sk: string },
): Promise<OccurrencePage> {
  const out = await dynamo.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': accountPk(accountId), ':prefix': `${kind.historyPrefix}${id}#` },
      ScanIndexForward: false,
      Limit: limit + 1,
      ExclusiveStartKey: startKey,
    }),
  );
  const occurrences = (out.Items ?? []).map((item) => ({
    dueAt: String(item.dueAt),
    status: String(item.status),
    attempts: Number(item.attempts ?? 0),
    ...(typeof item.reason === 'string' ? { reason: item.reason } : {}),
    item,
  }));
  if (occurrences.length <= limit) return { occurrences };
  const page = occurrences.slice(0, limit);
  const last = page[page.length - 1] as OccurrenceRecord;
  return { occurrences: page, lastKey: occurrenceKey(kind, accountId, id, last.dueAt) };
}
