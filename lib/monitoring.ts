// What pages the operator: a dead-letter queue that holds anything, or a consumer that failed whole invocations.
import { Duration, type Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IMetric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
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

  // Any single data point above zero pages; no data (an idle queue or function) is fine.
  const alarmOn = (id: string, alarmDescription: string, metric: IMetric) =>
    new Alarm(scope, id, {
      alarmDescription,
      metric,
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(notify);

  for (const [name, queue] of deadLetterQueues) {
    alarmOn(
      `${pascal(name)}NotEmptyAlarm`,
      `Messages in ${name}: work that failed every attempt and needs a look`,
      queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
    );
  }
  for (const fn of functions) {
    if (!fn.definition.queue) continue;
    alarmOn(
      `${pascal(fn.definition.id)}ErrorsAlarm`,
      `The ${fn.definition.id} function failed whole invocations (not single messages)`,
      fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
    );
  }
  return topic;
}
