import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  dlqId,
  FUNCTIONS,
  QUEUES,
  type QueueDefinition,
  type QueueKey,
  SCHEDULE_DELIVERY_DLQ_ID,
  TABLE,
} from '../../lib/definitions.ts';
import { assertVisibilityAboveTimeout, pascal, type SchedulingStack } from '../../lib/scheduling-stack.ts';
import { arnOf, consumerOf, logicalId, resourcesOf, synthesize } from './stack-fixture.ts';

let template: Template;
let stack: SchedulingStack;

beforeAll(() => {
  ({ template, stack } = synthesize({ bundle: false }));
});

const queueEntries = Object.entries(QUEUES) as [QueueKey, QueueDefinition][];

describe('the table', () => {
  it('should key items by string pk and sk, bill per request and keep the data when the stack goes', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        KeySchema: [
          { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
        ],
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: TABLE.partitionKey, AttributeType: 'S' },
          { AttributeName: TABLE.sortKey, AttributeType: 'S' },
        ]),
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true },
        // AWS-managed key: SSE on, no customer key.
        SSESpecification: { SSEEnabled: true },
      }),
    });
  });

  it('should have every defined index, keyed as defined, projecting all attributes', () => {
    const [table] = Object.values(resourcesOf(template, 'AWS::DynamoDB::Table'));
    const indexes = table?.Properties.GlobalSecondaryIndexes as { IndexName: string }[];
    expect(indexes.map((index) => index.IndexName).sort()).toEqual(
      Object.values(TABLE.indexes)
        .map((i) => i.name)
        .sort(),
    );
    for (const index of Object.values(TABLE.indexes)) {
      expect(indexes).toContainEqual({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      });
    }
  });
});

describe('the queues', () => {
  it('should create a work queue and a dead-letter queue per definition, plus the schedule-delivery DLQ', () => {
    template.resourceCountIs('AWS::SQS::Queue', queueEntries.length * 2 + 1);
  });

  it.each(queueEntries)(
    'should encrypt the %s queue and send a message to its DLQ after the defined receive count',
    (key, definition) => {
      const { queue, deadLetterQueue } = stack.queues[key];
      template.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: Match.absent(),
        SqsManagedSseEnabled: true,
        VisibilityTimeout: definition.visibilityTimeoutSeconds,
        MessageRetentionPeriod: definition.retentionDays * 86_400,
        RedrivePolicy: {
          deadLetterTargetArn: arnOf(logicalId(deadLetterQueue)),
          maxReceiveCount: definition.maxReceiveCount,
        },
      });
      expect(resourcesOf(template, 'AWS::SQS::Queue')[logicalId(queue)]?.Properties.RedrivePolicy).toEqual({
        deadLetterTargetArn: arnOf(logicalId(deadLetterQueue)),
        maxReceiveCount: definition.maxReceiveCount,
      });
      expect(deadLetterQueue.node.id).toBe(pascal(dlqId(definition)));
      expect(
        resourcesOf(template, 'AWS::SQS::Queue')[logicalId(deadLetterQueue)]?.Properties.SqsManagedSseEnabled,
      ).toBe(true);
    },
  );

  it.each(queueEntries)(
    'should give the %s queue a visibility timeout above its consumer function timeout',
    (key, definition) => {
      const consumer = stack.functions[consumerOf(key)];
      const queueProps = resourcesOf(template, 'AWS::SQS::Queue')[logicalId(stack.queues[key].queue)]?.Properties;
      const functionProps = resourcesOf(template, 'AWS::Lambda::Function')[logicalId(consumer)]?.Properties;
      expect(functionProps?.Timeout).toBe(consumer.definition.timeoutSeconds);
      expect(queueProps?.VisibilityTimeout).toBe(definition.visibilityTimeoutSeconds);
      expect(Number(queueProps?.VisibilityTimeout)).toBeGreaterThan(Number(functionProps?.Timeout));
    },
  );

  it('should refuse every queue, DLQs included, any request not made over TLS', () => {
    const queueIds = Object.keys(resourcesOf(template, 'AWS::SQS::Queue'));
    const policies = Object.values(resourcesOf(template, 'AWS::SQS::QueuePolicy'));
    for (const id of queueIds) {
      const denied = policies.some(
        ({ Properties }) =>
          (Properties.Queues as unknown[]).some((q) => JSON.stringify(q) === JSON.stringify({ Ref: id })) &&
          (Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement.some(
            (s) =>
              s.Effect === 'Deny' &&
              JSON.stringify(s.Condition) === JSON.stringify({ Bool: { 'aws:SecureTransport': 'false' } }),
          ),
      );
      expect(denied, `queue ${id} accepts plain HTTP`).toBe(true);
    }
  });

  it('should keep undeliverable schedule events in an encrypted schedule-delivery DLQ', () => {
    const props = resourcesOf(template, 'AWS::SQS::Queue')[logicalId(stack.scheduleDeliveryDlq)]?.Properties;
    expect(props?.SqsManagedSseEnabled).toBe(true);
    expect(stack.scheduleDeliveryDlq.node.id).toBe(pascal(SCHEDULE_DELIVERY_DLQ_ID));
  });

  it('should refuse to synthesize a queue whose visibility timeout is not above its consumer timeout', () => {
    const queue = { ...QUEUES.absence, visibilityTimeoutSeconds: FUNCTIONS.markAbsentees.timeoutSeconds };
    expect(() => assertVisibilityAboveTimeout(queue, FUNCTIONS.markAbsentees)).toThrow(
      /visibility timeout .* must be above/,
    );
    expect(() => assertVisibilityAboveTimeout(QUEUES.absence, FUNCTIONS.markAbsentees)).not.toThrow();
  });
});
