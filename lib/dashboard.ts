// The on-call page in CloudWatch: are pushes and runs on time, is anything piling up or failing. The
// same things the local console shows (local/console/), from the metrics AWS and the functions emit.
import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import {
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  type Metric,
  PeriodOverride,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  dlqId,
  type FunctionDefinition,
  METRICS,
  METRICS_NAMESPACE,
  type MetricName,
  type QueueDefinition,
} from './definitions.ts';

/** The Scheduler's own metrics (namespace AWS/Scheduler, dimension ScheduleGroup), as the docs name them. */
export const SCHEDULER_METRICS = [
  'InvocationAttemptCount',
  'TargetErrorCount',
  'InvocationThrottleCount',
  'InvocationDroppedCount',
  'InvocationsSentToDeadLetterCount',
] as const;

const PERIOD = Duration.minutes(1);
const WIDE = 12;
const THIRD = 8;
const HEIGHT = 6;

export interface OperationsDashboardProps {
  readonly functions: Readonly<Record<string, IFunction & { readonly definition: FunctionDefinition }>>;
  readonly queues: Readonly<
    Record<string, { readonly definition: QueueDefinition; readonly queue: IQueue; readonly deadLetterQueue: IQueue }>
  >;
  /** The Scheduler's dead-letter queue, named by its definition id. */
  readonly scheduleDeliveryDlq: { readonly id: string; readonly queue: IQueue };
  readonly scheduleGroups: Readonly<Record<string, IScheduleGroup>>;
}

/**
 * One of the functions' own metrics, whichever function emits it: a SEARCH over the namespace, so a
 * metric a new function starts to emit (webhook jobs) is graphed without touching this file.
 */
function custom(name: MetricName, statistic: string, label: string): IMetric {
  return new MathExpression({
    expression: `SEARCH('{${METRICS_NAMESPACE},service} MetricName="${name}"', '${statistic}', ${PERIOD.toSeconds()})`,
    label,
    period: PERIOD,
    usingMetrics: {},
  });
}

const graph = (title: string, left: IMetric[], width = THIRD, leftLabel?: string) =>
  new GraphWidget({
    title,
    left,
    width,
    height: HEIGHT,
    period: PERIOD,
    ...(leftLabel ? { leftYAxis: { label: leftLabel, showUnits: false, min: 0 } } : { leftYAxis: { min: 0 } }),
  });

export class OperationsDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    const functions = Object.values(props.functions);
    const queues = Object.values(props.queues);
    const deadLetterQueues: [string, IQueue][] = [
      ...queues.map((q): [string, IQueue] => [dlqId(q.definition), q.deadLetterQueue]),
      [props.scheduleDeliveryDlq.id, props.scheduleDeliveryDlq.queue],
    ];
    const groups = Object.entries(props.scheduleGroups);
    const perFunction = (metric: (fn: IFunction) => Metric) =>
      functions.map((fn) => metric(fn).with({ label: fn.definition.id, period: PERIOD }));
    const perQueue = (metric: (q: IQueue) => Metric) =>
      queues.map((q) => metric(q.queue).with({ label: q.definition.id, period: PERIOD, statistic: 'Maximum' }));

    this.dashboard = new Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      periodOverride: PeriodOverride.AUTO,
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          '## Scheduling backend\nFire lag is the time from when an alarm or job was due to when its push or webhook call went out; the product aims at under a second. Any message in a dead-letter queue needs a look (README "Failures it survives").',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      graph(
        'Alarm fire lag (ms)',
        [
          custom(METRICS.fireLag, 'p50', 'alarms p50'),
          custom(METRICS.fireLag, 'p99', 'alarms p99'),
          custom(METRICS.fireLag, 'Maximum', 'alarms max'),
        ],
        THIRD,
        'ms',
      ),
      graph(
        'Job fire lag (ms)',
        [custom(METRICS.jobLag, 'p50', 'jobs p50'), custom(METRICS.jobLag, 'p99', 'jobs p99')],
        THIRD,
        'ms',
      ),
      graph(
        'Demo-account expiry lag (ms)',
        [custom(METRICS.expiryLag, 'p50', 'expiries p50'), custom(METRICS.expiryLag, 'p99', 'expiries p99')],
        THIRD,
        'ms',
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Pushes sent and failed',
        [custom(METRICS.alarmsSent, 'Sum', 'pushes sent'), custom(METRICS.alarmsFailed, 'Sum', 'pushes failed')],
        THIRD,
      ),
      graph(
        'Webhook calls succeeded and failed',
        [
          custom(METRICS.jobRunsSucceeded, 'Sum', 'webhook runs succeeded'),
          custom(METRICS.jobRunsFailed, 'Sum', 'webhook runs failed'),
        ],
        THIRD,
      ),
      graph(
        'Absence runs and absences marked',
        [
          custom(METRICS.absenceRunsStarted, 'Sum', 'absence runs started'),
          custom(METRICS.absencesMarked, 'Sum', 'absences marked'),
          custom(METRICS.accountsExpired, 'Sum', 'demo accounts expired'),
          custom(METRICS.sweptOverdueAlarms, 'Sum', 'overdue alarms re-driven'),
          custom(METRICS.sweptExpiredDemoAccounts, 'Sum', 'expired demo accounts re-driven'),
        ],
        THIRD,
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Queue depth (messages visible)',
        perQueue((q) => q.metricApproximateNumberOfMessagesVisible()),
      ),
      graph(
        'Age of oldest message (s)',
        perQueue((q) => q.metricApproximateAgeOfOldestMessage()),
        THIRD,
        's',
      ),
      graph(
        'Dead-letter queue depth',
        deadLetterQueues.map(([name, queue]) =>
          queue.metricApproximateNumberOfMessagesVisible({ label: name, period: PERIOD, statistic: 'Maximum' }),
        ),
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Lambda errors',
        perFunction((fn) => fn.metricErrors({ statistic: 'Sum' })),
      ),
      graph(
        'Lambda throttles',
        perFunction((fn) => fn.metricThrottles({ statistic: 'Sum' })),
      ),
      graph(
        'Lambda duration p99 (ms)',
        perFunction((fn) => fn.metricDuration({ statistic: 'p99' })),
        THIRD,
        'ms',
      ),
    );
    this.dashboard.addWidgets(
      ...SCHEDULER_METRICS.map((metricName, index) =>
        graph(
          `Scheduler ${metricName}`,
          groups.map(([key, group]) => group.metric(metricName, { label: key, period: PERIOD, statistic: 'Sum' })),
          index < 2 ? WIDE : THIRD,
        ),
      ),
    );

    new CfnOutput(Stack.of(this), 'DashboardName', {
      description: 'CloudWatch dashboard of fire lag, pushes, queues, functions and the Scheduler',
      value: this.dashboard.dashboardName,
    });
  }
}
