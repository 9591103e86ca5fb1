// The batch's mark on DynamoDB Local itself: its condition on the membership holds or fails as the
// engine evaluates it, whatever the chunk believed when it read its page.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../local/cloud.ts';

let cloud: LocalCloud;
let db: DynamoDBDocumentClient;
let markAbsent: typeof import('../../lambdas/absence/week-store.ts').markAbsent;

const ENDS_AT = '2026-12-06T14:59:59.000Z';
const BEFORE = '2026-12-01T00:00:00.000Z';
let n = 0;

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  // Loaded once the local cloud has set the handlers' environment (the table name).
  ({ markAbsent } = await import('../../lambdas/absence/week-store.ts'));
});

afterAll(async () => {
  db?.destroy();
  await cloud?.stop();
});

/** A participant with a profile at 100, joined at `joinedAt` (`null`: a membership without one). */
async function participant(joinedAt: string | null) {
  const studyId = `CONSENTSTUDY${++n}`;
  const accountId = `CONSENTACCT${n}`;
  const put = (Item: Record<string, unknown>) => db.send(new PutCommand({ TableName: cloud.tableName, Item }));
  await put({ pk: `ACCOUNT#${accountId}`, sk: 'PROFILE', accountId, score: 100, demo: false });
  await put({
    pk: `STUDY#${studyId}`,
    sk: `MEMBER#${accountId}`,
    studyId,
    accountId,
    ...(joinedAt ? { joinedAt } : {}),
  });
  const mark = () => markAbsent({ studyId, week: 1, endsAt: ENDS_AT, accountId, penalty: 7, runId: 'R', at: ENDS_AT });
  const score = async () =>
    (await db.send(new GetCommand({ TableName: cloud.tableName, Key: { pk: `ACCOUNT#${accountId}`, sk: 'PROFILE' } })))
      .Item?.score;
  const row = async () =>
    (
      await db.send(
        new GetCommand({
          TableName: cloud.tableName,
          Key: { pk: `STUDY#${studyId}#WEEK#000001`, sk: `MEMBER#${accountId}` },
        }),
      )
    ).Item;
  const rejoin = (at: string) =>
    put({ pk: `STUDY#${studyId}`, sk: `MEMBER#${accountId}`, studyId, accountId, joinedAt: at });
  const leave = () =>
    db.send(
      new DeleteCommand({ TableName: cloud.tableName, Key: { pk: `STUDY#${studyId}`, sk: `MEMBER#${accountId}` } }),
    );
  return { mark, score, row, rejoin, leave };
}

describe('the absence mark', () => {
  it('judges a participant who joined before the week ended, once', async () => {
    const p = await participant(BEFORE);
    await expect(p.mark()).resolves.toBe(true);
    await expect(p.mark()).resolves.toBe(false);
    expect(await p.score()).toBe(93);
    expect(await p.row()).toMatchObject({ status: 'ABSENCE' });
  });

  it('refuses, and writes nothing, for one who joined as the week ended or after', async () => {
    for (const joinedAt of [ENDS_AT, '2026-12-07T00:00:00.000Z']) {
      const p = await participant(joinedAt);
      await expect(p.mark()).resolves.toBe(false);
      expect(await p.score()).toBe(100);
      expect(await p.row()).toBeUndefined();
    }
  });

  it('refuses for one who left, or left and rejoined, after the chunk read its page', async () => {
    const left = await participant(BEFORE);
    await left.leave();
    await expect(left.mark()).resolves.toBe(false);
    expect(await left.score()).toBe(100);
    const rejoined = await participant(BEFORE);
    await rejoined.rejoin('2026-12-07T00:00:00.000Z');
    await expect(rejoined.mark()).resolves.toBe(false);
    expect(await rejoined.score()).toBe(100);
  });

  it('refuses for a membership without joinedAt (no proof that it was accepted)', async () => {
    const p = await participant(null);
    await expect(p.mark()).resolves.toBe(false);
    expect(await p.score()).toBe(100);
  });
});
