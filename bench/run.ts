// `npm run bench [cold-start|absence|idempotency|herd] [participants... | requests | sizes...] [--peer bullmq]
// [--fcm-latency-ms 50]`: figures that must not live in timed tests. `herd` runs only when asked for.
import { benchAbsence } from './absence.ts';
import { benchColdStart } from './cold-start.ts';
import { benchHerd } from './herd.ts';
import { benchIdempotency } from './idempotency.ts';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const [value] = args.splice(i, 2).slice(1);
  return value;
};
const peer = flag('--peer');
const fcmLatencyMs = Number(flag('--fcm-latency-ms') ?? 50);
if (peer !== undefined && peer !== 'bullmq') throw new Error(`--peer takes bullmq, got ${peer}`);
const [only, ...sizes] = args;
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

if (!only || only === 'cold-start') {
  console.log('## Lambda bundles and cold load\n');
  console.log(await benchColdStart());
  console.log();
}
if (!only || only === 'absence') {
  console.log('## Absence batch on DynamoDB Local (admin API -> queue -> fan-out -> transactions)\n');
  console.log(await benchAbsence(sizes.map(Number)));
  console.log();
}
if (!only || only === 'idempotency') {
  console.log('## What an Idempotency-Key costs (POST /alarms: no key, first answer, replay)\n');
  console.log(await benchIdempotency(sizes[0] ? Number(sizes[0]) : undefined));
  console.log();
}
if (only === 'herd') {
  console.log('## The 09:00 herd: N alarms due at one second, Scheduler window on\n');
  const herdSizes = sizes.length > 0 ? sizes.map(Number) : [1000, 5000, 10_000];
  console.log(await benchHerd({ sizes: herdSizes, fcmLatencyMs, ...(peer ? { peer } : {}) }));
  console.log();
}
