// Idempotent creation end to end: retried POSTs through the local API, DynamoDB Local, the Scheduler
// emulator, SQS and the FCM stand-in: one key, one alarm, one push.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../local/cloud.ts';
import type { FcmStandIn } from '../../local/fcm/fcm.ts';
import { type JsonResponse, waitFor } from '../support/http.ts';

let cloud: LocalCloud;
let fcm: FcmStandIn;
let alice: { accountId: string; token: string };
let bob: { accountId: string; token: string };

/** A POST to the local API, optionally with an Idempotency-Key and from another loopback address. */
function post(
  path: string,
  options: { token?: string; key?: string; body?: unknown; from?: string } = {},
): Promise<JsonResponse> {
  const url = new URL(path, cloud.apiUrl);
  const payload = JSON.stringify(options.body ?? {});
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(payload)),
  };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.key !== undefined) headers['idempotency-key'] = options.key;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers, localAddress: options.from },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers))
            if (typeof value === 'string') responseHeaders.set(name, value);
          resolve({ status: res.statusCode ?? 0, headers: responseHeaders, body: text ? JSON.parse(text) : undefined });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function get(path: string, token: string): Promise<JsonResponse['body']> {
  const res = await fetch(new URL(path, cloud.apiUrl), { headers: { authorization: `Bearer ${token}` } });
  return res.json();
}

const replayed = (res: JsonResponse) => res.headers.get('idempotent-replayed') === 'true';

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0, demoRateLimitPerMinute: 1000 });
  if (!cloud.fcm) throw new Error('the local cloud runs without its FCM stand-in');
  fcm = cloud.fcm;
  const account = async (nickname: string) => {
    const res = await post('/accounts', { token: cloud.adminToken, body: { nickname } });
    return { accountId: res.body.accountId as string, token: res.body.token as string };
  };
  [alice, bob] = await Promise.all([account('alice'), account('bob')]);
});

afterAll(async () => {
  await cloud?.stop();
});

const alarm = (title: string, fireAt: number, deviceToken = `device-${title}`) => ({
  fireAt: new Date(fireAt).toISOString(),
  title,
  body: 'Retried',
  deviceToken,
});
const HOUR = 3_600_000;

async function alarmsTitled(token: string, title: string) {
  const page = await get('/alarms?limit=100', token);
  return (page.items as { title: string; alarmId: string }[]).filter((a) => a.title === title);
}

