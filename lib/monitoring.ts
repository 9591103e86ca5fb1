// What pages the operator: a dead-letter queue that holds anything, or a consumer that failed whole invocations.
import { Duration, type Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { pascal } from './definitions.ts';
import type { HouseFunction } from './house-function.ts';

/** The alarm topic, with an alarm on each named dead-letter queue and on each queue-fed function. */
export function makeAlarmTopic(
  scope: Stack,
  deadLetterQueues: readonly [string, Queue][],
  functions: readonly HouseFunction[],
): Topic {
  // Not encrypted: alarm notifications carry no product data, and CloudWatch cannot publish to a topic
  // under the AWS-managed SNS key.
  const topic = new Topic(scope, 'AlarmTopic', { displayName: 'Scheduling backend alarms', enforceSSL: true });
  const notify = new SnsAction(topic);

  for (const [name, queue] of deadLetterQueues) {
    new Alarm(scope, `${pascal(name)}NotEmptyAlarm`, {
      alarmDescription: `Messages in ${name}: work that failed every attempt and needs a look`,
      metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(notify);
  }

  for (const fn of functions) {
    if (!fn.definition.queue) continue;
    new Alarm(scope, `${pascal(fn.definition.id)}ErrorsAlarm`, {
      alarmDescription: `The ${fn.definition.id} function failed whole invocations (not single messages)`,
      metric: fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(notify);
  }
  return topic;
}
