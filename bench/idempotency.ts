// What an Idempotency-Key costs, through the local API and DynamoDB Local: POST /alarms without a key, with a
// fresh key (the first answer), and the same keys again (replays). Latency over N sequential requests each,
// and DynamoDB requests (by command) and consumed capacity per request, counted on the handlers' own client.
import { dynamo } from '../lambdas/shared/clients/dynamo.ts';
import { startLocalCloud } from '../local/cloud.ts';

interface Phase {
  readonly name: string;
  readonly latenciesMs: number[];
  readonly commands: Map<string, number>;
  capacity: number;
}

let current: Phase | undefined;

function countRequests(): void {
  dynamo.middlewareStack.add(
    (next, context) => async (args) => {
      const phase = current;
      if (!phase) return next(args);
      phase.commands.set(context.commandName ?? '?', (phase.commands.get(context.commandName ?? '?') ?? 0) + 1);
      const input = args.input as Record<string, unknown>;
      input.ReturnConsumedCapacity ??= 'TOTAL';
      const out = await next(args);
      const consumed = (out.output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
      for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
        phase.capacity += Number((c as { CapacityUnits?: number }).CapacityUnits ?? 0);
      }
      return out;
    },
    { step: 'initialize', name: 'benchIdempotencyCounter' },
  );
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

export async function benchIdempotency(requests = 200): Promise<string> {
  const cloud = await startLocalCloud({ port: 0 });
  countRequests();
  try {
    const post = async (path: string, token: string, body: unknown, key?: string) => {
      const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      if (key) headers['idempotency-key'] = key;
      const res = await fetch(`${cloud.apiUrl}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
      return {
        status: res.status,
        replayed: res.headers.get('idempotent-replayed') === 'true',
        text: await res.text(),
      };
    };
    const account = JSON.parse((await post('/accounts', cloud.adminToken, { nickname: 'bench' })).text);
    const alarm = (i: number) => ({
      fireAt: new Date(Date.now() + 3_600_000).toISOString(),
      title: `bench ${i}`,
      body: 'What a replay costs',
      deviceToken: `bench-device-${i}`,
    });
    // Warm-up: JIT, connections, DynamoDB Local's JVM.
    for (let i = 0; i < 50; i++) await post('/alarms', account.token, alarm(i), `warm-${i}`);
    for (let i = 0; i < 50; i++) await post('/alarms', account.token, alarm(i), `warm-${i}`);

    const bodies = Array.from({ length: requests }, (_, i) => alarm(i));
    const phases: Phase[] = [];
    const run = async (name: string, key: (i: number) => string | undefined, expectReplay: boolean) => {
      const phase: Phase = { name, latenciesMs: [], commands: new Map(), capacity: 0 };
      current = phase;
      for (let i = 0; i < requests; i++) {
        const started = performance.now();
        const res = await post('/alarms', account.token, bodies[i], key(i));
        phase.latenciesMs.push(performance.now() - started);
        if (res.status !== 201 || res.replayed !== expectReplay) throw new Error(`${name}: ${res.status} ${res.text}`);
      }
      current = undefined;
      phases.push(phase);
    };
    await run('no key', () => undefined, false);
    await run('fresh key (first answer)', (i) => `bench-${i}`, false);
    await run('same key again (replay)', (i) => `bench-${i}`, true);

    const lines = [
      `${requests} sequential POST /alarms per row, local API + DynamoDB Local, after a warm-up of 100.`,
      '',
      '| request | p50 ms | p95 ms | p99 ms | DynamoDB requests each | by command | capacity units each |',
      '| --- | ---: | ---: | ---: | ---: | --- | ---: |',
    ];
    for (const phase of phases) {
      const sorted = [...phase.latenciesMs].sort((a, b) => a - b);
      const total = [...phase.commands.values()].reduce((a, b) => a + b, 0);
      const byCommand = [...phase.commands.entries()]
        .map(([command, n]) => `${command.replace(/Command$/, '')} ${(n / requests).toFixed(2)}`)
        .join(', ');
      lines.push(
        `| ${phase.name} | ${percentile(sorted, 50).toFixed(1)} | ${percentile(sorted, 95).toFixed(1)} | ${percentile(sorted, 99).toFixed(1)} | ${(total / requests).toFixed(2)} | ${byCommand} | ${(phase.capacity / requests).toFixed(2)} |`,
      );
    }
    return lines.join('\n');
  } finally {
    dynamo.middlewareStack.remove('benchIdempotencyCounter');
    await cloud.stop();
  }
}
