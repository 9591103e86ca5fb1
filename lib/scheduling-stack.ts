// The whole backend as one stack, every resource derived from lib/definitions.ts.
import { CfnOutput, Duration, RemovalPolicy, SecretValue, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type { HttpApi, HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { CfnSchedule, ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { OperationsDashboard } from './dashboard.ts';
import {
  DEFAULTS,
  dlqId,
  ENV,
  FUNCTIONS,
  type FunctionDefinition,
  ONE_OFF_SCHEDULE_TARGETS,
  pascal,
  QUEUES,
  type QueueDefinition,
  type QueueKey,
  RECURRING_SCHEDULES,
  SCHEDULE_DELIVERY_DLQ_ID,
  SCHEDULE_GROUPS,
  SCHEDULE_RETRY_POLICY,
  TABLE,
} from './definitions.ts';
import { HouseFunction, type NamedScheduleGroup, type WorkQueue } from './house-function.ts';
import { makeHttpApi } from './http-api.ts';
import { makeAlarmTopic } from './monitoring.ts';

export { pascal };

/** The stack's id, and so its CloudFormation name (README "Deploying"). */
export const STACK_ID = 'SchedulingBackend';

export type FunctionKey = keyof typeof FUNCTIONS;
export type ScheduleGroupKey = keyof typeof SCHEDULE_GROUPS;

/** Context key that overrides DEFAULTS.demoTtlSeconds at synth (`cdk deploy -c demoTtlSeconds=600`). */
export const DEMO_TTL_CONTEXT = 'demoTtlSeconds';
export { API_BURST_LIMIT_CONTEXT, API_RATE_LIMIT_CONTEXT } from './http-api.ts';

/** Dead-letter queues keep messages as long as SQS allows, so there is time to look after an alarm. */
export const DEAD_LETTER_RETENTION_DAYS = 14;

const entriesOf = <K extends string, V>(record: Record<K, V>): [K, V][] => Object.entries(record) as [K, V][];

export interface SchedulingQueue extends WorkQueue {
  readonly deadLetterQueue: Queue;
  readonly queue: Queue;
}

/** Throws at synth when a queue would hand a message to a second consumer while the first still works on it. */
export function assertVisibilityAboveTimeout(queue: QueueDefinition, consumer: FunctionDefinition): void {
  if (queue.visibilityTimeoutSeconds <= consumer.timeoutSeconds) {
    throw new Error(
      `Queue ${queue.id}: visibility timeout ${queue.visibilityTimeoutSeconds}s must be above the ${consumer.id} function's timeout ${consumer.timeoutSeconds}s`,
    );
  }
}

function demoTtlSeconds(scope: Construct): number {
  const raw: unknown = scope.node.tryGetContext(DEMO_TTL_CONTEXT);
  if (raw === undefined) return DEFAULTS.demoTtlSeconds;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`Context ${DEMO_TTL_CONTEXT} must be a positive integer, got "${raw}"`);
  return value;
}

export class SchedulingStack extends Stack {
  readonly table: Table;
  readonly queues: Record<QueueKey, SchedulingQueue>;
  readonly scheduleDeliveryDlq: Queue;
  readonly scheduleGroups: Record<ScheduleGroupKey, ScheduleGroup>;
  readonly schedulerRole: Role;
  readonly functions: Record<FunctionKey, HouseFunction>;
  readonly api: HttpApi;
  readonly apiStage: HttpStage;
  readonly adminTokenSecret: Secret;
  readonly fcmCredentialsSecret: Secret;
  readonly alarmTopic: Topic;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    this.table = this.makeTable();
    this.queues = this.makeQueues();
    this.scheduleDeliveryDlq = this.makeQueue(SCHEDULE_DELIVERY_DLQ_ID, DEAD_LETTER_RETENTION_DAYS);
    Validations.of(this.scheduleDeliveryDlq).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "It is a dead-letter queue, of EventBridge Scheduler (each schedule's DeadLetterConfig), not of another queue.",
    });
    this.scheduleGroups = this.makeScheduleGroups();
    this.schedulerRole = this.makeSchedulerRole();
    this.makeRecurringSchedules();

    this.adminTokenSecret = new Secret(this, 'AdminToken', {
      description: 'Bearer token of the admin routes',
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
    });
    this.fcmCredentialsSecret = new Secret(this, 'FcmCredentials', {
      description: 'Firebase service-account JSON key used to send pushes; set its value after the first deploy',
      // A placeholder, not a credential: the operator puts the real key in (README "Deploying").
      secretStringValue: SecretValue.unsafePlainText('{}'),
    });
    for (const secret of [this.adminTokenSecret, this.fcmCredentialsSecret]) {
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'No rotation Lambda exists for these values: the admin token and the Firebase key are replaced by the operator (put-secret-value), and the functions re-read them on a cold start.',
      });
    }

    this.functions = this.makeFunctions();
    this.bindFunctions(demoTtlSeconds(this));
    this.connectConsumers();
    ({ api: this.api, stage: this.apiStage } = this.makeApi());
    this.alarmTopic = this.makeAlarms();
    this.makeOutputs();
    new OperationsDashboard(this, 'Operations', {
      functions: this.functions,
      queues: this.queues,
      scheduleGroups: this.scheduleGroups,
      scheduleDeliveryDlq: { id: SCHEDULE_DELIVERY_DLQ_ID, queue: this.scheduleDeliveryDlq },
    });
  }

  private makeTable(): Table {
    const { partitionKey, sortKey, ttlAttribute, indexes } = TABLE;
    const table = new Table(this, TABLE.id, {
      partitionKey: { name: partitionKey, type: AttributeType.STRING },
      sortKey: { name: sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: ttlAttribute,
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of Object.values(indexes)) {
      table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType.ALL,
      });
    }
    return table;
  }

  private makeQueue(
    name: string,
    retentionDays: number,
    extra?: Partial<ConstructorParameters<typeof Queue>[2]>,
  ): Queue {
    return new Queue(this, pascal(name), {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(retentionDays),
      ...extra,
    });
  }

  private makeQueues(): Record<QueueKey, SchedulingQueue> {
    const made = {} as Record<QueueKey, SchedulingQueue>;
    for (const [key, definition] of entriesOf<QueueKey, QueueDefinition>(QUEUES)) {
      const deadLetterQueue = this.makeQueue(dlqId(definition), DEAD_LETTER_RETENTION_DAYS);
      const queue = this.makeQueue(definition.id, definition.retentionDays, {
        visibilityTimeout: Duration.seconds(definition.visibilityTimeoutSeconds),
        deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: definition.maxReceiveCount },
      });
      made[key] = { definition, queue, deadLetterQueue };
    }
    return made;
  }

  private makeScheduleGroups(): Record<ScheduleGroupKey, ScheduleGroup> {
    const made = {} as Record<ScheduleGroupKey, ScheduleGroup>;
    for (const [key, definition] of entriesOf(SCHEDULE_GROUPS)) {
      // No fixed name: CloudFormation names it after the stack, so two stacks in one account never collide;
      // functions learn the name from their environment.
      made[key] = new ScheduleGroup(this, `${pascal(definition.id)}ScheduleGroup`, {
        removalPolicy: RemovalPolicy.DESTROY,
      });
    }
    return made;
  }

  /** The queues schedules deliver to: those of one-off schedules and of the recurring ones. */
  private scheduledQueueKeys(): QueueKey[] {
    const keys = new Set<QueueKey>(Object.keys(ONE_OFF_SCHEDULE_TARGETS) as QueueKey[]);
    for (const schedule of Object.values(RECURRING_SCHEDULES)) keys.add(schedule.queue);
    return [...keys];
  }

  private makeSchedulerRole(): Role {
    const role = new Role(this, 'SchedulerRole', {
      description: 'Assumed by EventBridge Scheduler to deliver schedules to the work queues',
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          // Only schedules of this account, in this stack's groups (confused-deputy protection).
          StringEquals: { 'aws:SourceAccount': this.account },
          ArnEquals: { 'aws:SourceArn': Object.values(this.scheduleGroups).map((group) => group.scheduleGroupArn) },
        },
      }),
    });
    role.addToPolicy(
      new PolicyStatement({
        actions: ['sqs:SendMessage'],
        resources: [
          ...this.scheduledQueueKeys().map((key) => this.queues[key].queue.queueArn),
          this.scheduleDeliveryDlq.queueArn,
        ],
      }),
    );
    return role;
  }

  private makeRecurringSchedules(): void {
    for (const definition of Object.values(RECURRING_SCHEDULES)) {
      new CfnSchedule(this, `${pascal(definition.id)}Schedule`, {
        description: definition.description,
        groupName: this.scheduleGroups.recurring.scheduleGroupName,
        scheduleExpression: definition.expression,
        scheduleExpressionTimezone: definition.timezone,
        flexibleTimeWindow: { mode: 'OFF' },
        state: 'ENABLED',
        target: {
          arn: this.queues[definition.queue].queue.queueArn,
          roleArn: this.schedulerRole.roleArn,
          input: JSON.stringify(definition.input),
          retryPolicy: {
            maximumEventAgeInSeconds: SCHEDULE_RETRY_POLICY.maximumEventAgeInSeconds,
            maximumRetryAttempts: SCHEDULE_RETRY_POLICY.maximumRetryAttempts,
          },
          deadLetterConfig: { arn: this.scheduleDeliveryDlq.queueArn },
        },
      });
    }
  }

  private makeFunctions(): Record<FunctionKey, HouseFunction> {
    const made = {} as Record<FunctionKey, HouseFunction>;
    for (const [key, definition] of entriesOf<FunctionKey, FunctionDefinition>(FUNCTIONS)) {
      made[key] = new HouseFunction(this, `${pascal(definition.id)}Function`, { definition });
    }
    return made;
  }

  private namedGroup(key: 'demoAccounts' | 'alarms' | 'jobs'): NamedScheduleGroup {
    return { group: this.scheduleGroups[key], env: SCHEDULE_GROUPS[key].env };
  }

  /** Each function gets exactly what its code reads and calls, nothing more. */
  private bindFunctions(demoTtl: number): void {
    const { api, expireDemoAccount, sendDueAlarm, runDueJob, markAbsentees, sweep } = this.functions;
    const { queues, table } = this;
    const delivery = { role: this.schedulerRole, deadLetterQueue: this.scheduleDeliveryDlq };

    api
      .bindTable(table, 'RW')
      .bindScheduleGroup(this.namedGroup('demoAccounts'), 'manage', delivery)
      .bindScheduleGroup(this.namedGroup('alarms'), 'manage', delivery)
      .bindScheduleGroup(this.namedGroup('jobs'), 'manage', delivery)
      // POST /admin/absence-runs queues a run directly.
      .bindQueue(queues.absence, 'send')
      // Timers due sooner than a schedule can serve (lambdas/timers/), and alarms while the Scheduler is
      // unavailable, go straight on their queue, delayed.
      .bindQueue(queues.alarmPush, 'send')
      .bindQueue(queues.accountExpiry, 'send')
      // A job due sooner than a schedule's lead (or while the Scheduler is unavailable) rides its queue.
      .bindQueue(queues.jobs, 'send')
      .bindSecret(this.adminTokenSecret, ENV.adminTokenSecretArn);
    for (const [key, arnEnv] of entriesOf(ONE_OFF_SCHEDULE_TARGETS)) api.bindScheduleTarget(queues[key], arnEnv);
    api.addEnvironment(ENV.demoTtlSeconds, String(demoTtl));
    api.addEnvironment(ENV.demoRateLimitPerMinute, String(DEFAULTS.demoRateLimitPerMinute));

    // Deleting an account deletes its expiry schedule and its alarms' and jobs' schedules; it never creates one.
    expireDemoAccount
      .bindTable(table, 'RW')
      // An expiry message that comes early (the Scheduler's minute) is held on its queue until expiresAt.
      .bindQueue(queues.accountExpiry, 'send')
      .bindScheduleGroup(this.namedGroup('demoAccounts'), 'delete')
      .bindScheduleGroup(this.namedGroup('alarms'), 'delete')
      .bindScheduleGroup(this.namedGroup('jobs'), 'delete');

    // A run's retry goes back with a growing visibility delay; an early arrival is held with a delayed
    // copy; a recurring job's next run is armed as its own one-off schedule.
    runDueJob
      .bindTable(table, 'RW')
      .bindQueue(queues.jobs, 'changeVisibility')
      .bindQueue(queues.jobs, 'send')
      .bindScheduleGroup(this.namedGroup('jobs'), 'manage', delivery)
      .bindScheduleTarget(queues.jobs, ENV.jobsQueueArn);

    // FCM 429/5xx: the message goes back with a growing visibility delay; an alarm that rides the queue
    // (Scheduler unavailable) is re-sent as the next delayed hop until its fireAt.
    sendDueAlarm
      .bindTable(table, 'RW')
      .bindQueue(queues.alarmPush, 'changeVisibility')
      .bindQueue(queues.alarmPush, 'send')
      .bindSecret(this.fcmCredentialsSecret, ENV.fcmCredentialsSecretArn);
    sendDueAlarm.addEnvironment(ENV.fcmBaseUrl, DEFAULTS.fcmBaseUrl);

    // A large run fans out: chunks go back onto its own queue.
    markAbsentees.bindTable(table, 'RW').bindQueue(queues.absence, 'send');

    // Reads the due index and re-drives through the normal queues.
    sweep
      .bindTable(table, 'R')
      .bindQueue(queues.accountExpiry, 'send')
      .bindQueue(queues.alarmPush, 'send')
      .bindQueue(queues.jobs, 'send');
  }

  private connectConsumers(): void {
    for (const fn of Object.values(this.functions)) {
      const {
        queue: queueKey,
        batchSize,
        maxBatchingWindowSeconds,
        maxConcurrency,
        provisionedPollers,
      } = fn.definition;
      if (!queueKey) continue;
      const { definition, queue } = this.queues[queueKey];
      assertVisibilityAboveTimeout(definition, fn.definition);
      fn.addEventSource(
        new SqsEventSource(queue, {
          batchSize,
          maxBatchingWindow:
            maxBatchingWindowSeconds === undefined ? undefined : Duration.seconds(maxBatchingWindowSeconds),
          reportBatchItemFailures: true,
          ...(maxConcurrency === undefined ? {} : { maxConcurrency }),
          ...(provisionedPollers === undefined
            ? {}
            : {
                provisionedPollerConfig: {
                  minimumPollers: provisionedPollers.minimum,
                  maximumPollers: provisionedPollers.maximum,
                },
              }),
        }),
      );
    }
  }

  private makeApi(): { api: HttpApi; stage: HttpStage } {
    return makeHttpApi(this, this.functions.api);
  }

  private makeAlarms(): Topic {
    const deadLetterQueues: [string, Queue][] = [
      ...Object.values(this.queues).map(({ definition, deadLetterQueue }): [string, Queue] => [
        dlqId(definition),
        deadLetterQueue,
      ]),
      [SCHEDULE_DELIVERY_DLQ_ID, this.scheduleDeliveryDlq],
    ];
    return makeAlarmTopic(this, deadLetterQueues, Object.values(this.functions));
  }

  private makeOutputs(): void {
    new CfnOutput(this, 'ApiUrl', { value: this.apiStage.url });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    const allQueues: [string, Queue][] = [
      ...Object.values(this.queues).flatMap(({ definition, queue, deadLetterQueue }): [string, Queue][] => [
        [definition.id, queue],
        [dlqId(definition), deadLetterQueue],
      ]),
      [SCHEDULE_DELIVERY_DLQ_ID, this.scheduleDeliveryDlq],
    ];
    for (const [name, queue] of allQueues) {
      const id = pascal(name).replace(/Dlq$/, 'DeadLetter');
      new CfnOutput(this, `${id}QueueName`, { value: queue.queueName });
      new CfnOutput(this, `${id}QueueUrl`, { value: queue.queueUrl });
    }
    new CfnOutput(this, 'AdminTokenSecretArn', { value: this.adminTokenSecret.secretArn });
    new CfnOutput(this, 'FcmCredentialsSecretArn', { value: this.fcmCredentialsSecret.secretArn });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn });
  }
}
