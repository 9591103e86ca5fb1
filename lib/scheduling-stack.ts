// The whole backend as one stack, every resource derived from lib/definitions.ts. What it builds is in the
// files beside it: queues.ts (work queues, dead letters, consumers), schedules.ts (schedule groups, the
// Scheduler's role, recurring schedules), function-bindings.ts (what each function may touch), http-api.ts,
// monitoring.ts and dashboard.ts.
import { CfnOutput, RemovalPolicy, SecretValue, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type { HttpApi, HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { Role } from 'aws-cdk-lib/aws-iam';
import type { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { OperationsDashboard } from './dashboard.ts';
import {
  DEFAULTS,
  dlqId,
  FUNCTIONS,
  type FunctionDefinition,
  pascal,
  type QueueKey,
  SCHEDULE_DELIVERY_DLQ_ID,
  TABLE,
} from './definitions.ts';
import { bindFunctions, type FunctionKey } from './function-bindings.ts';
import { HouseFunction } from './house-function.ts';
import { makeHttpApi } from './http-api.ts';
import { makeAlarmTopic } from './monitoring.ts';
import { connectConsumers, DEAD_LETTER_RETENTION_DAYS, makeQueue, makeQueues, type SchedulingQueue } from './queues.ts';
import { makeRecurringSchedules, makeScheduleGroups, makeSchedulerRole, type ScheduleGroupKey } from './schedules.ts';

export { assertVisibilityAboveTimeout, DEAD_LETTER_RETENTION_DAYS } from './queues.ts';
export type { FunctionKey, ScheduleGroupKey, SchedulingQueue };
export { pascal };

/** The stack's id, and so its CloudFormation name (README "Deploying"). */
export const STACK_ID = 'SchedulingBackend';

/** Context key that overrides DEFAULTS.demoTtlSeconds at synth (`cdk deploy -c demoTtlSeconds=600`). */
export const DEMO_TTL_CONTEXT = 'demoTtlSeconds';
export { API_BURST_LIMIT_CONTEXT, API_RATE_LIMIT_CONTEXT } from './http-api.ts';

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
    this.queues = makeQueues(this);
    this.scheduleDeliveryDlq = makeQueue(this, SCHEDULE_DELIVERY_DLQ_ID, DEAD_LETTER_RETENTION_DAYS);
    Validations.of(this.scheduleDeliveryDlq).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "It is a dead-letter queue, of EventBridge Scheduler (each schedule's DeadLetterConfig), not of another queue.",
    });
    this.scheduleGroups = makeScheduleGroups(this);
    this.schedulerRole = makeSchedulerRole(this, this);
    makeRecurringSchedules(this, this, this.schedulerRole);

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
    bindFunctions(this, demoTtlSeconds(this));
    connectConsumers(Object.values(this.functions), this.queues);
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

  private makeFunctions(): Record<FunctionKey, HouseFunction> {
    const made = {} as Record<FunctionKey, HouseFunction>;
    for (const [key, definition] of Object.entries(FUNCTIONS) as [FunctionKey, FunctionDefinition][]) {
      made[key] = new HouseFunction(this, `${pascal(definition.id)}Function`, { definition });
    }
    return made;
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
