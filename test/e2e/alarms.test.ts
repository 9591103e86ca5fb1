// Alarms end to end: HTTP API -> DynamoDB Local + Scheduler emulator -> SQS -> send-due-alarm -> FCM stand-in.
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../local/cloud.ts';
import { FCM_ANSWERS, type FcmStandIn } from '../../local/fcm/fcm.ts';
import { apiClient, sleep, waitFor, waitForResourceStatus } from '../support/http.ts';

let cloud: LocalCloud;
let fcm: FcmStandIn;
let api: ReturnType<typeof apiClient>;
let sqs: SQSClient;
let owner: { accountId: string; token: string };
let stranger: { accountId: string; token: string };

/** A push may not come before fireAt, nor later than this after it. */
const MAX_LAG_MS = 1500;

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  if (!cloud.fcm) throw new Error('the local cloud runs without its FCM stand-in');
  fcm = cloud.fcm;
  api = apiClient(cloud.apiUrl);
  sqs = new SQSClient({});
  const account = async (nickname: string) => {
    const res = await api('POST', '/accounts', { token: cloud.adminToken, body: { nickname } });
    return { accountId: res.body.accountId as string, token: res.body.token as string };
  };
  [owner, stranger] = await Promise.all([account('alarm-owner'), account('stranger')]);
});

afterAll(async () => {
  sqs?.destroy();
  await cloud?.stop();
});

interface Created {
  readonly alarmId: string;
  readonly deviceToken: string;
  fireAt: number;
  version: number;
}

async function createAlarm(deviceToken: string, fireAt: number, token = owner.token): Promise<Created> {
  const res = await api('POST', '/alarms', {
    token,
    body: {
      fireAt: new Date(fireAt).toISOString(),
      title: `Alarm for ${deviceToken}`,
      body: 'Time!',
      deviceToken,
      data: { kind: 'e2e' },
    },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { alarmId: res.body.alarmId, deviceToken, fireAt, version: 1 };
}

const pushesTo = (deviceToken: string) => fcm.received.filter((p) => p.deviceToken === deviceToken);
const requestsTo = (deviceToken: string) => fcm.sendRequests.filter((r) => r.deviceToken === deviceToken);
const statusOf = async (alarmId: string) => (await api('GET', `/alarms/${alarmId}`, { token: owner.token })).body;

const waitForStatus = (alarmId: string, status: string, timeoutMs = 8000) =>
  waitForResourceStatus(api, `/alarms/${alarmId}`, owner.token, status, timeoutMs);

async function dlqDepth(): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: cloud.dlqUrls.alarmPush,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

describe('a dozen alarms', () => {
  const alarms: Created[] = [];
  const cancelled: Created[] = [];
  let sent: Created[] = [];

  it('each fire exactly once at their (new) time, and never the cancelled ones', async () => {
    const start = Date.now();
    alarms.push(
      ...(await Promise.all(
        Array.from({ length: 12 }, (_, i) => createAlarm(`dozen-${i}`, start + 2000 + Math.round((i * 2000) / 11))),
      )),
    );
    // Three move (two later, one earlier), three are cancelled.
    for (const [i, shift] of [
      [0, 1500],
      [5, 1200],
      [11, -1500],
    ] as const) {
      const alarm = alarms[i] as Created;
      const fireAt = alarm.fireAt + shift;
      const res = await api('PATCH', `/alarms/${alarm.alarmId}`, {
        token: owner.token,
        body: { fireAt: new Date(fireAt).toISOString() },
      });
      expect(res.status).toBe(200);
      expect(Date.parse(res.body.fireAt)).toBe(fireAt);
      alarm.fireAt = fireAt;
      alarm.version = 2;
    }
    for (const i of [2, 6, 9]) {
      const alarm = alarms[i] as Created;
      const res = await api('DELETE', `/alarms/${alarm.alarmId}`, { token: owner.token });
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('CANCELLED');
      alarm.version = 2;
      cancelled.push(alarm);
    }
    sent = alarms.filter((a) => !cancelled.includes(a));

    await waitFor(async () => (sent.every((a) => pushesTo(a.deviceToken).length > 0) ? true : undefined), 10_000, 50);
    await sleep(1000);

    const lags: number[] = [];
    for (const alarm of sent) {
      const pushes = pushesTo(alarm.deviceToken);
      expect(pushes, alarm.deviceToken).toHaveLength(1);
      const push = pushes[0];
      expect(push?.data).toEqual({ kind: 'e2e', alarmId: alarm.alarmId });
      const lag = Date.parse(push?.time ?? '') - alarm.fireAt;
      expect(lag, `${alarm.deviceToken} lag`).toBeGreaterThanOrEqual(0);
      expect(lag, `${alarm.deviceToken} lag`).toBeLessThan(MAX_LAG_MS);
      lags.push(lag);
      const stored = await statusOf(alarm.alarmId);
      expect(stored.status).toBe('SENT');
      expect(Date.parse(stored.sentAt)).toBeGreaterThanOrEqual(alarm.fireAt);
    }
    for (const alarm of cancelled) {
      expect(pushesTo(alarm.deviceToken)).toHaveLength(0);
      expect((await statusOf(alarm.alarmId)).status).toBe('CANCELLED');
    }
    lags.sort((a, b) => a - b);
    console.log(`fire lag over ${lags.length} alarms: p50 ${percentile(lags, 50)} ms, max ${lags.at(-1)} ms`);
  });

  it('are unmoved by every push message delivered again, and by stale ones', async () => {
    expect(sent.length).toBe(9);
    const pushesBefore = fcm.received.length;
    const messages = [
      ...alarms.map((a) => ({
        kind: 'send-due-alarm',
        accountId: owner.accountId,
        alarmId: a.alarmId,
        version: a.version,
      })),
      // The messages of the versions before a reschedule or a cancel.
      ...alarms
        .filter((a) => a.version === 2)
        .map((a) => ({ kind: 'send-due-alarm', accountId: owner.accountId, alarmId: a.alarmId, version: 1 })),
    ];
    await Promise.all(
      messages.map((m) =>
        sqs.send(new SendMessageCommand({ QueueUrl: cloud.queueUrls.alarmPush, MessageBody: JSON.stringify(m) })),
      ),
    );
    await sleep(1500);
    expect(fcm.received.length).toBe(pushesBefore);
    for (const alarm of sent) expect((await statusOf(alarm.alarmId)).status).toBe('SENT');
    for (const alarm of cancelled) expect((await statusOf(alarm.alarmId)).status).toBe('CANCELLED');
    expect(await dlqDepth()).toBe(0);
  });

  it('refuse to be rescheduled or cancelled once SENT (409)', async () => {
    const alarm = sent[0] as Created;
    const patch = await api('PATCH', `/alarms/${alarm.alarmId}`, {
      token: owner.token,
      body: { fireAt: new Date(Date.now() + 60_000).toISOString() },
    });
    expect(patch.status).toBe(409);
    expect(patch.body.error.code).toBe('ALARM_NOT_PENDING');
    expect((await api('DELETE', `/alarms/${alarm.alarmId}`, { token: owner.token })).status).toBe(409);
  });

  it('are 404 to another account, for every verb', async () => {
    const alarm = sent[0] as Created;
    const as = { token: stranger.token };
    expect((await api('GET', `/alarms/${alarm.alarmId}`, as)).status).toBe(404);
    expect(
      (
        await api('PATCH', `/alarms/${alarm.alarmId}`, {
          ...as,
          body: { fireAt: new Date(Date.now() + 60_000).toISOString() },
        })
      ).status,
    ).toBe(404);
    expect((await api('DELETE', `/alarms/${alarm.alarmId}`, as)).status).toBe(404);
    expect((await api('GET', '/alarms', as)).body.items).toEqual([]);
  });

  it('are listed to their owner newest first, a page at a time', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await api('GET', `/alarms?limit=5${cursor ? `&cursor=${cursor}` : ''}`, { token: owner.token });
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((a: { alarmId: string }) => a.alarmId));
      cursor = res.body.nextCursor;
    } while (cursor);
    const ours = alarms.map((a) => a.alarmId);
    expect(seen.filter((id) => ours.includes(id))).toEqual([...ours].sort().reverse());
  });
});

