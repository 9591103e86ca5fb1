// On time under the Scheduler's minute: with the local Scheduler firing anywhere in the 60 s after the
// time a schedule names (as AWS does, the default), alarms spread over the next two minutes are each
// pushed once within a second of fireAt, and a demo account whose expiry rides a schedule is gone on time.
// Takes about two and a half minutes.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../lib/definitions.ts';
import { type LocalCloud, startLocalCloud } from '../../local/cloud.ts';
import type { FcmStandIn } from '../../local/fcm/fcm.ts';
import { apiClient, sleep, waitFor } from '../support/http.ts';

const ALARMS = 24;
const SPREAD_MS = 120_000;
/** The contract: what is due at a second happens within that second. */
const MAX_LAG_MS = 1000;
/** Long enough that the account's expiry is armed as a schedule, which the window makes fire early. */
const DEMO_TTL_SECONDS = 100;

let cloud: LocalCloud;
let fcm: FcmStandIn;
let api: ReturnType<typeof apiClient>;
let db: DynamoDBDocumentClient;

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0, demoTtlSeconds: DEMO_TTL_SECONDS, demoRateLimitPerMinute: 1000 });
  if (!cloud.fcm) throw new Error('the local cloud runs without its FCM stand-in');
  fcm = cloud.fcm;
  api = apiClient(cloud.apiUrl);
  db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
});

afterAll(async () => {
  db?.destroy();
  await cloud?.stop();
});

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

describe('with the Scheduler firing anywhere in its minute (the default)', () => {
  it('pushes each of 24 alarms spread over two minutes once, within a second of fireAt, and removes a demo account on time', async () => {
    expect(cloud.scheduler.firingWindowSeconds).toBe(60);
    const owner = await api('POST', '/accounts', { token: cloud.adminToken, body: { nickname: 'on-time' } });
    const demo = await api('POST', '/demo-accounts', { body: { nickname: 'short-stay' } });
    expect(demo.status).toBe(201);
    // Watched from now on, while the alarms fire, so the moment it goes is seen when it happens.
    const expiresAt = Date.parse(demo.body.expiresAt);
    const profile = () =>
      db.send(
        new GetCommand({
          TableName: process.env[ENV.tableName],
          Key: { pk: `ACCOUNT#${demo.body.accountId}`, sk: 'PROFILE' },
          ConsistentRead: true,
        }),
      );
    const demoGone = waitFor(
      async () => ((await profile()).Item ? undefined : Date.now()),
      DEMO_TTL_SECONDS * 1000 + 30_000,
      50,
    );
    demoGone.catch(() => {}); // awaited below; a failure then fails the test, not the process
    const start = Date.now();
    const alarms = await Promise.all(
      Array.from({ length: ALARMS }, async (_, i) => {
        // From 5 s to 125 s ahead, at odd milliseconds: about half ride the queue, half a schedule.
        const fireAt = start + 5_000 + Math.round((i * SPREAD_MS) / (ALARMS - 1)) + ((i * 37) % 1000);
        const deviceToken = `on-time-${i}`;
        const res = await api('POST', '/alarms', {
          token: owner.body.token,
          body: { fireAt: new Date(fireAt).toISOString(), title: 'On time', body: `#${i}`, deviceToken },
        });
        expect(res.status, JSON.stringify(res.body)).toBe(201);
        return { alarmId: res.body.alarmId as string, fireAt: Date.parse(res.body.fireAt), deviceToken };
      }),
    );
    const scheduled = new Set(cloud.scheduler.schedules().map((s) => s.name));
    const viaSchedule = alarms.filter((a) => scheduled.has(`alarm-${a.alarmId}`)).length;
    // Due more than a minute and a margin (70 s) ahead: a schedule; nearer: straight on the queue, delayed.
    expect(viaSchedule).toBeGreaterThanOrEqual(8);
    expect(ALARMS - viaSchedule).toBeGreaterThanOrEqual(8);
    expect(scheduled.has(`demo-${demo.body.accountId}`)).toBe(true);

    const last = Math.max(...alarms.map((a) => a.fireAt));
    const pushed = () => alarms.filter((a) => fcm.received.some((p) => p.deviceToken === a.deviceToken)).length;
    await waitFor(async () => (pushed() === ALARMS ? true : undefined), last - Date.now() + 10_000, 200);
    await sleep(1500);

    const lags: number[] = [];
    for (const alarm of alarms) {
      const pushes = fcm.received.filter((p) => p.deviceToken === alarm.deviceToken);
      expect(pushes, alarm.deviceToken).toHaveLength(1);
      const lag = Date.parse(pushes[0]?.time ?? '') - alarm.fireAt;
      expect(lag, `${alarm.deviceToken} lag`).toBeGreaterThanOrEqual(0);
      expect(lag, `${alarm.deviceToken} lag`).toBeLessThan(MAX_LAG_MS);
      lags.push(lag);
    }
    // The Scheduler really did fire early and spread out: those messages were held until their second.
    const early = cloud.scheduler.fired
      .filter((f) => f.name.startsWith('alarm-'))
      .map((f) => (alarms.find((a) => `alarm-${a.alarmId}` === f.name)?.fireAt ?? 0) - f.at);
    expect(early.length).toBe(viaSchedule);
    expect(Math.min(...early)).toBeGreaterThan(1000);

    const goneAt = await demoGone;
    expect(goneAt).toBeGreaterThanOrEqual(expiresAt);
    expect(goneAt - expiresAt).toBeLessThan(2000);

    lags.sort((a, b) => a - b);
    console.log(
      `on time with a 60 s firing window: ${ALARMS} alarms (${viaSchedule} via schedules fired ${Math.round(
        Math.min(...early) / 1000,
      )}–${Math.round(Math.max(...early) / 1000)} s early), push lag p50 ${percentile(lags, 50)} ms, max ${
        lags.at(-1) ?? 0
      } ms; demo account gone ${goneAt - expiresAt} ms after expiresAt`,
    );
  }, 240_000);
});
