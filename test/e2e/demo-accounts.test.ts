// Demo accounts end to end: HTTP API -> DynamoDB Local + Scheduler emulator -> SQS -> expiry consumer.

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListSchedulesCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV, SCHEDULE_GROUPS } from '../../lib/definitions.ts';
import { type LocalCloud, startLocalCloud } from '../../local/cloud.ts';
import { apiClient, sleep, waitFor } from '../support/http.ts';

let cloud: LocalCloud;
let api: ReturnType<typeof apiClient>;
let scheduler: SchedulerClient;
let sqs: SQSClient;
let db: DynamoDBDocumentClient;

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0, demoTtlSeconds: 3, demoRateLimitPerMinute: 1000 });
  api = apiClient(cloud.apiUrl);
  scheduler = new SchedulerClient({});
  sqs = new SQSClient({});
  db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
});

async function profileExists(accountId: string): Promise<boolean> {
  const out = await db.send(
    new GetCommand({
      TableName: process.env[ENV.tableName],
      Key: { pk: `ACCOUNT#${accountId}`, sk: 'PROFILE' },
      ConsistentRead: true,
    }),
  );
  return out.Item !== undefined;
}

afterAll(async () => {
  await cloud?.stop();
});

async function scheduleNames(): Promise<string[]> {
  const out = await scheduler.send(new ListSchedulesCommand({ GroupName: SCHEDULE_GROUPS.demoAccounts.id }));
  return (out.Schedules ?? []).map((s) => s.Name ?? '');
}

async function dlqDepth(): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: cloud.dlqUrls.accountExpiry,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

describe('a demo account', () => {
  it('works until expiresAt, then is gone within 2 s and its token gets 401', async () => {
    const created = await api('POST', '/demo-accounts', { body: { nickname: 'visitor' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ demo: true, accountId: expect.any(String), token: expect.any(String) });
    const expiresAt = Date.parse(created.body.expiresAt);
    expect(expiresAt - Date.now()).toBeGreaterThan(1000);

    const me = await api('GET', '/accounts/me', { token: created.body.token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ nickname: 'visitor', demo: true, score: 100, expiresAt: created.body.expiresAt });
    // Due in 3 s, sooner than a schedule can serve under the Scheduler's minute: it rides the queue, delayed.
    expect(await scheduleNames()).not.toContain(`demo-${created.body.accountId}`);

    const goneAt = await waitFor(
      async () => ((await profileExists(created.body.accountId)) ? undefined : Date.now()),
      8000,
      50,
    );
    expect(goneAt).toBeGreaterThanOrEqual(expiresAt);
    expect(goneAt - expiresAt).toBeLessThan(2000);
    console.log(`demo account gone ${goneAt - expiresAt} ms after expiresAt`);
    const after = await api('GET', '/accounts/me', { token: created.body.token });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('UNAUTHORIZED');
  });

  it('deleted early gets 401 at once, and its expiry message, when it comes, changes nothing', async () => {
    const created = await api('POST', '/demo-accounts', { body: {} });
    const deleted = await api('DELETE', '/accounts/me', { token: created.body.token });
    expect(deleted.status).toBe(204);
    expect(await scheduleNames()).not.toContain(`demo-${created.body.accountId}`);
    expect((await api('GET', '/accounts/me', { token: created.body.token })).status).toBe(401);
    await sleep(Math.max(0, Date.parse(created.body.expiresAt) - Date.now()) + 1500);
    expect(await profileExists(created.body.accountId)).toBe(false);
    expect(await dlqDepth()).toBe(0);
  });

  it('is unharmed by expiry messages delivered twice, late, or after early deletion', async () => {
    const early = await api('POST', '/demo-accounts', { body: {} });
    await api('DELETE', '/accounts/me', { token: early.body.token });
    const permanent = await api('POST', '/accounts', { token: cloud.adminToken, body: { nickname: 'keeper' } });
    expect(permanent.status).toBe(201);

    const messages = [
      { kind: 'expire-demo-account', accountId: early.body.accountId, expiresAt: early.body.expiresAt },
      { kind: 'expire-demo-account', accountId: early.body.accountId, expiresAt: early.body.expiresAt },
      { kind: 'expire-demo-account', accountId: permanent.body.accountId, expiresAt: new Date().toISOString() },
    ];
    for (const m of messages) {
      await sqs.send(
        new SendMessageCommand({ QueueUrl: cloud.queueUrls.accountExpiry, MessageBody: JSON.stringify(m) }),
      );
    }
    await sleep(1500);
    const keeper = await api('GET', '/accounts/me', { token: permanent.body.token });
    expect(keeper.status).toBe(200);
    expect(keeper.body).toMatchObject({ nickname: 'keeper', demo: false, score: 100 });
    expect(await dlqDepth()).toBe(0);
  });
});
