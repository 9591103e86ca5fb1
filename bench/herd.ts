// The 09:00 herd: N alarms on permanent accounts, all due at one second, created through the API of one
// local cloud with the Scheduler's 60 s firing window on (the default), against an FCM stand-in that
// answers each send in a set time. Prints push lag (FCM arrival − fireAt), pushes per alarm, drain rate
// and DynamoDB requests per alarm on the send path; `--peer bullmq` runs the same herd on BullMQ + Redis
// (worker concurrency 50, same FCM stand-in, same sender) beside it and prints the ratio.
import { type ChildProcess, fork, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dynamo } from '../lambdas/shared/clients/dynamo.ts';
import { TABLE } from '../lib/definitions.ts';
import { type LocalCloud, startLocalCloud } from '../local/cloud.ts';
import type { FcmQuestion } from './fcm-process.ts';

const ALARMS_PER_ACCOUNT = 100;
const CREATE_CONCURRENCY = 16;
/** Assumed creation pace when choosing the herd's second (this machine's API does ~150 alarms/s). */
const ASSUMED_CREATES_PER_SECOND = 60;
/** Due this long after creation is expected to end: more than a schedule's lead, so the window applies. */
const LEAD_AFTER_CREATION_MS = 80_000;
const DRAIN_TIMEOUT_MS = 180_000;
const WARM_UP_ALARMS = 300;
/** The warm-up herd is due soon after creation: straight on the queue, no schedule. */
const WARM_UP_LEAD_MS = 5_000;
const BULLMQ_CONCURRENCY = 50;

export interface HerdOptions {
  readonly sizes: readonly number[];
  readonly peer?: 'bullmq';
  readonly fcmLatencyMs: number;
}

interface HerdResult {
  readonly system: string;
  readonly alarms: number;
  readonly pushed: number;
  readonly lags: number[];
  readonly pushesPerAlarm: number;
  readonly drainSeconds: number;
  readonly dynamoRequestsPerAlarm?: number;
  readonly load: string;
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
const seconds = (ms: number) => (ms / 1000).toFixed(2);
const loadNow = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');

async function inBatches<T>(count: number, concurrency: number, work: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await work(i);
      }
    }),
  );
  return out;
}

async function post(url: string, token: string, body: unknown): Promise<{ status: number; body: unknown }> {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json: unknown = await res.json();
    if (res.status < 500 || attempt >= 3) return { status: res.status, body: json };
  }
}

/** The FCM stand-in, in a process of its own (bench/fcm-process.ts), as Google's servers are. */
interface RemoteFcm {
  readonly baseUrl: string;
  readonly credentialsFile: string;
  /** How many devices whose token starts with `prefix` received a push. */
  seen(prefix: string): Promise<number>;
  /** Arrival times (epoch ms) per device token starting with `prefix`. */
  times(prefix: string): Promise<Map<string, number[]>>;
  connections(): Promise<number>;
  stop(): Promise<void>;
}

