// The timer core's coalesced claims and finishes on DynamoDB Local itself: the PartiQL statements' WHERE
// clauses hold or fail as the engine evaluates them, and an item stored before timers counted their
// attempts still gets claimed.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../local/cloud.ts';

type Claims = typeof import('../../lambdas/timers/occurrence-claims.ts');
type Kinds = typeof import('../../lambdas/alarms/alarm-kind.ts');

let cloud: LocalCloud;
let db: DynamoDBDocumentClient;
let claims: Claims;
let kinds: Kinds;
/** Commands the handlers' own DynamoDB client sent, by name. */
const sent: string[] = [];

const DUE = '2026-12-02T09:00:00.000Z';
const ACCOUNT = 'COALESCEDACCOUNT';
let n = 0;

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  // Loaded once the local cloud has set the handlers' environment (the table name).
  claims = await import('../../lambdas/timers/occurrence-claims.ts');
  kinds = await import('../../lambdas/alarms/alarm-kind.ts');
  const { dynamo } = await import('../../lambdas/shared/clients/dynamo.ts');
  dynamo.middlewareStack.add(
    (next, context) => (args) => {
      sent.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: 'sentCommands' },
  );
});

afterAll(async () => {
  db?.destroy();
  await cloud?.stop();
});

/** A PENDING one-off alarm due at DUE, as the core writes it (or, with `legacy`, as stored before it). */
async function alarm(options: { version?: number; legacy?: boolean } = {}): Promise<string> {
  const id = `01JCOALESCED${String(++n).padStart(14, '0')}`;
  await db.send(
    new PutCommand({
      TableName: cloud.tableName,
      Item: {
        pk: `ACCOUNT#${ACCOUNT}`,
        sk: `ALARM#${id}`,
        type: 'alarm',
        accountId: ACCOUNT,
        alarmId: id,
        status: 'PENDING',
        version: options.version ?? 1,
        fireAt: DUE,
        duePk: `ALARM#${DUE.slice(0, 13)}`,
        dueAt: DUE,
        title: 'Good morning',
        body: '',
        data: {},
        deviceToken: `device-${id}`,
        ...(options.legacy ? {} : { attempts: 0, counted: false }),
      },
    }),
  );
  return id;
}

const stored = async (id: string) =>
  (await db.send(new GetCommand({ TableName: cloud.tableName, Key: { pk: `ACCOUNT#${ACCOUNT}`, sk: `ALARM#${id}` } })))
    .Item;

const claim = (id: string, attempt: string, version = 1) =>
  claims.claimOccurrence(kinds.ALARM_KIND, { accountId: ACCOUNT, id, version, dueAt: DUE }, attempt, Date.now());

describe('claims asked in the same turn', () => {
  it('claim each timer whose condition holds, and only those, in one go', async () => {
    const [a, b, stale] = [await alarm(), await alarm(), await alarm({ version: 2 })];
    sent.length = 0;
    const [claimedA, claimedB, claimedStale] = await Promise.all([claim(a, 'A'), claim(b, 'B'), claim(stale, 'S')]);
    expect(sent).toEqual(['BatchExecuteStatementCommand', 'BatchGetItemCommand']);
    expect(claimedA).toMatchObject({ id: a, attempts: 1, status: 'PENDING' });
    expect(claimedA?.item.claimedBy).toBe('A');
    expect(claimedB?.item.claimedBy).toBe('B');
    expect(claimedStale).toBeUndefined();
    expect((await stored(stale))?.claimedBy).toBeUndefined();
  });

  it('give a timer to one of two copies of its message, never both', async () => {
    const id = await alarm();
    const results = await Promise.all([claim(id, 'first'), claim(id, 'second')]);
    expect(results.filter((r) => r !== undefined)).toHaveLength(1);
    expect(['first', 'second']).toContain((await stored(id))?.claimedBy);
  });

  it('claim an alarm stored before timers counted their attempts (one UpdateItem instead)', async () => {
    const [old, fresh] = [await alarm({ legacy: true }), await alarm()];
    const [claimedOld, claimedFresh] = await Promise.all([claim(old, 'O'), claim(fresh, 'F')]);
    expect(claimedOld?.item.claimedBy).toBe('O');
    expect((await stored(old))?.attempts).toBe(1);
    expect(claimedFresh?.item.claimedBy).toBe('F');
  });
});

describe('finishes asked in the same turn', () => {
  it("record each one-off alarm's end on its item, only under its own claim", async () => {
    const [a, b] = [await alarm(), await alarm()];
    const [claimedA, claimedB] = await Promise.all([claim(a, 'A'), claim(b, 'B')]);
    if (!claimedA || !claimedB) throw new Error('both should be claimed');
    const end = { status: 'SENT' };
    const [doneA, wrongB] = await Promise.all([
      claims.completeOccurrence(kinds.ALARM_KIND, claimedA, 'A', end, Date.now(), undefined),
      claims.completeOccurrence(kinds.ALARM_KIND, claimedB, 'not-B', end, Date.now(), undefined),
    ]);
    expect(doneA).toEqual({ timerStatus: 'SENT' });
    expect(wrongB).toBeUndefined();
    const itemA = await stored(a);
    expect(itemA).toMatchObject({ status: 'SENT', dueAt: DUE });
    expect(itemA?.duePk).toBeUndefined();
    expect(itemA?.claimedBy).toBeUndefined();
    expect(typeof itemA?.finishedAt).toBe('string');
    expect(await stored(b)).toMatchObject({ status: 'PENDING', claimedBy: 'B' });
  });

  it('record a failure with its reason', async () => {
    const [a, b] = [await alarm(), await alarm()];
    const [claimedA, claimedB] = await Promise.all([claim(a, 'A'), claim(b, 'B')]);
    if (!claimedA || !claimedB) throw new Error('both should be claimed');
    await Promise.all([
      claims.completeOccurrence(
        kinds.ALARM_KIND,
        claimedA,
        'A',
        { status: 'FAILED', reason: 'UNREGISTERED' },
        Date.now(),
        undefined,
      ),
      claims.completeOccurrence(kinds.ALARM_KIND, claimedB, 'B', { status: 'SENT' }, Date.now(), undefined),
    ]);
    expect(await stored(a)).toMatchObject({ status: 'FAILED', failureReason: 'UNREGISTERED' });
    expect(await stored(b)).toMatchObject({ status: 'SENT' });
  });
});
