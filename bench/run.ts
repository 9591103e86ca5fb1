// `npm run bench [cold-start|absence|idempotency] [participants... | requests]`: figures that must not live in timed tests.
import { benchAbsence } from './absence.ts';
import { benchColdStart } from './cold-start.ts';
import { benchIdempotency } from './idempotency.ts';

const [only, ...sizes] = process.argv.slice(2);
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
