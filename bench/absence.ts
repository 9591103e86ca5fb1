// The absence batch over N participants on DynamoDB Local, through the real path: admin API -> absence
// queue -> mark-absentees (fan-out per week) -> one transaction per absentee. Reports wall time,
// DynamoDB requests and consumed capacity per absentee.
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dynamo } from '../lambdas/shared/clients.ts';
import { startLocalCloud } from '../local/cloud.ts';

const PER_WEEK = 100; // 1,000,000 participants across 10,000 weeks is 100 a week
const DAY = 86_400_000;

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

async function seed(db: DynamoDBDocumentClient, table: string, participants: number, at: number): Promise<void> {
  const items: Record<string, unknown>[] = [];
  const weeks = Math.ceil(participants / PER_WEEK);
  const endsAt = new Date(at - DAY).toISOString();
  for (let w = 0; w < weeks; w++) {
    const studyId = `BENCHSTUDY${String(w).padStart(16, '0')}`;
    items.push({ pk: `STUDY#${studyId}`, sk: 'META', studyId, name: 'bench', ownerId: 'OWNER', autoAttendance: true, absencePenalty: 5, createdAt: endsAt });
    items.push({
      pk: `STUDY#${studyId}`,
      sk: 'WEEK#000001',
      studyId,
      week: 1,
      startsAt: new Date(at - 8 * DAY).toISOString(),
      endsAt,
      weekEndPk: `WEEKEND#${endsAt.slice(0, 10)}`,
    });
    for (let p = 0; p < PER_WEEK && w * PER_WEEK + p < participants; p++) {
      const accountId = `BENCHACCT${String(w * PER_WEEK + p).padStart(17, '0')}`;
      items.push({ pk: `STUDY#${studyId}`, sk: `MEMBER#${accountId}`, studyId, accountId });
      items.push({ pk: `ACCOUNT#${accountId}`, sk: 'PROFILE', accountId, nickname: 'b', demo: false, score: 100, createdAt: endsAt });
    }
  }
  const batches: Record<string, unknown>[][] = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      let pending: Record<string, unknown>[] | undefined = (batches[next++] ?? []).map((Item) => ({ PutRequest: { Item } }));
      while (pending && pending.length > 0) {
        const out = await db.send(new BatchWriteCommand({ RequestItems: { [table]: pending as never } }));
        pending = out.UnprocessedItems?.[table] as Record<string, unknown>[] | undefined;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

async function runOnce(participants: number): Promise<string> {
  const cloud = await startLocalCloud({ port: 0 });
  try {
    const seeder = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const at = Date.now();
    const seedStart = performance.now();
    await seed(seeder, cloud.tableName, participants, at);
    const seedSeconds = (performance.now() - seedStart) / 1000;

    const counters: Counters = { requests: 0, capacity: 0 };
    countRequests(counters);
    const headers = { authorization: `Bearer ${cloud.adminToken}`, 'content-type': 'application/json' };
    const start = performance.now();
    const res = await fetch(`${cloud.apiUrl}/admin/absence-runs`, { method: 'POST', headers, body: JSON.stringify({ at: new Date(at).toISOString() }) });
    const { runId } = (await res.json()) as { runId: string };
    let run: { status: string; absences: number; weeks: number } = { status: 'RUNNING', absences: 0, weeks: 0 };
    while (run.status === 'RUNNING') {
      await new Promise((r) => setTimeout(r, 200));
      run = (await (await fetch(`${cloud.apiUrl}/admin/absence-runs/${runId}`, { headers })).json()) as typeof run;
    }
    const seconds = (performance.now() - start) / 1000;
    dynamo.middlewareStack.remove('benchCounter');
    const per = (n: number) => (run.absences > 0 ? (n / run.absences).toFixed(2) : '-');
    return `| ${participants.toLocaleString('en')} | ${run.weeks.toLocaleString('en')} | ${run.status} | ${run.absences.toLocaleString('en')} | ${seconds.toFixed(1)} | ${Math.round(run.absences / seconds)} | ${counters.requests.toLocaleString('en')} | ${per(counters.requests)} | ${per(counters.capacity)} | ${seedSeconds.toFixed(0)} |`;
  } finally {
    await cloud.stop();
  }
}

export async function benchAbsence(sizes: readonly number[]): Promise<string> {
  const rows = [
    '| participants | weeks | run | absences | wall s | absentees/s | DynamoDB requests | requests/absentee | capacity units/absentee | seed s |',
    '| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const n of sizes) rows.push(await runOnce(n));
  return rows.join('\n');
}
