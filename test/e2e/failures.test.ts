// Failures end to end in the local cloud: a consumer dying mid-batch, FCM down for a minute, the Scheduler
// API unavailable or throttled while alarms are created. Each test prints its figures on one line.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { paginateListSchedules, SchedulerClient } from '@aws-sdk/client-scheduler';
import { GetQueueAttributesCommand, type QueueAttributeName, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEDULE_GROUPS } from '../../lib/definitions.ts';
import { type LocalCloud, startLocalCloud } from '../../local/cloud.ts';
import type { FcmStandIn } from '../../local/fcm/fcm.ts';
import { apiClient, sleep, waitFor } from '../support/http.ts';

let cloud: LocalCloud;
let fcm: FcmStandIn;
let api: ReturnType<typeof apiClient>;
let sqs: SQSClient;
let owner: Account;

interface Account {
  readonly accountId: string;
  readonly token: string;
}

interface Created {
  readonly alarmId: string;
  readonly fireAt: number;
  readonly token: string;
}

/** A push may not come before fireAt, nor later than this after it (as in alarms.test.ts). */
const MAX_LAG_MS = 1500;

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  if (!cloud.fcm) throw new Error('the local cloud runs without its FCM stand-in');
  fcm = cloud.fcm;
  api = apiClient(cloud.apiUrl);
  sqs = new SQSClient({});
  owner = await newAccount('failures-owner');
});

afterAll(async () => {
  sqs?.destroy();
  await cloud?.stop();
});

