// What each occurrence of a timer did: its history records, newest first.
import type { TimerKind } from './kind.ts';
import { newestFirst } from './timer-items.ts';

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
