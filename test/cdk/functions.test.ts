import '../support/unit-env.ts';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ENV,
  type EnvName,
  FUNCTIONS,
  type FunctionDefinition,
  ONE_OFF_SCHEDULE_TARGETS,
  QUEUES,
  type QueueKey,
} from '../../lib/definitions.ts';
import {
  LAMBDA_CREDENTIALS_MODULE,
  LOG_RETENTION,
  REPO_ROOT,
  SOURCE_MAP_STACK_TRACES_CONTEXT,
} from '../../lib/house-function.ts';
import type { SchedulingStack } from '../../lib/scheduling-stack.ts';
import { arnOf, type FunctionKey, logicalId, propertiesOf, refOf, resourcesOf, synthesize } from './stack-fixture.ts';

let template: Template;
let stack: SchedulingStack;
let outdir: string;

beforeAll(() => {
  ({ template, stack, outdir } = synthesize({ bundle: true }));
});

/** The SDK clients each function's code calls, and so the only ones its bundle may hold. */
const SDK_CLIENTS_OF: Record<FunctionKey, readonly string[]> = {
  api: ['client-dynamodb', 'client-scheduler', 'client-secrets-manager', 'client-sqs'],
  // Deleting an account deletes schedules; its alarms' module can also put a hop on the push queue.
  expireDemoAccount: ['client-dynamodb', 'client-scheduler', 'client-sqs'],
  // A recurring alarm's occurrence, once done, arms the next one (a schedule, or a delayed message).
  sendDueAlarm: ['client-dynamodb', 'client-scheduler', 'client-secrets-manager', 'client-sqs'],
  // Arms a recurring job's next run; holds and retries on its own queue.
  runDueJob: ['client-dynamodb', 'client-scheduler', 'client-sqs'],
  markAbsentees: ['client-dynamodb', 'client-sqs'],
  sweep: ['client-dynamodb', 'client-sqs'],
};

const functionEntries = Object.entries(FUNCTIONS) as [FunctionKey, FunctionDefinition][];
const consumerEntries = functionEntries.filter(([, definition]) => definition.queue !== undefined);

const propsOf = (key: FunctionKey) => {
  return propertiesOf(template, 'AWS::Lambda::Function', logicalId(stack.functions[key]));
};
/** The asset directory the function's code was bundled into: `asset.<hash>`, the hash being the S3 key's name. */
const bundleDirOf = (key: FunctionKey) => {
  const { S3Key } = propsOf(key).Code as { S3Key: string };
  return join(outdir, `asset.${S3Key.replace(/\.zip$/, '')}`);
};
const envOf = (key: FunctionKey) => (propsOf(key).Environment as { Variables: Record<string, unknown> }).Variables;