/** A permanent account (admin route), so the demo cap on pending alarms does not apply. */
async function newAccount(nickname: string): Promise<Account> {
  const res = await api('POST', '/accounts', { token: cloud.adminToken, body: { nickname } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { accountId: res.body.accountId, token: res.body.token };
}

async function createAlarm(deviceToken: string, fireAt: number, account: Account = owner): Promise<Created> {
  const res = await api('POST', '/alarms', {
    token: account.token,
    body: { fireAt: new Date(fireAt).toISOString(), title: 'Failure drill', body: 'Time!', deviceToken },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { alarmId: res.body.alarmId, fireAt, token: account.token };
}

const statusOf = async (alarm: Created): Promise<string> =>
  (await api('GET', `/alarms/${alarm.alarmId}`, { token: alarm.token })).body.status;

/** Accepted pushes per alarm id, counted from the data every push carries. */
function pushesByAlarm(alarms: readonly Created[]): Map<string, number> {
  const counts = new Map(alarms.map((a) => [a.alarmId, 0]));
  for (const push of fcm.received) {
    const id = push.data.alarmId;
    if (id !== undefined && counts.has(id)) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

async function waitUntilAllSent(alarms: readonly Created[], timeoutMs: number): Promise<void> {
  await waitFor(
    async () => {
      const statuses = await Promise.all(alarms.map(statusOf));
      return statuses.every((s) => s === 'SENT') ? true : undefined;
    },
    timeoutMs,
    250,
  );
}

async function queueDepth(url: string): Promise<{ visible: number; inFlight: number; delayed: number }> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  const n = (name: QueueAttributeName) => Number(out.Attributes?.[name] ?? 0);
  return {
    visible: n('ApproximateNumberOfMessages'),
    inFlight: n('ApproximateNumberOfMessagesNotVisible'),
    delayed: n('ApproximateNumberOfMessagesDelayed'),
  };
}

async function pushDlqDepth(): Promise<number> {
  const depth = await queueDepth(cloud.dlqUrls.alarmPush);
  return depth.visible + depth.inFlight + depth.delayed;
}

/** Alarms pushed, duplicates (pushes beyond one per alarm) and lost alarms (no push at all). */
function tally(alarms: readonly Created[]) {
  const counts = [...pushesByAlarm(alarms).values()];
  return {
    sent: counts.filter((c) => c > 0).length,
    duplicates: counts.reduce((sum, c) => sum + Math.max(0, c - 1), 0),
    lost: counts.filter((c) => c === 0).length,
  };
}

const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(1);

/** Runs `work` over `items` with at most `limit` in flight. */
async function withConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await work(items[i] as T, i);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

interface SchedulerCalls {
  operations: number;
  attempts: number;
  throttled: number;
  otherErrors: number;
}

/**
 * Counts the calls of the handlers' own Scheduler client (the module instance the local cloud loaded) and
 * their attempts, until `stop()`.
 */
async function countSchedulerCalls(): Promise<{ calls: SchedulerCalls; stop: () => void }> {
  const { scheduler } = await import('../../lambdas/shared/clients/scheduler.ts');
  const calls: SchedulerCalls = { operations: 0, attempts: 0, throttled: 0, otherErrors: 0 };
  const operations = `failuresTestOperations${Math.random()}`;
  const attempts = `failuresTestAttempts${Math.random()}`;
  scheduler.middlewareStack.add(
    (next) => async (args) => {
      calls.operations++;
      return next(args);
    },
    { step: 'initialize', name: operations },
  );
  scheduler.middlewareStack.add(
    (next) => async (args) => {
      calls.attempts++;
      try {
        return await next(args);
      } catch (error) {
        if ((error as Error).name === 'ThrottlingException') calls.throttled++;
        else calls.otherErrors++;
        throw error;
      }
    },
    // Inside the retry middleware (finalizeRequest, high priority): runs once per attempt.
    { step: 'finalizeRequest', priority: 'low', name: attempts },
  );
  return {
    calls,
    stop: () => {
      scheduler.middlewareStack.remove(operations);
      scheduler.middlewareStack.remove(attempts);
    },
  };
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

describe('failures', () => {
  it('an SQS consumer that crashes mid-batch loses nothing and duplicates nothing', async () => {
    const started = Date.now();
    const mapping = cloud.eventSourceMappings.sendDueAlarm;
    const batchesBefore = mapping.batches.length;
    // All in the same second, late in it: the first receives wait out the rest of the second in the
    // handler while the others pile up, so the next receives take several records each.
    const fireAt = Math.floor((started + 2500) / 1000) * 1000 + 900;
    // Lambda would leave a crashed batch invisible for the queue's 60 s visibility timeout; 2 s tells the same story.
    mapping.faults.crashMidBatch(2, { minRecords: 2, redeliverAfterSeconds: 2 });
    const alarms = await Promise.all(Array.from({ length: 20 }, (_, i) => createAlarm(`crash-${i}`, fireAt)));

    await waitUntilAllSent(alarms, 15_000);
    // The crashed batches come back and are handled again: only then would a duplicate show.
    await waitFor(async () => (mapping.faults.crashes === 2 ? true : undefined), 10_000);
    await waitFor(async () => {
      const depth = await queueDepth(cloud.queueUrls.alarmPush);
      return depth.visible + depth.inFlight + depth.delayed === 0 ? true : undefined;
    }, 15_000);

    const batches = mapping.batches.slice(batchesBefore);
    const crashed = batches.filter((b) => b.error?.startsWith('injected crash'));
    const crashedRecords = crashed.reduce((sum, b) => sum + b.messageIds.length, 0);
    const handledBeforeCrash = crashed.reduce((sum, b) => sum + Math.ceil(b.messageIds.length / 2), 0);
    const { sent, duplicates, lost } = tally(alarms);
    console.log(
      `[failures] crash-mid-batch: alarms=${alarms.length} batchSizes=${batches.map((b) => b.messageIds.length).join('/')} ` +
        `crashedBatches=${crashed.length} crashedRecords=${crashedRecords} handledBeforeCrash=${handledBeforeCrash} ` +
        `sent=${sent} duplicates=${duplicates} lost=${lost} seconds=${seconds(started)}`,
    );
    expect(crashed).toHaveLength(2);
    expect(crashed.every((b) => b.messageIds.length >= 2)).toBe(true);
    for (const [alarmId, count] of pushesByAlarm(alarms)) expect(count, alarmId).toBe(1);
    expect(duplicates).toBe(0);
    expect(lost).toBe(0);
    expect(await pushDlqDepth()).toBe(0);
  }, 60_000);

  it('FCM down for a minute, then back: every due alarm ends SENT once', async () => {
    const started = Date.now();
    const tokens = (deviceToken: string | undefined) => deviceToken?.startsWith('outage-') === true;
    // Retry-After keeps the beat known: a receive every ~10 s, 7 of the queue's 10 over the minute.
    fcm.down(true, { retryAfterSeconds: 10 });
    let alarms: Created[];
    try {
      alarms = await Promise.all(
        Array.from({ length: 20 }, (_, i) => createAlarm(`outage-${i}`, started + 2000 + i * 50)),
      );
      await sleep(started + 60_000 - Date.now());
      expect(tally(alarms).sent).toBe(0);
    } finally {
      fcm.down(false);
    }
    await waitUntilAllSent(alarms, 25_000);
    await sleep(1000);

    const requests = fcm.sendRequests.filter((r) => tokens(r.deviceToken));
    const refused = requests.filter((r) => r.status === 503).length;
    const { sent, duplicates, lost } = tally(alarms);
    console.log(
      `[failures] fcm-outage: alarms=${alarms.length} fcmRequests=${requests.length} retries=${refused} ` +
        `sent=${sent} duplicates=${duplicates} lost=${lost} seconds=${seconds(started)}`,
    );
    for (const [alarmId, count] of pushesByAlarm(alarms)) expect(count, alarmId).toBe(1);
    expect(requests.filter((r) => r.status === 200)).toHaveLength(alarms.length);
    expect(lost).toBe(0);
    expect(await pushDlqDepth()).toBe(0);
  }, 100_000);

  it('the receiver of 20 jobs down for a minute (503), then back: every run SUCCEEDED once, lost 0', async () => {
    let down = true;
    const calls: { jobId: string; status: number }[] = [];
    const receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const status = down ? 503 : 200;
        calls.push({ jobId: JSON.parse(Buffer.concat(chunks).toString('utf8')).jobId, status });
        res.writeHead(status, down ? { 'retry-after': '10' } : {}).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      await api('POST', '/accounts/me/signing-secret', { token: owner.token, body: {} });
      const started = Date.now();
      const jobs = await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const res = await api('POST', '/jobs', {
            token: owner.token,
            body: { runAt: new Date(started + 3000 + i * 50).toISOString(), url },
          });
          expect(res.status, JSON.stringify(res.body)).toBe(201);
          return res.body.jobId as string;
        }),
      );
      await sleep(started + 60_000 - Date.now());
      down = false;
      const statusOf = async (jobId: string) =>
        (await api('GET', `/jobs/${jobId}`, { token: owner.token })).body.status as string;
      await waitFor(
        async () => {
          const statuses = await Promise.all(jobs.map(statusOf));
          return statuses.every((s) => s === 'SUCCEEDED') ? true : undefined;
        },
        40_000,
        500,
      );
      await sleep(1000);
      const succeeded = (jobId: string) => calls.filter((c) => c.jobId === jobId && c.status === 200).length;
      const retries = calls.filter((c) => c.status === 503).length;
      const lost = jobs.filter((j) => succeeded(j) === 0).length;
      const duplicates = jobs.reduce((n, j) => n + Math.max(0, succeeded(j) - 1), 0);
      console.log(
        `[failures] receiver-outage: jobs=${jobs.length} calls=${calls.length} retries=${retries} ` +
          `succeeded=${jobs.length - lost} duplicates=${duplicates} lost=${lost} seconds=${seconds(started)}`,
      );
      for (const jobId of jobs) expect(succeeded(jobId), jobId).toBe(1);
      expect(lost).toBe(0);
      expect(retries).toBeGreaterThan(0);
      const runs = (await api('GET', `/jobs/${jobs[0]}/runs`, { token: owner.token })).body.items;
      expect(runs[0].attempts).toBe(calls.filter((c) => c.jobId === jobs[0]).length);
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  }, 120_000);

  it('the Scheduler API unavailable while alarms are created: every alarm still fires', async () => {
    const started = Date.now();
    const counter = await countSchedulerCalls();
    cloud.scheduler.faults.unavailable(true);
    let alarms: Created[];
    let createMs: number[];
    try {
      const timed = await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const t0 = Date.now();
          // Due beyond a schedule's lead (70 s), so creation does call the Scheduler (a nearer fireAt goes
          // straight on the queue anyway). Two groups, each due at one instant.
          const alarm = await createAlarm(`no-scheduler-${i}`, started + 75_000 + (i % 2) * 1000);
          return { alarm, ms: Date.now() - t0 };
        }),
      );
      alarms = timed.map((t) => t.alarm);
      createMs = timed.map((t) => t.ms);
    } finally {
      cloud.scheduler.faults.unavailable(false);
      counter.stop();
    }
    const { calls } = counter;
    const scheduled = new Set(cloud.scheduler.schedules().map((s) => s.name));
    const rodeTheQueue = alarms.filter((a) => !scheduled.has(`alarm-${a.alarmId}`)).length;

    await waitFor(async () => (tally(alarms).lost === 0 ? true : undefined), started + 90_000 - Date.now(), 50);
    await sleep(1000);
    const lags = alarms.map((a) => {
      const push = fcm.received.find((p) => p.data.alarmId === a.alarmId);
      return Date.parse(push?.time ?? '') - a.fireAt;
    });
    const { sent, duplicates, lost } = tally(alarms);
    console.log(
      `[failures] scheduler-unavailable: alarms=${alarms.length} schedulerCalls=${calls.operations} attempts=${calls.attempts} ` +
        `rodeTheQueue=${rodeTheQueue} maxCreateMs=${Math.max(...createMs)} ` +
        `sent=${sent} duplicates=${duplicates} lost=${lost} lagMs=${Math.min(...lags)}..${Math.max(...lags)} seconds=${seconds(started)}`,
    );
    // A Scheduler that is down gets the SDK's usual 3 attempts, not the 10 a throttled call gets, so the API
    // falls back to the push queue well within its 10 s timeout.
    expect(calls.attempts).toBe(3 * calls.operations);
    expect(Math.max(...createMs)).toBeLessThan(3000);
    expect(rodeTheQueue).toBe(alarms.length);
    for (const [alarmId, count] of pushesByAlarm(alarms)) expect(count, alarmId).toBe(1);
    for (const lag of lags) {
      expect(lag).toBeGreaterThanOrEqual(0);
      expect(lag).toBeLessThan(MAX_LAG_MS);
    }
    for (const alarm of alarms) expect(await statusOf(alarm)).toBe('SENT');
  }, 120_000);

  // In AWS the CreateSchedule quota is 250/s in the smaller Regions. Here the API itself manages only
  // ~120-160 creations/s (both cores busy between Node and DynamoDB Local), so a 250/s bucket would never
  // empty: the drill scales the quota down to about half of what this machine offers, so the burst really
  // runs into throttling. 25 creations in flight: all API invocations share one Scheduler client here (in
  // AWS each container has its own), so its adaptive rate limiter queues them all, and with 50 the
  // slowest creations come within a few seconds of the API function's 10 s timeout.
  it('a burst of 2,000 alarm creations against a throttled Scheduler (75/s here, 250/s in AWS): all scheduled, none lost', async () => {
    const count = 2000;
    const quota = 75;
    const inFlight = 25;
    const accounts = await Promise.all(Array.from({ length: 10 }, (_, i) => newAccount(`burst-${i}`)));
    const pushQueueBefore = await queueDepth(cloud.queueUrls.alarmPush);
    const counter = await countSchedulerCalls();
    const fireAt = Date.now() + 3_600_000;
    const started = Date.now();
    cloud.scheduler.faults.throttle(quota);
    let results: { status: number; alarmId: string; ms: number }[];
    try {
      results = await withConcurrency(
        Array.from({ length: count }, (_, i) => i),
        inFlight,
        async (i) => {
          const account = accounts[i % accounts.length] as Account;
          const t0 = Date.now();
          const res = await api('POST', '/alarms', {
            token: account.token,
            body: {
              fireAt: new Date(fireAt + i).toISOString(),
              title: 'Burst',
              body: `#${i}`,
              deviceToken: `burst-${i}`,
            },
          });
          return { status: res.status, alarmId: res.body?.alarmId as string, ms: Date.now() - t0 };
        },
      );
    } finally {
      cloud.scheduler.faults.throttle(null);
      counter.stop();
    }
    const elapsedMs = Date.now() - started;
    const { calls } = counter;

    // Through the Scheduler API, a page at a time.
    const listing = new SchedulerClient({});
    const names = new Set<string>();
    try {
      for await (const page of paginateListSchedules({ client: listing }, { GroupName: SCHEDULE_GROUPS.alarms.id })) {
        for (const schedule of page.Schedules ?? []) if (schedule.Name) names.add(schedule.Name);
      }
    } finally {
      listing.destroy();
    }
    const scheduled = results.filter((r) => names.has(`alarm-${r.alarmId}`)).length;
    const fellBack = count - scheduled;
    // A fallback's message waits on the push queue, delayed towards fireAt (15 minutes at most per hop).
    const hops = (await queueDepth(cloud.queueUrls.alarmPush)).delayed - pushQueueBefore.delayed;
    const latencies = results.map((r) => r.ms).sort((a, b) => a - b);
    console.log(
      `[failures] scheduler-throttled: creations=${count} created=${results.filter((r) => r.status === 201).length} ` +
        `perSecond=${Math.round((count * 1000) / elapsedMs)} quota=${quota} inFlight=${inFlight} schedulerCalls=${calls.operations} ` +
        `throttled=${calls.throttled} retries=${calls.attempts - calls.operations} otherErrors=${calls.otherErrors} ` +
        `scheduled=${scheduled} fellBack=${fellBack} hopsOnQueue=${hops} lost=${Math.max(0, fellBack - hops)} ` +
        `createMs=p50:${percentile(latencies, 50)},p99:${percentile(latencies, 99)},max:${latencies.at(-1)} seconds=${(elapsedMs / 1000).toFixed(1)}`,
    );
    expect(results.filter((r) => r.status !== 201)).toEqual([]);
    // None lost: an alarm without a schedule has its message waiting on the push queue.
    expect(hops).toBeGreaterThanOrEqual(fellBack);
    // Throttling is absorbed by the retries (with the SDK's default 3 attempts about a third fell back).
    expect(fellBack).toBeLessThanOrEqual(count / 100);
  }, 90_000);
});