async function startRemoteFcm(sendLatencyMs: number): Promise<RemoteFcm> {
  const child = fork(fileURLToPath(new URL('./fcm-process.ts', import.meta.url)), [String(sendLatencyMs)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<number, (answer: unknown) => void>();
  child.on('message', (m: { id: number; answer: unknown }) => {
    waiting.get(m.id)?.(m.answer);
    waiting.delete(m.id);
  });
  const ready = new Promise<unknown>((resolve) => waiting.set(0, resolve));
  let next = 1;
  const ask = <T>(query: FcmQuestion): Promise<T> =>
    new Promise<T>((resolve) => {
      const id = next++;
      waiting.set(id, resolve as (answer: unknown) => void);
      child.send({ ...query, id });
    });
  const { baseUrl, credentialsFile } = (await ready) as { baseUrl: string; credentialsFile: string };
  return {
    baseUrl,
    credentialsFile,
    seen: (prefix) => ask<number>({ type: 'seen', prefix }),
    times: async (prefix) => new Map(Object.entries(await ask<Record<string, number[]>>({ type: 'times', prefix }))),
    connections: () => ask<number>({ type: 'connections' }),
    stop: async () => {
      await ask({ type: 'stop' });
    },
  };
}

async function waitForPushes(fcm: RemoteFcm, prefix: string, count: number, deadline: number) {
  while ((await fcm.seen(prefix)) < count && Date.now() <= deadline) await new Promise((r) => setTimeout(r, 250));
}

function summarize(
  system: string,
  devices: readonly string[],
  dueAt: number,
  got: ReadonlyMap<string, number[]>,
  extra: Partial<HerdResult>,
): HerdResult {
  const lags: number[] = [];
  let pushes = 0;
  for (const d of devices) {
    const times = got.get(d) ?? [];
    pushes += times.length;
    if (times.length > 0) lags.push(Math.min(...times) - dueAt);
  }
  lags.sort((a, b) => a - b);
  const gaps = devices
    .map((d) => (got.get(d) ?? []).sort((a, b) => a - b))
    .filter((t) => t.length > 1)
    .map((t) => (t[1] ?? 0) - (t[0] ?? 0))
    .sort((a, b) => a - b);
  if (gaps.length > 0) {
    console.log(
      `  ${system}: ${gaps.length} alarms pushed more than once; gap between first two pushes p50 ${seconds(percentile(gaps, 50))} s, min ${seconds(gaps[0] ?? 0)} s, max ${seconds(gaps.at(-1) ?? 0)} s`,
    );
  }
  return {
    system,
    alarms: devices.length,
    pushed: lags.length,
    lags,
    pushesPerAlarm: pushes / devices.length,
    drainSeconds: Math.max(0, lags.at(-1) ?? 0) / 1000,
    load: loadNow(),
    ...extra,
  };
}

async function ourHerd(
  cloud: LocalCloud,
  fcm: RemoteFcm,
  size: number,
  counter: { requests: number },
  leadAfterCreationMs: number = LEAD_AFTER_CREATION_MS,
) {
  const api = cloud.apiUrl;
  const accounts = await inBatches(Math.ceil(size / ALARMS_PER_ACCOUNT), CREATE_CONCURRENCY, async (i) => {
    const res = await post(`${api}/accounts`, cloud.adminToken, { nickname: `herd-${i}` });
    return (res.body as { token: string }).token;
  });
  const createdBy = Date.now() + (size / ASSUMED_CREATES_PER_SECOND) * 1000 + leadAfterCreationMs;
  const dueAt = Math.ceil(createdBy / 1000) * 1000;
  const run = `${size}-${Date.now()}`;
  const devices = Array.from({ length: size }, (_, i) => `herd-${run}-${i}`);
  const createStart = Date.now();
  await inBatches(size, CREATE_CONCURRENCY, async (i) => {
    const res = await post(`${api}/alarms`, accounts[Math.floor(i / ALARMS_PER_ACCOUNT)] as string, {
      fireAt: new Date(dueAt).toISOString(),
      title: 'Good morning',
      body: 'It is 9:00',
      deviceToken: devices[i],
    });
    if (res.status !== 201) throw new Error(`alarm creation answered ${res.status}: ${JSON.stringify(res.body)}`);
  });
  const created = Date.now();
  if (created > dueAt - 10_000) console.warn(`  (creation ended only ${seconds(dueAt - created)} s before due)`);
  const requestsBefore = counter.requests;
  const prefix = `herd-${run}-`;
  await waitForPushes(fcm, prefix, size, dueAt + DRAIN_TIMEOUT_MS);
  await new Promise((r) => setTimeout(r, 3000)); // duplicates, if any, would come now
  const result = summarize('this backend', devices, dueAt, await fcm.times(prefix), {
    dynamoRequestsPerAlarm: (counter.requests - requestsBefore) / size,
  });
  console.log(
    `  ours ${size}: created in ${seconds(created - createStart)} s, due ${seconds(dueAt - created)} s later; load ${result.load}`,
  );
  return result;
}

// ---- BullMQ + Redis, the peer -------------------------------------------------------------------------------

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function startRedis(): Promise<{ port: number; process: ChildProcess }> {
  if (spawnSync('redis-server', ['--version']).error) {
    throw new Error(
      'redis-server is not on PATH; install it (Debian/Ubuntu: apt-get install -y redis-server) to run --peer bullmq',
    );
  }
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const ping = spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' });
      resolve(ping.stdout?.trim() === 'PONG');
    });
    if (up) return { port, process: child };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error('redis-server did not answer PING');
}

