// Webhook jobs end to end: HTTP API -> DynamoDB Local + Scheduler emulator -> SQS -> run-due-job ->
// a receiver on 127.0.0.1 that checks every call's signature and idempotency key.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../../lambdas/shared/outbound/signature.ts';
import { type LocalCloud, startLocalCloud } from '../../local/cloud.ts';
import { apiClient, sleep, waitForResourceStatus } from '../support/http.ts';

interface Call {
  readonly path: string;
  readonly at: number;
  readonly jobId: string;
  readonly runAt: string;
  readonly payload: unknown;
  readonly idempotencyKey: string | undefined;
  readonly signed: boolean;
}

let cloud: LocalCloud;
let api: ReturnType<typeof apiClient>;
let receiver: Server;
let base: string;
let owner: { accountId: string; token: string; secret: string };
let stranger: { accountId: string; token: string };
const calls: Call[] = [];
/** Scripted answers per path, one per call; the last one repeats. */
const answers = new Map<string, number[]>();

/** A call may not come before runAt, nor later than this after it. */
const MAX_LAG_MS = 1000;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = JSON.parse(raw.toString('utf8')) as { jobId: string; runAt: string; payload: unknown };
      const path = req.url ?? '/';
      calls.push({
        path,
        at: Date.now(),
        jobId: body.jobId,
        runAt: body.runAt,
        payload: body.payload,
        idempotencyKey: req.headers['idempotency-key'] as string | undefined,
        signed: verifySignature(owner.secret, req.headers['x-signature'] as string | undefined, raw, 300),
      });
      const script = answers.get(path) ?? [200];
      const status = script.length > 1 ? (script.shift() as number) : (script[0] as number);
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  cloud = await startLocalCloud({ port: 0 });
  api = apiClient(cloud.apiUrl);
  const account = async (nickname: string) => {
    const res = await api('POST', '/accounts', { token: cloud.adminToken, body: { nickname } });
    return { accountId: res.body.accountId as string, token: res.body.token as string };
  };
  const [o, s] = await Promise.all([account('job-owner'), account('stranger')]);
  const secret = await api('POST', '/accounts/me/signing-secret', { token: o.token, body: {} });
  owner = { ...o, secret: secret.body.signingSecret };
  stranger = s;
}, 60_000);

afterAll(async () => {
  await cloud?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
});

