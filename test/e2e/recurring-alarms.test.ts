// Recurring alarms end to end, under the local Scheduler's default 60 s firing window: an every-minute
// alarm pushes once per occurrence within a second of its minute, pause skips an occurrence and resume
// picks up the next, a rule changed between occurrences takes effect at the next one, and the
// occurrences list shows what happened. Two alarms run side by side so the whole story takes ~5 minutes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../local/cloud.ts';
import type { FcmStandIn } from '../../local/fcm/fcm.ts';
import { apiClient, sleep, waitFor } from '../support/http.ts';

let cloud: LocalCloud;
let fcm: FcmStandIn;
let api: ReturnType<typeof apiClient>;
let token: string;

const MINUTE = 60_000;
/** A push may not come before its occurrence, nor later than this after it. */
const MAX_LAG_MS = 1000;

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  if (!cloud.fcm) throw new Error('the local cloud runs without its FCM stand-in');
  fcm = cloud.fcm;
  api = apiClient(cloud.apiUrl);
  const account = await api('POST', '/accounts', { token: cloud.adminToken, body: { nickname: 'every-minute' } });
  token = account.body.token;
});

afterAll(async () => {
  await cloud?.stop();
});

const pushesTo = (deviceToken: string) => fcm.received.filter((p) => p.deviceToken === deviceToken);
const minuteOf = (ms: number) => Math.floor(ms / MINUTE) * MINUTE;
const iso = (ms: number) => new Date(ms).toISOString();
const patch = (alarmId: string, body: unknown) => api('PATCH', `/alarms/${alarmId}`, { token, body });

async function createEveryMinute(deviceToken: string) {
  const res = await api('POST', '/alarms', {
    token,
    body: { repeat: { cron: '* * * * *' }, title: 'Every minute', body: 'tick', deviceToken, data: { k: 'v' } },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { alarmId: string; nextFireAt: string };
}

/** Waits until `deviceToken` has `count` pushes. */
const waitForPushes = (deviceToken: string, count: number, timeoutMs: number) =>
  waitFor(async () => (pushesTo(deviceToken).length >= count ? true : undefined), timeoutMs, 50);

/** Lag of each push behind the occurrence it names, after checking it names the one expected. */
function lagsOf(deviceToken: string, occurrences: number[]): number[] {
  const pushes = pushesTo(deviceToken);
  expect(pushes.map((p) => p.data.occurrenceAt)).toEqual(occurrences.map(iso));
  return pushes.map((p, i) => Date.parse(p.time) - (occurrences[i] as number));
}

describe('a recurring alarm every minute', () => {
  it(
    'pushes once per occurrence on time; pause skips one, resume picks up the next; a new rule takes effect at the next',
    async () => {
      // A: three occurrences in a row, then paused for one, then resumed. B: one occurrence, then its rule
      // changes to a minute two ahead, so the minute between makes no push.
      // Created early in a minute, so the first occurrence (the next minute) is not too close to call.
      if (Date.now() % MINUTE > 40_000) await sleep(MINUTE - (Date.now() % MINUTE) + 500);
      const [a, b] = [await createEveryMinute('device-a'), await createEveryMinute('device-b')];
      const m1 = Date.parse(a.nextFireAt);
      expect(m1).toBe(minuteOf(Date.now()) + MINUTE);
      expect(Date.parse(b.nextFireAt)).toBe(m1);

      // M1: both push. B's rule changes to fire only at M3.
      await waitForPushes('device-b', 1, MINUTE + 10_000);
      const m3Minute = new Date(m1 + 2 * MINUTE).getUTCMinutes();
      const changed = await patch(b.alarmId, { repeat: { cron: `${m3Minute} * * * *`, timezone: 'UTC' } });
      expect(changed.status, JSON.stringify(changed.body)).toBe(200);
      expect(changed.body.nextFireAt).toBe(iso(m1 + 2 * MINUTE));

      // M2, M3: A pushes; B not at M2, then at M3 by its new rule.
      await waitForPushes('device-a', 3, 3 * MINUTE);
      await waitForPushes('device-b', 2, 10_000);
      const lagsA = lagsOf('device-a', [m1, m1 + MINUTE, m1 + 2 * MINUTE]);
      const lagsB = lagsOf('device-b', [m1, m1 + 2 * MINUTE]);

      // Pause A after M3: M4 makes no push. Resume after M4: the next push is M5's.
      const paused = await patch(a.alarmId, { paused: true });
      expect(paused.body).toMatchObject({ status: 'PAUSED' });
      expect(paused.body).not.toHaveProperty('nextFireAt');
      await sleep(m1 + 3 * MINUTE + 3000 - Date.now());
      expect(pushesTo('device-a')).toHaveLength(3);
      const resumed = await patch(a.alarmId, { paused: false });
      expect(resumed.body).toMatchObject({ status: 'PENDING', nextFireAt: iso(m1 + 4 * MINUTE) });
      await waitForPushes('device-a', 4, MINUTE + 10_000);
      lagsA.push(...lagsOf('device-a', [m1, m1 + MINUTE, m1 + 2 * MINUTE, m1 + 4 * MINUTE]).slice(3));

      const lags = [...lagsA, ...lagsB];
      console.log(`occurrence lag ms: ${lags.join(', ')} (max ${Math.max(...lags)})`);
      for (const lag of lags) {
        expect(lag).toBeGreaterThanOrEqual(0);
        expect(lag).toBeLessThan(MAX_LAG_MS);
      }

      // What happened, newest first; nothing for the paused minute or the one B's new rule left out.
      await sleep(1000);
      const historyA = await api('GET', `/alarms/${a.alarmId}/occurrences`, { token });
      expect(historyA.body.items.map((o: { fireAt: string; status: string }) => [o.fireAt, o.status])).toEqual(
        [4, 2, 1, 0].map((n) => [iso(m1 + n * MINUTE), 'SENT']),
      );
      for (const o of historyA.body.items) expect(Date.parse(o.sentAt)).toBeGreaterThanOrEqual(Date.parse(o.fireAt));
      const page = await api('GET', `/alarms/${a.alarmId}/occurrences?limit=3`, { token });
      expect(page.body.items).toHaveLength(3);
      const rest = await api('GET', `/alarms/${a.alarmId}/occurrences?limit=3&cursor=${page.body.nextCursor}`, {
        token,
      });
      expect(rest.body.items.map((o: { fireAt: string }) => o.fireAt)).toEqual([iso(m1)]);
      const historyB = await api('GET', `/alarms/${b.alarmId}/occurrences`, { token });
      expect(historyB.body.items.map((o: { fireAt: string }) => o.fireAt)).toEqual([iso(m1 + 2 * MINUTE), iso(m1)]);

      // Cancelled: no further push.
      for (const alarm of [a, b]) {
        const cancelled = await api('DELETE', `/alarms/${alarm.alarmId}`, { token });
        expect(cancelled.body.status).toBe('CANCELLED');
      }
    },
    8 * MINUTE,
  );
});
