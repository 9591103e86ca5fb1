import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS, type FunctionDefinition, QUEUES } from '../../lib/definitions.ts';
import type { SchedulingStack } from '../../lib/scheduling-stack.ts';
import { type FunctionKey, logicalId, refOf, resourcesOf, synthesize } from './stack-fixture.ts';

let template: Template;
let stack: SchedulingStack;

beforeAll(() => {
  ({ template, stack } = synthesize({ bundle: false }));
});

const alarms = () => Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties);
const notifiesTopic = (alarm: Record<string, unknown>) =>
  JSON.stringify(alarm.AlarmActions) === JSON.stringify([refOf(logicalId(stack.alarmTopic))]);

describe('alarms', () => {
  it('should raise an alarm on the alarm topic as soon as any dead-letter queue holds a message', () => {
    const deadLetterQueues = [...Object.values(stack.queues).map((q) => q.deadLetterQueue), stack.scheduleDeliveryDlq];
    for (const dlq of deadLetterQueues) {
      const matching = alarms().filter(
        (a) =>
          a.MetricName === 'ApproximateNumberOfMessagesVisible' &&
          JSON.stringify(a.Dimensions) ===
            JSON.stringify([{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(dlq), 'QueueName'] } }]),
      );
      expect(matching, `no alarm on ${dlq.node.id}`).toHaveLength(1);
      expect(matching[0]).toMatchObject({
        Namespace: 'AWS/SQS',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
      expect(notifiesTopic(matching[0] as Record<string, unknown>)).toBe(true);
    }
  });

  it('should raise an alarm on the alarm topic when a consumer function fails', () => {
    const consumers = (Object.keys(FUNCTIONS) as FunctionKey[]).filter(
      (k) => (FUNCTIONS[k] as FunctionDefinition).queue,
    );
    for (const key of consumers) {
      const matching = alarms().filter(
        (a) =>
          a.MetricName === 'Errors' &&
          JSON.stringify(a.Dimensions) ===
            JSON.stringify([{ Name: 'FunctionName', Value: refOf(logicalId(stack.functions[key])) }]),
      );
      expect(matching, `no Errors alarm on ${key}`).toHaveLength(1);
      expect(matching[0]).toMatchObject({
        Namespace: 'AWS/Lambda',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
      expect(notifiesTopic(matching[0] as Record<string, unknown>)).toBe(true);
    }
  });

  it('should accept only TLS publishing on the alarm topic', () => {
    const policies = Object.values(resourcesOf(template, 'AWS::SNS::TopicPolicy')).map((p) => p.Properties);
    const forTopic = policies.filter(
      (p) => JSON.stringify(p.Topics) === JSON.stringify([refOf(logicalId(stack.alarmTopic))]),
    );
    expect(JSON.stringify(forTopic)).toContain('"aws:SecureTransport":"false"');
  });
});

describe('secrets', () => {
  it('should generate a 48-character admin token without punctuation', () => {
    expect(
      resourcesOf(template, 'AWS::SecretsManager::Secret')[logicalId(stack.adminTokenSecret)]?.Properties,
    ).toMatchObject({
      GenerateSecretString: { PasswordLength: 48, ExcludePunctuation: true, IncludeSpace: false },
    });
  });

  it('should leave the FCM key to the operator: the template holds only an empty placeholder', () => {
    expect(
      resourcesOf(template, 'AWS::SecretsManager::Secret')[logicalId(stack.fcmCredentialsSecret)]?.Properties,
    ).toMatchObject({
      SecretString: '{}',
    });
  });
});

describe('outputs', () => {
  it('should output the API URL, the table name, the secrets ARNs and the alarm topic', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.TableName?.Value).toEqual(refOf(logicalId(stack.table)));
    expect(JSON.stringify(outputs.ApiUrl?.Value)).toContain(logicalId(stack.api));
    expect(outputs.AdminTokenSecretArn?.Value).toEqual(refOf(logicalId(stack.adminTokenSecret)));
    expect(outputs.FcmCredentialsSecretArn?.Value).toEqual(refOf(logicalId(stack.fcmCredentialsSecret)));
    expect(outputs.AlarmTopicArn?.Value).toEqual(refOf(logicalId(stack.alarmTopic)));
  });

  it('should output the name and URL of every queue, its DLQ and the schedule-delivery DLQ', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const values = Object.values(outputs).map((o) => JSON.stringify(o.Value));
    const queues = [
      ...Object.values(stack.queues).flatMap((q) => [q.queue, q.deadLetterQueue]),
      stack.scheduleDeliveryDlq,
    ];
    expect(queues).toHaveLength(Object.keys(QUEUES).length * 2 + 1);
    for (const queue of queues) {
      expect(values).toContain(JSON.stringify(refOf(logicalId(queue))));
      expect(values).toContain(JSON.stringify({ 'Fn::GetAtt': [logicalId(queue), 'QueueName'] }));
    }
  });
});