describe('every function', () => {
  it('should be one per definition', () => {
    template.resourceCountIs('AWS::Lambda::Function', functionEntries.length);
  });

  it.each(functionEntries)(
    'should run %s on nodejs22.x, arm64, handler index.handler, with its timeout and memory',
    (key, definition) => {
      expect(propsOf(key)).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: `index.${definition.handler}`,
        Timeout: definition.timeoutSeconds,
        MemorySize: definition.memoryMb,
        TracingConfig: { Mode: 'Active' },
      });
      expect(envOf(key)).toMatchObject({ POWERTOOLS_SERVICE_NAME: definition.id });
    },
  );

  it.each(functionEntries)(
    'should start %s without --enable-source-maps unless the sourceMapStackTraces context asks for it',
    (key) => {
      expect(envOf(key)).not.toHaveProperty('NODE_OPTIONS');
    },
  );

  it.each(functionEntries)('should log %s to its own log group with a retention period', (key) => {
    const logGroupRef = (propsOf(key).LoggingConfig as { LogGroup: unknown }).LogGroup;
    expect(logGroupRef).toEqual(refOf(logicalId(stack.functions[key].logGroup)));
    expect(resourcesOf(template, 'AWS::Logs::LogGroup')[logicalId(stack.functions[key].logGroup)]?.Properties).toEqual({
      RetentionInDays: LOG_RETENTION,
    });
  });

  it.each(functionEntries)(
    'should point %s at an entry module that exports a function named handler',
    async (_key, definition) => {
      const entry = join(REPO_ROOT, definition.entry);
      expect(existsSync(entry), `${definition.entry} is missing`).toBe(true);
      const module = (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
      expect(typeof module[definition.handler]).toBe('function');
    },
  );

  it.each(functionEntries)(
    'should ship %s as an ESM bundle of its entry, with a source map, with only the AWS SDK clients it uses',
    (key, definition) => {
      const bundleDir = bundleDirOf(key);
      const bundle = readFileSync(join(bundleDir, 'index.mjs'), 'utf8');
      const sourceMap = JSON.parse(readFileSync(join(bundleDir, 'index.mjs.map'), 'utf8')) as { sources: string[] };
      expect(sourceMap.sources.some((source) => source.endsWith(definition.entry))).toBe(true);
      expect(bundle.startsWith("import { createRequire } from 'node:module';")).toBe(true);
      // The SDK is bundled (it loads faster than the runtime's copy), nothing is left to import at run time.
      expect(bundle).not.toMatch(/from\s*"@aws-sdk\//);
      const clients = new Set(
        sourceMap.sources.flatMap((source) => /node_modules\/@aws-sdk\/(client-[a-z-]+)\//.exec(source)?.[1] ?? []),
      );
      expect([...clients].sort()).toEqual([...SDK_CLIENTS_OF[key]].sort());
    },
  );

  it.each(functionEntries)(
    'should bundle %s with credentials from the environment only: no profile, SSO, STS or instance-metadata providers',
    (key) => {
      const { sources } = JSON.parse(readFileSync(join(bundleDirOf(key), 'index.mjs.map'), 'utf8')) as {
        sources: string[];
      };
      expect(sources.some((source) => source.endsWith(LAMBDA_CREDENTIALS_MODULE))).toBe(true);
      expect(sources.filter((source) => /@aws-sdk\/(credential-provider-|nested-clients)/.test(source))).toEqual([]);
    },
  );
});

describe('the consumers', () => {
  it('should be fed by one event source mapping per queue-consuming function', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', consumerEntries.length);
  });

  it.each(consumerEntries)(
    'should feed %s from its queue with the defined batch size and ReportBatchItemFailures',
    (key, definition) => {
      const queue = stack.queues[definition.queue as QueueKey].queue;
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: arnOf(logicalId(queue)),
        FunctionName: refOf(logicalId(stack.functions[key])),
        BatchSize: definition.batchSize,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        MaximumBatchingWindowInSeconds:
          definition.maxBatchingWindowSeconds === undefined ? Match.absent() : definition.maxBatchingWindowSeconds,
      });
    },
  );

  it('should cap the absence consumer at 10 concurrent invocations, so the night keeps to the table’s pace', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: refOf(logicalId(stack.functions.markAbsentees)),
      ScalingConfig: { MaximumConcurrency: 10 },
    });
  });

  it('should keep warm pollers on the push queue for the 9:00 herd, with no batching window to wait out', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: refOf(logicalId(stack.functions.sendDueAlarm)),
      ProvisionedPollerConfig: { MinimumPollers: 5, MaximumPollers: 200 },
      MaximumBatchingWindowInSeconds: Match.absent(),
    });
  });
});

