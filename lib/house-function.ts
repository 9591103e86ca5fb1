// The one way this project makes a Lambda function: runtime, architecture, tracing, logs and bundling fixed
// once; every dependency is bound through a helper that sets the environment variable and the IAM grant
// together, so the two cannot drift apart.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IRole, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ENV, type EnvName, type FunctionDefinition, type QueueDefinition, TABLE } from './definitions.ts';
import { acknowledgeWildcardResource } from './nag.ts';

/** The repository root: FunctionDefinition entries are relative to it. */
export const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

export const LOG_RETENTION = RetentionDays.ONE_MONTH;

/** The only actions X-Ray tracing adds; they have no resource-level permissions, hence Resource "*". */
export const XRAY_WRITE_ACTIONS = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'] as const;

// Explicit action lists rather than grantReadData/grantReadWriteData: no Scan, no DescribeTable, and the
// indexes named one by one instead of `index/*`.
const TABLE_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];
const TABLE_WRITE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
];

/** What a function may do on a schedule group's schedules. */
export const SCHEDULE_ACTIONS = {
  manage: ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule'],
  delete: ['scheduler:DeleteSchedule'],
} as const;

/**
 * R: reads; RW: reads and writes; RW+statements: also conditional updates sent as PartiQL statements
 * (`PartiQLUpdate`, the batched form of UpdateItem the timer core uses for the claims and finishes of a
 * batch due at one second; no PartiQL insert, delete or select).
 */
export type TableAccess = 'R' | 'RW' | 'RW+statements';
export type QueueAccess = 'send' | 'changeVisibility';
export type ScheduleGroupAccess = keyof typeof SCHEDULE_ACTIONS;

/** A work queue with the definition that names its environment variable. */
export interface WorkQueue {
  readonly definition: QueueDefinition;
  readonly queue: IQueue;
}

/** A schedule group with the environment variable that carries its name. */
export interface NamedScheduleGroup {
  readonly group: IScheduleGroup;
  readonly env: EnvName;
}

/** What every schedule created at run time delivers with: the Scheduler's role and its dead-letter queue. */
export interface ScheduleDelivery {
  readonly role: IRole;
  readonly deadLetterQueue: IQueue;
}

/**
 * How every function is bundled (bench/cold-start.ts builds its comparisons from these same options).
 * Minified ESM from the dependencies' ESM builds; the banner gives bundled CommonJS code a `require`.
 */
export const HOUSE_BUNDLING = {
  minify: true,
  sourceMap: true,
  // Stack traces need only the mappings; without the sources the map is a fraction of the size to load.
  sourcesContent: false,
  target: 'node22',
  // ESM: the sources are ESM with `.ts` imports.
  format: OutputFormat.ESM,
  banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  // ESM builds of dependencies are smaller and load faster (measured: 377 KB and ~40 ms instead of 591 KB
  // and ~65 ms for a handler with three SDK clients).
  mainFields: ['module', 'main'],
  // The SDK is bundled, not taken from the runtime: tree-shaken, minified ESM of only the clients a function
  // uses loads in less than half the time (bench/cold-start.ts), and the version is the one tested here.
  externalModules: [],
  logLevel: LogLevel.WARNING,
} as const satisfies BundlingOptions;

/**
 * Bundled in place of the SDK's default credential chain: the Lambda runtime gives a function its
 * credentials in the environment, and the chain's other providers, with the STS and SSO clients they
 * bring, were ~120 KB of every bundle and 8–18 ms of its cold import (the module says more).
 */
export const LAMBDA_CREDENTIALS_MODULE = 'lambdas/shared/clients/lambda-credentials.ts';
export const HOUSE_ALIASES = {
  '@aws-sdk/credential-provider-node': join(REPO_ROOT, LAMBDA_CREDENTIALS_MODULE),
} as const;

/**
 * Context key (`cdk deploy -c sourceMapStackTraces=true`) that has Node map stack traces to the TypeScript
 * sources at run time. Off by default: `--enable-source-maps` makes Node read and parse the bundle's map on
 * every cold start, 10–14 ms of it (bench/cold-start.ts), for stack traces that only an error shows. The
 * map is shipped beside the bundle either way (`index.mjs.map` in the asset), so a minified trace from the
 * logs can still be resolved against it.
 */
export const SOURCE_MAP_STACK_TRACES_CONTEXT = 'sourceMapStackTraces';
export const SOURCE_MAP_NODE_OPTIONS = '--enable-source-maps';

function sourceMapStackTraces(scope: Construct): boolean {
  const raw: unknown = scope.node.tryGetContext(SOURCE_MAP_STACK_TRACES_CONTEXT);
  if (raw === undefined || raw === false || raw === 'false') return false;
  if (raw === true || raw === 'true') return true;
  throw new Error(`Context ${SOURCE_MAP_STACK_TRACES_CONTEXT} must be true or false, got "${String(raw)}"`);
}

export interface HouseFunctionProps {
  readonly definition: FunctionDefinition;
}