describe('an alarm FCM has trouble with', () => {
  it('with a dead token is FAILED after exactly one FCM call', async () => {
    fcm.respondWith('dead-device', [FCM_ANSWERS.unregistered()]);
    const alarm = await createAlarm('dead-device', Date.now() + 2000);
    const failed = await waitForStatus(alarm.alarmId, 'FAILED');
    expect(failed.failureReason).toBe('UNREGISTERED');
    await sleep(1000);
    expect(requestsTo('dead-device')).toHaveLength(1);
    expect(pushesTo('dead-device')).toHaveLength(0);
  });

  it('answered 503, 503, 200 is SENT after three calls', async () => {
    fcm.respondWith('flaky-device', [FCM_ANSWERS.unavailable(1), FCM_ANSWERS.unavailable(1)]);
    const alarm = await createAlarm('flaky-device', Date.now() + 2000);
    const done = await waitForStatus(alarm.alarmId, 'SENT', 10_000);
    expect(requestsTo('flaky-device').map((r) => r.status)).toEqual([503, 503, 200]);
    expect(pushesTo('flaky-device')).toHaveLength(1);
    // Each retry honoured Retry-After: 1.
    expect(Date.parse(done.sentAt) - alarm.fireAt).toBeGreaterThanOrEqual(2000);
    expect(await dlqDepth()).toBe(0);
  });
});

describe('with the Scheduler unavailable at creation', () => {
  it('the alarm is still created and fires on time, from the push queue', async () => {
    cloud.scheduler.faults.unavailable(true);
    let alarm: Created;
    try {
      alarm = await createAlarm('no-scheduler-device', Date.now() + 3000);
    } finally {
      cloud.scheduler.faults.unavailable(false);
    }
    expect(cloud.scheduler.schedules().map((s) => s.name)).not.toContain(`alarm-${alarm.alarmId}`);
    await waitFor(async () => (pushesTo('no-scheduler-device').length > 0 ? true : undefined), 8000, 50);
    const lag = Date.parse(pushesTo('no-scheduler-device')[0]?.time ?? '') - alarm.fireAt;
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThan(MAX_LAG_MS);
    expect((await statusOf(alarm.alarmId)).status).toBe('SENT');
  });
});