describe('function environments', () => {
  const tableRef = () => refOf(logicalId(stack.table));
  const groupName = (key: 'demoAccounts' | 'alarms') =>
    resourcesOf(template, 'AWS::Scheduler::ScheduleGroup')[logicalId(stack.scheduleGroups[key])]?.Properties.Name;

  it('should give the API function everything its code reads: table, groups, scheduler role, DLQ, target queues, limits, admin secret', () => {
    const expected: Record<string, unknown> = {
      [ENV.tableName]: tableRef(),
      [ENV.demoScheduleGroup]: groupName('demoAccounts'),
      [ENV.alarmScheduleGroup]: groupName('alarms'),
      [ENV.schedulerRoleArn]: arnOf(logicalId(stack.schedulerRole)),
      [ENV.scheduleDlqArn]: arnOf(logicalId(stack.scheduleDeliveryDlq)),
      [ENV.absenceQueueUrl]: refOf(logicalId(stack.queues.absence.queue)),
      [ENV.alarmPushQueueUrl]: refOf(logicalId(stack.queues.alarmPush.queue)),
      [ENV.demoTtlSeconds]: '3600',
      [ENV.demoRateLimitPerMinute]: '10',
      [ENV.adminTokenSecretArn]: refOf(logicalId(stack.adminTokenSecret)),
    };
    for (const [queue, arnEnv] of Object.entries(ONE_OFF_SCHEDULE_TARGETS) as [QueueKey, EnvName][]) {
      expected[arnEnv] = arnOf(logicalId(stack.queues[queue].queue));
    }
    expect(envOf('api')).toMatchObject(expected);
    expect(envOf('api')).not.toHaveProperty(ENV.adminToken);
  });

  it('should give the expiry function the table and both one-off schedule groups, but no scheduler role to pass and no queue to target', () => {
    expect(envOf('expireDemoAccount')).toMatchObject({
      [ENV.tableName]: tableRef(),
      [ENV.demoScheduleGroup]: groupName('demoAccounts'),
      [ENV.alarmScheduleGroup]: groupName('alarms'),
    });
    expect(envOf('expireDemoAccount')).not.toHaveProperty(ENV.schedulerRoleArn);
    // It only deletes schedules, so it never needs the ARN a new schedule would target.
    expect(envOf('expireDemoAccount')).not.toHaveProperty(ENV.alarmPushQueueArn);
  });

  it('should give the push function the table, the FCM URL and secret, and its own queue URL for backoff and hops', () => {
    expect(envOf('sendDueAlarm')).toMatchObject({
      [ENV.tableName]: tableRef(),
      [ENV.fcmBaseUrl]: 'https://fcm.googleapis.com',
      [ENV.fcmCredentialsSecretArn]: refOf(logicalId(stack.fcmCredentialsSecret)),
      [QUEUES.alarmPush.urlEnv]: refOf(logicalId(stack.queues.alarmPush.queue)),
    });
    expect(envOf('sendDueAlarm')).not.toHaveProperty(ENV.fcmCredentialsFile);
  });

  it('should give the absence batch the table and its own queue URL to fan out on', () => {
    expect(envOf('markAbsentees')).toMatchObject({
      [ENV.tableName]: tableRef(),
      [QUEUES.absence.urlEnv]: refOf(logicalId(stack.queues.absence.queue)),
    });
  });

  it('should give the sweeper the table and the URLs of the queues it re-drives into', () => {
    expect(envOf('sweep')).toMatchObject({
      [ENV.tableName]: tableRef(),
      [QUEUES.accountExpiry.urlEnv]: refOf(logicalId(stack.queues.accountExpiry.queue)),
      [QUEUES.alarmPush.urlEnv]: refOf(logicalId(stack.queues.alarmPush.queue)),
    });
  });

  it('should never put a secret value into any function environment, only the secrets ARNs', () => {
    const secretIds = [stack.adminTokenSecret, stack.fcmCredentialsSecret].map(logicalId);
    for (const [key] of functionEntries) {
      const env = envOf(key);
      const rendered = JSON.stringify(env);
      expect(rendered).not.toContain('resolve:secretsmanager');
      expect(env).not.toHaveProperty(ENV.adminToken);
      expect(env).not.toHaveProperty(ENV.fcmCredentialsFile);
      for (const [name, value] of Object.entries(env)) {
        const mentionsSecret = secretIds.some((id) => JSON.stringify(value).includes(id));
        if (mentionsSecret) {
          expect(name.endsWith('_SECRET_ARN'), `${key}.${name} carries a secret`).toBe(true);
          expect(secretIds.map(refOf)).toContainEqual(value);
        }
      }
    }
  });

  it('should never let a function call http: or loopback URLs: OUTBOUND_ALLOW_LOCAL is the local cloud’s alone', () => {
    for (const [key] of functionEntries) expect(envOf(key)).not.toHaveProperty(ENV.outboundAllowLocal);
  });

  it('should take the demo account lifetime from the demoTtlSeconds context', () => {
    const { stack: other, template: otherTemplate } = synthesize({ bundle: false, context: { demoTtlSeconds: '600' } });
    const props = propertiesOf(otherTemplate, 'AWS::Lambda::Function', logicalId(other.functions.api));
    expect((props.Environment as { Variables: Record<string, unknown> }).Variables[ENV.demoTtlSeconds]).toBe('600');
    expect(() => synthesize({ bundle: false, context: { demoTtlSeconds: 'soon' } })).toThrow(/demoTtlSeconds/);
  });

  it('should map every function’s stack traces to the sources when the sourceMapStackTraces context is true', () => {
    const { stack: other, template: otherTemplate } = synthesize({
      bundle: false,
      context: { [SOURCE_MAP_STACK_TRACES_CONTEXT]: 'true' },
    });
    for (const [key] of functionEntries) {
      const props = propertiesOf(otherTemplate, 'AWS::Lambda::Function', logicalId(other.functions[key]));
      expect((props.Environment as { Variables: Record<string, unknown> }).Variables.NODE_OPTIONS).toBe(
        '--enable-source-maps',
      );
    }
    expect(() => synthesize({ bundle: false, context: { [SOURCE_MAP_STACK_TRACES_CONTEXT]: 'yes' } })).toThrow(
      /sourceMapStackTraces/,
    );
  });
});
