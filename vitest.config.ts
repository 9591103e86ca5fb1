import { basename } from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// One project per layer, so each runs on its own (`npm run test:unit`, …) and only the layers that run
// DynamoDB Local fetch it first.
const needsDynamoDbLocal = ['test/global-setup.ts'];

/**
 * The end-to-end files that spend minutes waiting on real time (every-minute recurrences, schedules firing
 * anywhere in their minute, receivers held down for a minute), longest first. They start together, a
 * worker each, and the short files follow in the workers the shorter waits free, so the e2e layer takes
 * about as long as its longest file. Started all at once, eleven local clouds on two cores pushed API calls
 * and lags to seconds, past the tests' one second; four at a time kept lags under 200 ms.
 */
const E2E_LONG_WAITS = [
  'recurring-alarms.test.ts', // ~5 min: four occurrences after the next minute starts
  'failures.test.ts', // ~4.3 min: two one-minute outages and a 75 s Scheduler outage, one after another
  'jobs.test.ts', // ~2.5 min: 20 jobs over two minutes and three runs of an every-minute job
  'on-time.test.ts', // ~2.2 min: 24 alarms over two minutes
];

/** Vitest's order (failed, then longest first, from its cache), with the long e2e waits always first. */
class LongWaitsFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (spec: TestSpecification) => {
      const at = E2E_LONG_WAITS.indexOf(basename(spec.moduleId));
      return at === -1 ? E2E_LONG_WAITS.length : at;
    };
    const group = (spec: TestSpecification) => spec.project.config.sequence.groupOrder;
    return (await super.sort(files)).sort((a, b) => group(a) - group(b) || rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    setupFiles: ['test/setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Both cores for the CPU-bound layers (Vitest's default leaves one free: a file at a time on two cores).
    maxWorkers: 2,
    sequence: { sequencer: LongWaitsFirst },
    env: {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_METRICS_DISABLED: 'true',
    },
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'cdk', include: ['test/cdk/**/*.test.ts'] } },
      {
        extends: true,
        test: { name: 'integration', include: ['test/integration/**/*.test.ts'], globalSetup: needsDynamoDbLocal },
      },
      // A group of its own, after the CPU-bound layers: no template synthesis shares the cores with the
      // e2e lag assertions.
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: needsDynamoDbLocal,
          maxWorkers: E2E_LONG_WAITS.length,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