async function createJob(body: Record<string, unknown>, token = owner.token) {
  const res = await api('POST', '/jobs', { token, body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { jobId: string; runAt?: string; nextRunAt?: string; status: string };
}

const callsTo = (path: string) => calls.filter((c) => c.path === path);
const jobOf = async (jobId: string) => (await api('GET', `/jobs/${jobId}`, { token: owner.token })).body;
const waitForStatus = (jobId: string, status: string, timeoutMs = 60_000) =>
  waitForResourceStatus(api, `/jobs/${jobId}`, owner.token, status, timeoutMs);

describe('webhook jobs', () => {
  it('should refuse a job on an account without a signing secret with 409 NO_SIGNING_SECRET', async () => {
    const res = await api('POST', '/jobs', {
      token: stranger.token,
      body: { runAt: new Date(Date.now() + 60_000).toISOString(), url: `${base}/never` },
    });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('NO_SIGNING_SECRET');
  });

  it(
    'should call on time, once per run: 20 one-off jobs, a moved one, a cancelled one, retries, a 404 and a recurring job',
    async () => {
      const start = Date.now();
      // 20 one-off jobs spread over two minutes: the near ones ride the queue, the far ones a schedule armed early.
      const spread = await Promise.all(
        Array.from({ length: 20 }, (_, n) =>
          createJob({
            runAt: new Date(start + 20_000 + n * 6_000).toISOString(),
            url: `${base}/spread`,
            payload: { n },
          }),
        ),
      );
      const moved = await createJob({ runAt: new Date(start + 30_000).toISOString(), url: `${base}/moved` });
      const cancelled = await createJob({ runAt: new Date(start + 35_000).toISOString(), url: `${base}/cancelled` });
      answers.set('/flaky', [503, 503, 200]);
      const flaky = await createJob({ runAt: new Date(start + 25_000).toISOString(), url: `${base}/flaky` });
      answers.set('/gone', [404]);
      const gone = await createJob({ runAt: new Date(start + 25_000).toISOString(), url: `${base}/gone` });
      const recurring = await createJob({ repeat: { cron: '* * * * *' }, url: `${base}/every-minute` });

      const newRunAt = new Date(start + 50_000).toISOString();
      const patched = await api('PATCH', `/jobs/${moved.jobId}`, { token: owner.token, body: { runAt: newRunAt } });
      expect(patched.status).toBe(200);
      expect(patched.body.runAt).toBe(newRunAt);
      expect((await api('DELETE', `/jobs/${cancelled.jobId}`, { token: owner.token })).body.status).toBe('CANCELLED');

      // Another account sees none of it.
      for (const [method, path, body] of [
        ['GET', `/jobs/${flaky.jobId}`, undefined],
        ['PATCH', `/jobs/${flaky.jobId}`, { runAt: newRunAt }],
        ['DELETE', `/jobs/${flaky.jobId}`, undefined],
        ['GET', `/jobs/${flaky.jobId}/runs`, undefined],
      ] as const) {
        const res = await api(method, path, { token: stranger.token, ...(body ? { body } : {}) });
        expect(res.status, `${method} ${path}`).toBe(404);
      }
      expect((await api('GET', '/jobs', { token: stranger.token })).body.items).toEqual([]);

      const lastRunAt = Date.parse(spread[19]?.runAt as string);
      const recurringFirst = Date.parse(recurring.nextRunAt as string);
      await sleep(Math.max(lastRunAt, recurringFirst + 120_000) + 3_000 - Date.now());

      const lags: number[] = [];
      for (const job of spread) {
        const mine = callsTo('/spread').filter((c) => c.jobId === job.jobId);
        expect(mine, job.jobId).toHaveLength(1);
        const call = mine[0] as Call;
        expect(call.signed).toBe(true);
        expect(call.idempotencyKey).toBe(`${job.jobId}:${job.runAt}`);
        lags.push(call.at - Date.parse(job.runAt as string));
      }
      console.log(`job lag over 20 one-off jobs: min ${Math.min(...lags)} ms, max ${Math.max(...lags)} ms`);
      for (const lag of lags) {
        expect(lag).toBeGreaterThanOrEqual(0);
        expect(lag).toBeLessThanOrEqual(MAX_LAG_MS);
      }
      for (const job of spread) expect((await jobOf(job.jobId)).status).toBe('SUCCEEDED');

      const movedCalls = callsTo('/moved');
      expect(movedCalls).toHaveLength(1);
      expect(movedCalls[0]?.runAt).toBe(newRunAt);
      expect((movedCalls[0]?.at ?? 0) - Date.parse(newRunAt)).toBeLessThanOrEqual(MAX_LAG_MS);
      expect(callsTo('/cancelled')).toHaveLength(0);

      const flakyCalls = callsTo('/flaky');
      expect(flakyCalls).toHaveLength(3);
      expect(new Set(flakyCalls.map((c) => c.idempotencyKey))).toEqual(new Set([`${flaky.jobId}:${flaky.runAt}`]));
      const flakyDone = await waitForStatus(flaky.jobId, 'SUCCEEDED');
      expect(flakyDone.finishedAt).toBeDefined();
      const flakyRuns = (await api('GET', `/jobs/${flaky.jobId}/runs`, { token: owner.token })).body.items;
      expect(flakyRuns).toMatchObject([{ runAt: flaky.runAt, status: 'SUCCEEDED', attempts: 3, httpStatus: 200 }]);

      expect(callsTo('/gone')).toHaveLength(1);
      expect(await jobOf(gone.jobId)).toMatchObject({ status: 'FAILED', failureReason: 'HTTP_404' });
      const goneRuns = (await api('GET', `/jobs/${gone.jobId}/runs`, { token: owner.token })).body.items;
      expect(goneRuns).toMatchObject([{ status: 'FAILED', attempts: 1, httpStatus: 404, reason: 'HTTP_404' }]);

      const minutes = callsTo('/every-minute');
      expect(minutes.length).toBeGreaterThanOrEqual(3);
      const runAts = minutes.map((c) => c.runAt);
      expect(new Set(runAts).size).toBe(runAts.length);
      expect(runAts.slice(0, 3)).toEqual([0, 1, 2].map((m) => new Date(recurringFirst + m * 60_000).toISOString()));
      const runs = (await api('GET', `/jobs/${recurring.jobId}/runs`, { token: owner.token })).body.items as {
        runAt: string;
        status: string;
      }[];
      // Newest first.
      expect(runs.slice(-3).map((r) => r.runAt)).toEqual(runAts.slice(0, 3).reverse());
      expect(runs.every((r) => r.status === 'SUCCEEDED')).toBe(true);
      const paused = await api('PATCH', `/jobs/${recurring.jobId}`, { token: owner.token, body: { paused: true } });
      expect(paused.body).toMatchObject({ status: 'PAUSED' });
      expect(paused.body.nextRunAt).toBeUndefined();
    },
    6 * 60_000,
  );
});