async function bullmqHerd(fcm: RemoteFcm, size: number, redisPort: number): Promise<HerdResult> {
  const { Queue, Worker } = await import('bullmq');
  // The same sender as the push consumer: the same FCM stand-in, auth and connection reuse.
  const { sendPush } = await import('../lambdas/alarms/fcm-client.ts');
  const connection = { host: '127.0.0.1', port: redisPort, maxRetriesPerRequest: null };
  const name = `herd-${size}-${Date.now()}`;
  const queue = new Queue(name, { connection });
  const run = `${name}`;
  const devices = Array.from({ length: size }, (_, i) => `bull-${run}-${i}`);
  const dueAt = Math.ceil((Date.now() + 20_000 + size) / 1000) * 1000;
  const worker = new Worker(
    name,
    async (job) => {
      const data = job.data as { deviceToken: string; alarmId: string };
      const result = await sendPush({
        alarmId: data.alarmId,
        deviceToken: data.deviceToken,
        title: 'Good morning',
        body: 'It is 9:00',
        data: {},
      });
      if (result.kind !== 'accepted') throw new Error(result.kind);
    },
    { connection, concurrency: BULLMQ_CONCURRENCY },
  );
  try {
    for (let i = 0; i < size; i += 500) {
      const now = Date.now();
      await queue.addBulk(
        devices.slice(i, i + 500).map((deviceToken, n) => ({
          name: 'push',
          data: { deviceToken, alarmId: `${run}-${i + n}` },
          opts: { delay: dueAt - now, removeOnComplete: true },
        })),
      );
    }
    const prefix = `bull-${run}-`;
    await waitForPushes(fcm, prefix, size, dueAt + DRAIN_TIMEOUT_MS);
    await new Promise((r) => setTimeout(r, 3000));
    return summarize(`BullMQ (concurrency ${BULLMQ_CONCURRENCY})`, devices, dueAt, await fcm.times(prefix), {});
  } finally {
    await worker.close();
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
  }
}

// ---- The table ----------------------------------------------------------------------------------------------

function row(r: HerdResult, peer?: HerdResult): string {
  const cells = [
    r.system,
    r.alarms.toLocaleString('en-US'),
    `${r.pushed.toLocaleString('en-US')}`,
    seconds(percentile(r.lags, 50)),
    seconds(percentile(r.lags, 90)),
    seconds(percentile(r.lags, 99)),
    seconds(r.lags.at(-1) ?? Number.NaN),
    r.pushesPerAlarm.toFixed(3),
    r.drainSeconds > 0 ? Math.round(r.pushed / r.drainSeconds).toString() : '-',
    r.dynamoRequestsPerAlarm === undefined ? '-' : r.dynamoRequestsPerAlarm.toFixed(2),
    peer ? (percentile(peer.lags, 99) / percentile(r.lags, 99)).toFixed(2) : '-',
    r.load,
  ];
  return `| ${cells.join(' | ')} |`;
}

export async function benchHerd(options: HerdOptions): Promise<string> {
  const fcm = await startRemoteFcm(options.fcmLatencyMs);
  const counter = { requests: 0 };
  dynamo.middlewareStack.add(
    (next) => async (args) => {
      // The send path never queries the due index: a sweeper pass (3 kinds × 49 hour buckets) that falls
      // in the window is not the herd's cost.
      if ((args.input as { IndexName?: string }).IndexName !== TABLE.indexes.due.name) counter.requests++;
      return next(args);
    },
    { step: 'initialize', name: 'herdBenchCounter' },
  );
  let redis: { port: number; process: ChildProcess } | undefined;
  const lines = [
    `Herd bench, ${new Date().toISOString()}, ${cpus().length} cores, FCM stand-in answering in ${options.fcmLatencyMs} ms, Scheduler firing window 60 s.`,
    "The FCM stand-in runs in a process of its own, as FCM is not on the sender's machine. Lag = FCM arrival − fireAt (s); drain = pushes per second up to the last one; ratio = peer p99 ÷ ours; load = 1/5/15-min load average at the end.",
    '',
    '| system | alarms | pushed | p50 s | p90 s | p99 s | max s | pushes/alarm | drain /s | DynamoDB req/alarm | peer p99 ÷ ours | load |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  let cloud: LocalCloud | undefined;
  try {
    cloud = await startLocalCloud({ port: 0, fcmBaseUrl: fcm.baseUrl, fcmCredentialsFile: fcm.credentialsFile });
    if (options.peer === 'bullmq') redis = await startRedis();
    // Both systems warm (V8's JIT, DynamoDB Local's JVM, Redis, connections), as a service that runs all
    // day is at 9:00: a small herd each, due soon, not reported.
    console.log(`warm-up: ${WARM_UP_ALARMS} alarms each, not reported`);
    await ourHerd(cloud, fcm, WARM_UP_ALARMS, counter, WARM_UP_LEAD_MS);
    if (redis) await bullmqHerd(fcm, WARM_UP_ALARMS, redis.port);
    for (const size of options.sizes) {
      console.log(`herd of ${size}: load before ${loadNow()}`);
      const ours = await ourHerd(cloud, fcm, size, counter);
      const peer = redis ? await bullmqHerd(fcm, size, redis.port) : undefined;
      lines.push(row(ours, peer));
      if (peer) lines.push(row(peer));
      console.log(lines.at(peer ? -2 : -1));
      if (peer) console.log(lines.at(-1));
    }
    lines.push(
      '',
      `FCM connections opened in all: ${await fcm.connections()} (keep-alive: a few per sender, not one per push).`,
    );
  } finally {
    await cloud?.stop();
    redis?.process.kill();
    await fcm.stop();
  }
  return lines.join('\n');
}
