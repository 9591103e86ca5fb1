// Writes and reads that many records of one invocation make at the same moment (a batch of timers all
// due at one second wakes together) go to DynamoDB as one request each: up to 25 conditional PartiQL
// statements in a BatchExecuteStatement, up to 100 keys in a consistent BatchGetItem. Each caller still
// gets its own answer, as from its own request; nothing waits for a batch to fill: what is asked in one
// turn of the event loop leaves at the end of it, and a statement alone in its turn is left to its caller's
// own single request. Same capacity as single requests, a tenth of the round trips and of the client's
// per-request work (signing, middleware) under a herd.
import { BatchExecuteStatementCommand, type BatchExecuteStatementCommandOutput } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '../clients/dynamo.ts';
import { type Item, type Key, tableName } from '../table.ts';
import { batchGet } from './batch.ts';

/** DynamoDB's limit on the statements of one BatchExecuteStatement. */
export const STATEMENTS_PER_REQUEST = 25;

export interface Statement {
  /** One PartiQL UPDATE (or DELETE) of one item, its condition in the WHERE clause. */
  readonly statement: string;
  readonly parameters: readonly unknown[];
  /** The item it writes: two statements on one item never share a request (DynamoDB refuses that). */
  readonly key: Key;
}

export type StatementOutcome = 'done' | 'condition-failed';

/** A statement DynamoDB refused for another reason than its condition (its `code`, e.g. TransactionConflict). */
export class StatementError extends Error {
  override readonly name = 'StatementError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

interface Waiting<T, R> {
  readonly request: T;
  readonly resolve: (result: R) => void;
  readonly reject: (error: unknown) => void;
}

/** Collects what is asked in one turn of the event loop and hands it over at its end. */
function collector<T, R>(flush: (waiting: Waiting<T, R>[]) => Promise<void>): (request: T) => Promise<R> {
  let waiting: Waiting<T, R>[] = [];
  return (request) =>
    new Promise<R>((resolve, reject) => {
      if (waiting.length === 0) {
        setImmediate(() => {
          const taken = waiting;
          waiting = [];
          flush(taken).catch((error: unknown) => {
            for (const w of taken) w.reject(error);
          });
        });
      }
      waiting.push({ request, resolve, reject });
    });
}

const keyOf = (key: Key): string => `${key.pk}\u0000${key.sk}`;

/** Cuts statements into requests of at most 25 in which no item appears twice. */
export function statementRequests<T>(waiting: readonly T[], itemOf: (entry: T) => Key): T[][] {
  const requests: { entries: T[]; keys: Set<string> }[] = [];
  for (const entry of waiting) {
    const key = keyOf(itemOf(entry));
    let request = requests.find((r) => r.entries.length < STATEMENTS_PER_REQUEST && !r.keys.has(key));
    if (!request) {
      request = { entries: [], keys: new Set() };
      requests.push(request);
    }
    request.entries.push(entry);
    request.keys.add(key);
  }
  return requests.map((r) => r.entries);
}

/** A statement's answer: batched with others ('done' or 'condition-failed'), or the caller's own request's result. */
export type Coalesced<T> =
  | { readonly batched: true; readonly outcome: StatementOutcome }
  | { readonly batched: false; readonly result: T };

interface StatementRequest {
  readonly statement: Statement;
  readonly alone: () => Promise<unknown>;
}

type StatementResponse = NonNullable<BatchExecuteStatementCommandOutput['Responses']>[number];

function settle(entry: Waiting<StatementRequest, Coalesced<unknown>>, response: StatementResponse | undefined): void {
  const code = response?.Error?.Code;
  if (response && code === undefined) entry.resolve({ batched: true, outcome: 'done' });
  else if (code === 'ConditionalCheckFailed') entry.resolve({ batched: true, outcome: 'condition-failed' });
  else
    entry.reject(new StatementError(code ?? 'NoResponse', response?.Error?.Message ?? 'no answer for this statement'));
}

async function sendStatements(entries: Waiting<StatementRequest, Coalesced<unknown>>[]): Promise<void> {
  try {
    const out = await dynamo.send(
      new BatchExecuteStatementCommand({
        Statements: entries.map((e) => ({
          Statement: e.request.statement.statement,
          Parameters: [...e.request.statement.parameters],
        })),
      }),
    );
    for (const [n, entry] of entries.entries()) settle(entry, out.Responses?.[n]);
  } catch (error) {
    for (const entry of entries) entry.reject(error);
  }
}

const statements = collector<StatementRequest, Coalesced<unknown>>(async (waiting) => {
  const [only] = waiting;
  if (waiting.length === 1 && only) {
    only.resolve({ batched: false, result: await only.request.alone() });
    return;
  }
  await Promise.all(statementRequests(waiting, (w) => w.request.statement.key).map(sendStatements));
});

/**
 * Runs one conditional statement, batched with the others asked in this turn of the event loop ('done', or
 * 'condition-failed' when its WHERE clause did not hold or the item is absent; a StatementError for any
 * other refusal). Alone in its turn, `alone()` runs instead: the caller's own single request.
 */
export const executeStatement = <T>(statement: Statement, alone: () => Promise<T>): Promise<Coalesced<T>> =>
  statements({ statement, alone }) as Promise<Coalesced<T>>;

/** A consistent read of one item, batched with the others asked in this turn; undefined if it is absent. */
export const getItemConsistently: (key: Key) => Promise<Item | undefined> = collector(async (waiting) => {
  const items = await batchGet([...new Map(waiting.map((w) => [keyOf(w.request), w.request])).values()], {
    consistentRead: true,
  });
  const byKey = new Map(items.map((item) => [keyOf(item as Key), item as Item]));
  for (const w of waiting) w.resolve(byKey.get(keyOf(w.request)));
});

/** The table's name as a PartiQL identifier. */
export const partiqlTable = (): string => `"${tableName}"`;