export class HouseFunction extends NodejsFunction {
  readonly definition: FunctionDefinition;
  /** The function's own role: no managed policies, logs only to its own log group. */
  override readonly role: Role;

  constructor(scope: Construct, id: string, { definition }: HouseFunctionProps) {
    // An explicit log group (not the legacy logRetention custom resource), made before the function so its
    // retention holds from the first invocation.
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: LOG_RETENTION,
      // Operational logs, not product data: they go with the stack.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new Role(scope, `${id}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);

    super(scope, id, {
      entry: join(REPO_ROOT, definition.entry),
      handler: definition.handler,
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      timeout: Duration.seconds(definition.timeoutSeconds),
      memorySize: definition.memoryMb,
      tracing: Tracing.ACTIVE,
      logGroup,
      role,
      environment: {
        POWERTOOLS_SERVICE_NAME: definition.id,
        ...(sourceMapStackTraces(scope) && { NODE_OPTIONS: SOURCE_MAP_NODE_OPTIONS }),
      },
      bundling: {
        ...HOUSE_BUNDLING,
        mainFields: [...HOUSE_BUNDLING.mainFields],
        externalModules: [...HOUSE_BUNDLING.externalModules],
        esbuildArgs: {
          '--alias': Object.entries(HOUSE_ALIASES).map(([module, replacement]) => `${module}=${replacement}`),
        },
      },
    });
    this.definition = definition;
    this.role = role;

    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: `Active X-Ray tracing needs ${XRAY_WRITE_ACTIONS.join(' and ')}, which support no resource-level permissions.`,
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Pinned to nodejs22.x on purpose: the handlers are built and tested for Node 22 (local tooling runs Node 20); moving to a newer runtime is a tested change, not an automatic one.',
    });
  }

  /** TABLE_NAME, and item access to the table and its indexes, by name (see TableAccess). */
  bindTable(table: ITable, access: TableAccess): this {
    const indexArns = Object.values(TABLE.indexes).map((index) => `${table.tableArn}/index/${index.name}`);
    const actions = {
      R: TABLE_READ_ACTIONS,
      RW: [...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS],
      'RW+statements': [...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS, 'dynamodb:PartiQLUpdate'],
    }[access];
    this.addToRolePolicy(
      new PolicyStatement({
        actions,
        resources: [table.tableArn, ...indexArns],
      }),
    );
    this.addEnvironment(ENV.tableName, table.tableName);
    return this;
  }

  /** The queue's URL under its definition's variable, and the right to send to it or change its messages' visibility. */
  bindQueue({ definition, queue }: WorkQueue, access: QueueAccess): this {
    const action = access === 'send' ? 'sqs:SendMessage' : 'sqs:ChangeMessageVisibility';
    this.addToRolePolicy(new PolicyStatement({ actions: [action], resources: [queue.queueArn] }));
    this.addEnvironment(definition.urlEnv, queue.queueUrl);
    return this;
  }

  /**
   * The ARN of a queue that schedules this function creates will target. No IAM: the Scheduler's role sends,
   * not this function.
   */
  bindScheduleTarget({ queue }: WorkQueue, arnEnv: EnvName): this {
    this.addEnvironment(arnEnv, queue.queueArn);
    return this;
  }

  /**
   * The group's name, and scheduler actions on that group's schedules only. `manage` also passes the
   * Scheduler's role (and nothing else) and tells the function the role and dead-letter queue to deliver with.
   */
  bindScheduleGroup(group: NamedScheduleGroup, access: 'manage', delivery: ScheduleDelivery): this;
  bindScheduleGroup(group: NamedScheduleGroup, access: 'delete'): this;
  bindScheduleGroup(
    { group, env }: NamedScheduleGroup,
    access: ScheduleGroupAccess,
    delivery?: ScheduleDelivery,
  ): this {
    const schedules = Stack.of(this).formatArn({
      service: 'scheduler',
      resource: 'schedule',
      resourceName: `${group.scheduleGroupName}/*`,
    });
    this.addToRolePolicy(new PolicyStatement({ actions: [...SCHEDULE_ACTIONS[access]], resources: [schedules] }));
    acknowledgeWildcardResource(
      this.role,
      schedules,
      'Schedules are created at run time with per-item names; the grant is limited to the schedules of this one group.',
    );
    this.addEnvironment(env, group.scheduleGroupName);
    if (access === 'manage') {
      if (!delivery) throw new Error(`${this.node.path}: managing schedules needs the Scheduler's role to pass`);
      this.addToRolePolicy(
        new PolicyStatement({
          actions: ['iam:PassRole'],
          resources: [delivery.role.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
        }),
      );
      this.addEnvironment(ENV.schedulerRoleArn, delivery.role.roleArn);
      this.addEnvironment(ENV.scheduleDlqArn, delivery.deadLetterQueue.queueArn);
    }
    return this;
  }

  /** The secret's ARN (never its value) and the right to read it. */
  bindSecret(secret: ISecret, arnEnv: EnvName): this {
    secret.grantRead(this.role);
    this.addEnvironment(arnEnv, secret.secretArn);
    return this;
  }
}