describe('POST /alarms retried with one Idempotency-Key', () => {
  it('books one alarm and makes one push for three sends, two of them at the same moment', async () => {
    const body = alarm('retried', Date.now() + 3000);
    const send = () => post('/alarms', { token: alice.token, key: 'retry-alarm-1', body });
    const answers = [...(await Promise.all([send(), send()])), await send()];

    const created = answers.filter((a) => a.status === 201 && !replayed(a));
    expect(created, JSON.stringify(answers.map((a) => [a.status, a.body]))).toHaveLength(1);
    const first = created[0] as JsonResponse;
    for (const answer of answers) {
      if (answer === first) continue;
      if (answer.status === 409) {
        expect(answer.body.error.code).toBe('IDEMPOTENCY_KEY_IN_USE');
        continue;
      }
      expect(answer.status).toBe(201);
      expect(replayed(answer)).toBe(true);
      expect(answer.body).toEqual(first.body);
      expect(answer.headers.get('location')).toBe(first.headers.get('location'));
    }
    // Only the overlapping pair may have met the first in progress; the third came after it was done.
    expect(answers.filter((a) => a.status === 409).length).toBeLessThanOrEqual(1);
    expect(answers[2]?.status).toBe(201);

    expect(await alarmsTitled(alice.token, 'retried')).toHaveLength(1);
    // The Scheduler may fire anywhere in the minute it names (as AWS does).
    await waitFor(
      async () => ((await get(`/alarms/${first.body.alarmId}`, alice.token)).status === 'SENT' ? true : undefined),
      90_000,
      250,
    );
    expect(fcm.received.filter((p) => p.deviceToken === body.deviceToken)).toHaveLength(1);
  }, 120_000);

  it('answers 422 IDEMPOTENCY_KEY_REUSED to the same key with another body, and books nothing', async () => {
    const first = await post('/alarms', {
      token: alice.token,
      key: 'retry-alarm-2',
      body: alarm('reused', Date.now() + HOUR),
    });
    expect(first.status).toBe(201);
    const other = await post('/alarms', {
      token: alice.token,
      key: 'retry-alarm-2',
      body: alarm('other', Date.now() + HOUR),
    });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await alarmsTitled(alice.token, 'other')).toHaveLength(0);
  });

  it('books two alarms for two sends without a key', async () => {
    const body = alarm('keyless', Date.now() + HOUR);
    const answers = await Promise.all([
      post('/alarms', { token: alice.token, body }),
      post('/alarms', { token: alice.token, body }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([201, 201]);
    expect(await alarmsTitled(alice.token, 'keyless')).toHaveLength(2);
  });

  it('gives another account using the same key its own alarm', async () => {
    const body = alarm('shared-key', Date.now() + HOUR);
    const mine = await post('/alarms', { token: alice.token, key: 'shared-key-1', body });
    const theirs = await post('/alarms', { token: bob.token, key: 'shared-key-1', body });
    expect(theirs.status).toBe(201);
    expect(replayed(theirs)).toBe(false);
    expect(theirs.body.alarmId).not.toBe(mine.body.alarmId);
    expect(await alarmsTitled(bob.token, 'shared-key')).toHaveLength(1);
    expect(await alarmsTitled(alice.token, 'shared-key')).toHaveLength(1);
  });
});

describe('POST /demo-accounts retried with one Idempotency-Key', () => {
  it('makes one demo account for three sends from one address, two at once, and replays its token', async () => {
    const send = () => post('/demo-accounts', { key: 'signup-1', body: { nickname: 'retrier' } });
    const answers = [...(await Promise.all([send(), send()])), await send()];
    const created = answers.filter((a) => a.status === 201 && !replayed(a));
    expect(created).toHaveLength(1);
    const first = created[0] as JsonResponse;
    for (const answer of answers) {
      if (answer === first || answer.status === 409) continue;
      expect(answer.status).toBe(201);
      expect(answer.body).toEqual(first.body);
    }
    expect(answers.filter((a) => a.status === 409).length).toBeLessThanOrEqual(1);
    // The replayed token is the account's, and works.
    expect((await get('/accounts/me', first.body.token)).accountId).toBe(first.body.accountId);
  });

  it('answers 422 to the same key with another body', async () => {
    await post('/demo-accounts', { key: 'signup-2', body: { nickname: 'one' } });
    const other = await post('/demo-accounts', { key: 'signup-2', body: { nickname: 'two' } });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('makes two demo accounts for two sends without a key', async () => {
    const [a, b] = await Promise.all([post('/demo-accounts'), post('/demo-accounts')]);
    expect([a?.status, b?.status]).toEqual([201, 201]);
    expect(a?.body.accountId).not.toBe(b?.body.accountId);
  });

  it('gives another client address using the same key its own demo account', async () => {
    const here = await post('/demo-accounts', { key: 'signup-3' });
    const there = await post('/demo-accounts', { key: 'signup-3', from: '127.0.0.2' });
    expect(there.status).toBe(201);
    expect(replayed(there)).toBe(false);
    expect(there.body.accountId).not.toBe(here.body.accountId);
  });
});

describe('POST /jobs retried with one Idempotency-Key', () => {
  const job = (tag: string) => ({
    runAt: new Date(Date.now() + HOUR).toISOString(),
    url: 'http://127.0.0.1:9/close-room',
    payload: { tag },
  });
  const jobsTagged = async (token: string, tag: string) =>
    ((await get('/jobs?limit=100', token)).items as { payload: { tag?: string } }[]).filter(
      (j) => j.payload.tag === tag,
    );

  beforeAll(async () => {
    for (const who of [alice, bob])
      expect((await post('/accounts/me/signing-secret', { token: who.token })).status).toBe(201);
  });

  it('books one job for three sends, two at once; another body is 422; another account gets its own', async () => {
    const body = job('retried-job');
    const send = () => post('/jobs', { token: alice.token, key: 'job-key-1', body });
    const answers = [...(await Promise.all([send(), send()])), await send()];
    const created = answers.filter((a) => a.status === 201 && !replayed(a));
    expect(created).toHaveLength(1);
    for (const a of answers.filter((x) => x !== created[0])) {
      if (a.status === 409) expect(a.body.error.code).toBe('IDEMPOTENCY_KEY_IN_USE');
      else
        expect({ status: a.status, body: a.body, replayed: replayed(a) }).toEqual({
          status: 201,
          body: created[0]?.body,
          replayed: true,
        });
    }
    expect(await jobsTagged(alice.token, 'retried-job')).toHaveLength(1);

    const other = await post('/jobs', { token: alice.token, key: 'job-key-1', body: job('other-body') });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await jobsTagged(alice.token, 'other-body')).toHaveLength(0);

    const theirs = await post('/jobs', { token: bob.token, key: 'job-key-1', body });
    expect(theirs.status).toBe(201);
    expect(theirs.body.jobId).not.toBe(created[0]?.body.jobId);
  });

  it('books two jobs for two sends without a key', async () => {
    const body = job('keyless-job');
    expect((await post('/jobs', { token: alice.token, body })).status).toBe(201);
    expect((await post('/jobs', { token: alice.token, body })).status).toBe(201);
    expect(await jobsTagged(alice.token, 'keyless-job')).toHaveLength(2);
  });
});
