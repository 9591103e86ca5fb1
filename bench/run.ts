// `npm run bench [cold-start|absence] [participants...]`: figures that must not live in timed tests.
import { benchAbsence } from './absence.ts';
import { benchColdStart } from './cold-start.ts';

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
