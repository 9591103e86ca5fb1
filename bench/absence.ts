// The absence batch over N participants on DynamoDB Local, through the real path: admin API -> absence
// queue (the local cloud's SQS) -> mark-absentees (fan-out per week, one chunk per page of 500) -> one
// transaction per absentee. Reports wall time, DynamoDB requests and consumed capacity per absentee.
// The data is seeded with BatchWriteItem as the API would leave it once everyone accepted their
// invitation (weeks that have ended can no longer be added through the API).

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { batchesOf, inParallel, sleep } from '../lambdas/shared/async.ts';
import { dynamo } from '../lambdas/shared/clients/dynamo.ts';
import { type LocalCloud, startLocalCloud } from '../local/cloud.ts';

const PER_WEEK = 100; // 1,000,000 participants across 10,000 weeks is 100 a week
const DAY = 86_400_000;

interface Case {
  readonly participants: number;
  readonly perWeek: number;
}

/** The night's shape at two sizes, and one big week (20 pages of 500, worked on side by side). */
const DEFAULT_CASES: readonly Case[] = [
  { participants: 10_000, perWeek: PER_WEEK },
  { participants: 100_000, perWeek: PER_WEEK },
  { participants: 10_000, perWeek: 10_000 },
];

interface Counters {
  requests: number;
  capacity: number;
}

function countRequests(counters: Counters): void {
  dynamo.middlewareStack.add(
    (next) => async (args) => {
      counters.requests++;
      const input = args.input as Record<string, unknown>;
      input.ReturnConsumedCapacity ??= 'TOTAL';
      const out = await next(args);
      const consumed = (out.output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
      for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
        counters.capacity += Number((c as { CapacityUnits?: number }).CapacityUnits ?? 0);
      }
      return out;
    },
    { step: 'initialize', name: 'benchCounter' },
  );
}

/** `prefix` keeps each case's studies and accounts apart in the one table. */
async function seed(
  db: DynamoDBDocumentClient,
  table: string,
  { participants, perWeek }: Case,
  at: number,
  prefix: string,
): Promise<void> {
  const items: Record<string, unknown>[] = [];
  const weeks = Math.ceil(participants / perWeek);
  const endsAt = new Date(at - DAY).toISOString();
  const joinedBefore = new Date(at - 9 * DAY).toISOString();
  for (let w = 0; w < weeks; w++) {
    const studyId = `${prefix}STUDY${String(w).padStart(16, '0')}`;
    items.push({
      pk: `STUDY#${studyId}`,
      sk: 'META',
      studyId,
      name: 'bench',
      ownerId: 'OWNER',
      autoAttendance: true,
      absencePenalty: 5,
      createdAt: endsAt,
    });
    items.push({
      pk: `STUDY#${studyId}`,
      sk: 'WEEK#000001',
      studyId,
      week: 1,
      startsAt: new Date(at - 8 * DAY).toISOString(),
      endsAt,
      weekEndPk: `WEEKEND#${endsAt.slice(0, 10)}`,
    });
    for (let p = 0; p < perWeek && w * perWeek + p < participants; p++) {
      const accountId = `${prefix}ACCT${String(w * perWeek + p).padStart(17, '0')}`;
      // An accepted invitation, accepted before the week ended: the batch judges only such participants.
      items.push({ pk: `STUDY#${studyId}`, sk: `MEMBER#${accountId}`, studyId, accountId, joinedAt: joinedBefore });
      items.push({ pk: `ACCOUNT#${accountId}`, sk: `MEMBER_OF#${studyId}`, studyId });
      items.push({
        pk: `ACCOUNT#${accountId}`,
        sk: 'PROFILE',
        accountId,
        nickname: 'b',
        demo: false,
        score: 100,
        createdAt: endsAt,
      });
    }
  }
  // Its own client and loop (not the product's batchWrite), so the seeding is not counted as the run's requests.
  await inParallel(batchesOf(items, 25), 8, async (batch) => {
    let pending: Record<string, unknown>[] | undefined = batch.map((Item) => ({ PutRequest: { Item } }));
    while (pending && pending.length > 0) {
      const out = await db.send(new BatchWriteCommand({ RequestItems: { [table]: pending as never } }));
      pending = out.UnprocessedItems?.[table] as Record<string, unknown>[] | undefined;
    }
  });
}

async function runOnce(cloud: LocalCloud, seeder: DynamoDBDocumentClient, bench: Case, index: number): Promise<string> {
  const { participants } = bench;
  // Each case ten days before the one before it: the two-day windows never overlap.
  const at = Date.now() - index * 10 * DAY;
  const seedStart = performance.now();
  await seed(seeder, cloud.tableName, bench, at, `BENCH${index}`);
  const seedSeconds = (performance.now() - seedStart) / 1000;

  const counters: Counters = { requests: 0, capacity: 0 };
  countRequests(counters);
  const headers = { authorization: `Bearer ${cloud.adminToken}`, 'content-type': 'application/json' };
  const start = performance.now();
  const res = await fetch(`${cloud.apiUrl}/admin/absence-runs`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ at: new Date(at).toISOString() }),
  });
  const { runId } = (await res.json()) as { runId: string };
  let run: { status: string; absences: number; weeks: number } = { status: 'RUNNING', absences: 0, weeks: 0 };
  while (run.status === 'RUNNING') {
    await sleep(200);
    const answer = await fetch(`${cloud.apiUrl}/admin/absence-runs/${runId}`, { headers });
    // A busy local API may answer 5xx now and then: poll again rather than misread the error.
    if (answer.ok) run = (await answer.json()) as typeof run;
    else if (answer.status < 500) throw new Error(`GET run answered ${answer.status}: ${await answer.text()}`);
    else console.error(`GET run answered ${answer.status}: ${await answer.text()}`);
  }
  const seconds = (performance.now() - start) / 1000;
  dynamo.middlewareStack.remove('benchCounter');
  const record = await seeder.send(
    new GetCommand({ TableName: cloud.tableName, Key: { pk: `RUN#${runId}`, sk: 'RUN' } }),
  );
  const chunks = Number(record.Item?.doneChunks ?? 0);
  const per = (n: number) => (run.absences > 0 ? (n / run.absences).toFixed(2) : '-');
  return `| ${participants.toLocaleString('en')} | ${run.weeks.toLocaleString('en')} | ${chunks.toLocaleString('en')} | ${run.status} | ${run.absences.toLocaleString('en')} | ${seconds.toFixed(1)} | ${Math.round(run.absences / seconds)} | ${counters.requests.toLocaleString('en')} | ${per(counters.requests)} | ${per(counters.capacity)} | ${seedSeconds.toFixed(0)} |`;
}

/** `sizes`: participants at 100 a week; without them, the default cases. */
export async function benchAbsence(sizes: readonly number[] = []): Promise<string> {
  const cases = sizes.length > 0 ? sizes.map((participants) => ({ participants, perWeek: PER_WEEK })) : DEFAULT_CASES;
  const rows = [
    '| participants | weeks | chunks | run | absences | wall s | absentees/s | DynamoDB requests | requests/absentee | capacity units/absentee | seed s |',
    '| ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  // One local cloud for every case: the handlers' SDK clients are created once per process and keep the
  // endpoint of the first DynamoDB Local they met.
  const cloud = await startLocalCloud({ port: 0 });
  const seeder = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  try {
    for (const [index, bench] of cases.entries()) rows.push(await runOnce(cloud, seeder, bench, index));
  } finally {
    seeder.destroy();
    await cloud.stop();
  }
  return rows.join('\n');
}
