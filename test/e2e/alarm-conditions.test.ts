// A condition checked at fire time, end to end: the local cloud POSTs to a receiver on 127.0.0.1 (allowed
// locally, never in the stack), signed with the account's secret; the answer skips, rewrites or lets the
// push go; a receiver that keeps failing is retried and the alarm ends CONDITION_UNREACHABLE.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../../lambdas/shared/outbound/signature.ts';
import { QUEUES } from '../../lib/definitions.ts';
import { type LocalCloud, startLocalCloud } from '../../local/cloud.ts';
import type { FcmStandIn } from '../../local/fcm/fcm.ts';
import { apiClient, sleep, waitForResourceStatus } from '../support/http.ts';

let cloud: LocalCloud;
let fcm: FcmStandIn;
let api: ReturnType<typeof apiClient>;
let receiver: Server;
let receiverUrl: string;
let token: string;
let secret: string;

interface Call {
  readonly path: string;
  readonly body: { alarmId: string; fireAt: string; data: Record<string, string> };
  readonly signed: boolean;
  readonly time: number;
}
const calls: Call[] = [];

/** What each path answers: the three kinds of answer, and a receiver that is down. */
const ANSWERS: Record<string, { status: number; body: string; headers?: Record<string, string> }> = {
  '/skip': { status: 200, body: JSON.stringify({ send: false }) },
  '/rewrite': { status: 200, body: JSON.stringify({ send: true, title: 'Still unanswered', data: { left: '2' } }) },
  '/send': { status: 200, body: JSON.stringify({ send: true }) },
  // Retry-After: 0 so the whole retry budget is spent in seconds, not minutes of backoff.
  '/down': { status: 503, body: 'upstream unavailable', headers: { 'retry-after': '0' } },
};

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const path = req.url ?? '';
      calls.push({
        path,
        body: JSON.parse(raw.toString('utf8')),
        signed: verifySignature(secret, req.headers['x-signature'] as string | undefined, raw, 300),
        time: Date.now(),
      });
      const answer = ANSWERS[path] ?? { status: 404, body: '' };
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

  cloud = await startLocalCloud({ port: 0 });
  if (!cloud.fcm) throw new Error('the local cloud runs without its FCM stand-in');
  fcm = cloud.fcm;
  api = apiClient(cloud.apiUrl);
  const account = await api('POST', '/accounts', { token: cloud.adminToken, body: { nickname: 'families' } });
  token = account.body.token;
  const created = await api('POST', '/accounts/me/signing-secret', { token, body: {} });
  expect(created.status).toBe(201);
  secret = created.body.signingSecret;
});

afterAll(async () => {
  await cloud?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
});

async function alarmWithCondition(path: string, deviceToken: string, inMs = 3000) {
  const fireAt = new Date(Math.ceil((Date.now() + inMs) / 1000) * 1000).toISOString();
  const res = await api('POST', '/alarms', {
    token,
    body: {
      fireAt,
      title: 'Today’s question',
      body: 'Answer before bedtime',
      deviceToken,
      data: { family: 'kim' },
      condition: { url: `${receiverUrl}${path}` },
    },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { alarmId: res.body.alarmId as string, fireAt };
}

const pushesTo = (deviceToken: string) => fcm.received.filter((p) => p.deviceToken === deviceToken);
const waitForStatus = (alarmId: string, status: string, timeoutMs: number) =>
  waitForResourceStatus(api, `/alarms/${alarmId}`, token, status, timeoutMs);

describe('a condition checked at fire time', () => {
  it('is asked once per fire with a signed POST of {alarmId, fireAt, data}, and its answer decides the push', async () => {
    const [skip, rewrite, send] = await Promise.all([
      alarmWithCondition('/skip', 'device-skip'),
      alarmWithCondition('/rewrite', 'device-rewrite'),
      alarmWithCondition('/send', 'device-send'),
    ]);

    const skipped = await waitForStatus(skip.alarmId, 'SKIPPED', 15_000);
    expect(skipped.failureReason).toBe('CONDITION_FALSE');
    await waitForStatus(rewrite.alarmId, 'SENT', 15_000);
    await waitForStatus(send.alarmId, 'SENT', 15_000);
    await sleep(500);

    expect(pushesTo('device-skip')).toEqual([]);
    expect(pushesTo('device-rewrite')).toEqual([
      expect.objectContaining({
        title: 'Still unanswered',
        body: 'Answer before bedtime',
        data: { left: '2', alarmId: rewrite.alarmId },
      }),
    ]);
    expect(pushesTo('device-send')).toEqual([
      expect.objectContaining({ title: 'Today’s question', data: { family: 'kim', alarmId: send.alarmId } }),
    ]);

    for (const alarm of [skip, rewrite, send]) {
      const mine = calls.filter((c) => c.body.alarmId === alarm.alarmId);
      expect(mine).toHaveLength(1);
      expect(mine[0]?.body).toEqual({ alarmId: alarm.alarmId, fireAt: alarm.fireAt, data: { family: 'kim' } });
      expect(mine[0]?.signed, 'x-signature verifies with the account secret').toBe(true);
      expect(mine[0]?.time).toBeGreaterThanOrEqual(Date.parse(alarm.fireAt));
    }

    const occurrences = await api('GET', `/alarms/${skip.alarmId}/occurrences`, { token });
    expect(occurrences.body).toEqual({
      items: [{ fireAt: skip.fireAt, status: 'SKIPPED', reason: 'CONDITION_FALSE' }],
    });
  });

  it('is retried while its receiver is down, and the alarm ends FAILED CONDITION_UNREACHABLE with no push', async () => {
    const down = await alarmWithCondition('/down', 'device-down');
    const failed = await waitForStatus(down.alarmId, 'FAILED', 60_000);
    expect(failed.failureReason).toBe('CONDITION_UNREACHABLE');
    expect(calls.filter((c) => c.body.alarmId === down.alarmId)).toHaveLength(QUEUES.alarmPush.maxReceiveCount);
    expect(pushesTo('device-down')).toEqual([]);
  });

  it('never calls a private or link-local address: 400 at creation, even in the local cloud', async () => {
    for (const url of [
      'http://10.0.0.1/hook',
      'https://169.254.169.254/latest/meta-data',
      'http://[::ffff:a9fe:a9fe]/',
    ]) {
      const res = await api('POST', '/alarms', {
        token,
        body: {
          repeat: { cron: '0 21 * * *', timezone: 'Asia/Seoul' },
          title: 't',
          body: 'b',
          deviceToken: 'device-private',
          condition: { url },
        },
      });
      expect(res.status, url).toBe(400);
      expect(res.body.error.details.map((d: { field: string }) => d.field)).toEqual(['condition.url']);
    }
  });
});
