// `npm run bench`: performance figures that must not live in timed tests.
import { benchColdStart } from './cold-start.ts';

const only = process.argv[2];

if (!only || only === 'cold-start') {
  console.log('## Lambda bundles and cold load\n');
  console.log(await benchColdStart());
  console.log();
}
