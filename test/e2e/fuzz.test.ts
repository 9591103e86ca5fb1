// Malformed requests across every route: each answer is a 4xx in the error shape, and nothing is written.

import { request } from 'node:http';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { ListSchedulesCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV, ROUTES } from '../../lib/definitions.ts';
import { type LocalCloud, startLocalCloud } from '../../local/cloud.ts';
import { apiClient } from '../support/http.ts';

const REQUESTS = 1200;
/** Routes that take no input at all answer 200 to anything; everything else is fuzzed. */
const FUZZED = ROUTES.filter((r) => r !== 'GET /health' && r !== 'GET /openapi.json');

let cloud: LocalCloud;
let accountToken: string;
let studyId: string;

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
function prng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BAD_SEGMENTS = [
  '..%2F..%2Fetc',
  '%00',
  '%E0%A4%A',
  'x'.repeat(5000),
  '-1',
  '0',
  '1e309',
  '%F0%9F%92%A9',
  'null',
  '../',
];
const BAD_BODIES: (string | Buffer)[] = [
  '{',
  '[]',
  'null',
  '"text"',
  '{"fireAt": 5}',
  '{"fireAt":"2020-01-01T00:00:00Z","title":"","body":1,"deviceToken":""}',
  '{"fireAt":"not a date","title":"t","body":"b","deviceToken":"d"}',
  `{"fireAt":"2999-01-01T00:00:00Z","title":"t","body":"b","deviceToken":"d"}`,
  `{"title":"${'x'.repeat(300)}"}`,
  '{"data":{"k":1}}',
  '{"nickname":123}',
  '{"nickname":""}',
  '{"name":"","autoAttendance":"yes"}',
  '{"name":"s","autoAttendance":true,"absencePenalty":-5}',
  '{"week":0,"startsAt":"2026-01-08T00:00:00Z","endsAt":"2026-01-01T00:00:00Z"}',
  '{"week":1.5}',
  '{"accountId":""}',
  '{"at":"yesterday"}',
  '{"unexpected":true}',
  Buffer.from([0xff, 0xfe, 0xfd, 0x7b, 0x7d]),
  Buffer.from('{"nickname":"\u0000"}'),
  '{"__proto__":{"admin":true}}',
];

function send(method: string, path: string, body: string | Buffer | undefined, token: string | undefined) {
  const url = new URL(cloud.apiUrl);
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

async function snapshot(): Promise<string> {
  const db = new DynamoDBClient({});
  const out = await db.send(new ScanCommand({ TableName: process.env[ENV.tableName] }));
  const items = (out.Items ?? []).map((i) => JSON.stringify(i)).sort();
  const scheduler = new SchedulerClient({});
  const schedules = await scheduler.send(new ListSchedulesCommand({}));
  return JSON.stringify({ items, schedules: (schedules.Schedules ?? []).map((s) => s.Name).sort() });
}

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  const api = apiClient(cloud.apiUrl);
  const account = await api('POST', '/accounts', { token: cloud.adminToken, body: { nickname: 'fuzz-owner' } });
  accountToken = account.body.token;
  const study = await api('POST', '/studies', {
    token: accountToken,
    body: { name: 'fuzz study', autoAttendance: true },
  });
  studyId = study.body?.studyId ?? 'missing';
});

afterAll(async () => {
  await cloud?.stop();
});

describe('malformed requests', () => {
  it(`across all routes (${REQUESTS} of them) never get a 5xx and change nothing`, async () => {
    const before = await snapshot();
    const random = prng(20261122);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
    const failures: string[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const [method = 'GET', template = '/'] = pick(FUZZED).split(' ');
      const path = template
        .split('/')
        .map((seg) =>
          seg.startsWith('{') ? (random() < 0.2 && seg === '{studyId}' ? studyId : pick(BAD_SEGMENTS)) : seg,
        )
        .join('/');
      // A route with nothing to break but its token (e.g. DELETE /accounts/me) only gets bad tokens.
      const nothingElseToBreak = !template.includes('{') && (method === 'GET' || method === 'DELETE');
      const goodTokens = nothingElseToBreak ? [] : [accountToken, cloud.adminToken];
      const token = pick([undefined, ...goodTokens, 'x'.repeat(5000), 'sbt_forged', '\u00e9t\u00e9']);
      const body = method === 'GET' || method === 'DELETE' ? undefined : pick(BAD_BODIES);
      const verb = random() < 0.1 ? pick(['PUT', 'OPTIONS', 'TRACE', 'PATCH']) : method;
      const res = await send(verb, path, body, token && /^[\x20-\x7e]*$/.test(token) ? token : undefined);
      if (res.status >= 500 || res.status < 400)
        failures.push(`${verb} ${path.slice(0, 80)} -> ${res.status} ${res.body.slice(0, 200)}`);
      else {
        const parsed = JSON.parse(res.body);
        if (typeof parsed?.error?.code !== 'string' || !Array.isArray(parsed.error.details))
          failures.push(`${verb} ${path} bad shape`);
      }
    }
    expect(failures).toEqual([]);
    expect(await snapshot()).toBe(before);
  });
});
