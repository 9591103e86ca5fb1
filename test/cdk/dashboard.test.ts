import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { SCHEDULER_METRICS } from '../../lib/dashboard.ts';
import { FUNCTIONS, METRICS, QUEUES } from '../../lib/definitions.ts';
import { REPO_ROOT } from '../../lib/house-function.ts';
import type { SchedulingStack } from '../../lib/scheduling-stack.ts';
import { logicalId, refOf, resourcesOf, synthesize } from './stack-fixture.ts';

let template: Template;
let stack: SchedulingStack;
let widgets: Widget[];

interface Widget {
  readonly type: string;
  readonly properties: { readonly title?: string; readonly metrics?: unknown[][] };
}

/** The dashboard body with each CloudFormation token written as `Ref:<id>` or `GetAtt:<id>.<attribute>`. */
function dashboardBody(): { widgets: Widget[] } {
  const dashboards = Object.values(resourcesOf(template, 'AWS::CloudWatch::Dashboard'));
  const body = dashboards[0]?.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] };
  const text = body['Fn::Join'][1]
    .map((part) => {
      if (typeof part === 'string') return part;
      const token = part as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
      return token.Ref ? `Ref:${token.Ref}` : `GetAtt:${token['Fn::GetAtt']?.join('.')}`;
    })
    .join('');
  return JSON.parse(text) as { widgets: Widget[] };
}

beforeAll(() => {
  ({ template, stack } = synthesize({ bundle: false }));
  widgets = dashboardBody().widgets;
});

const widgetTitled = (title: string): Widget => {
  const found = widgets.find((w) => w.properties.title === title);
  if (!found) throw new Error(`No widget titled "${title}"; there are: ${widgets.map((w) => w.properties.title)}`);
  return found;
};
const metricsOf = (title: string): string[] =>
  (widgetTitled(title).properties.metrics ?? []).map((m) => JSON.stringify(m));

/** A custom metric line: the SEARCH that finds the metric by name in the namespace, at a statistic. */
const searchFor = (name: string, statistic: string) =>
  `SEARCH('{SchedulingBackend,service} MetricName=\\"${name}\\"', '${statistic}', 60)`;

/** `METRICS.x` names each addMetric call of the functions' code uses. */
function metricsEmittedByTheCode(): { names: string[]; literals: string[] } {
  const files = readdirSync(join(REPO_ROOT, 'lambdas'), { recursive: true, encoding: 'utf8' }).filter((f) =>
    f.endsWith('.ts'),
  );
  const names: string[] = [];
  const literals: string[] = [];
  for (const file of files) {
    const source = readFileSync(join(REPO_ROOT, 'lambdas', file), 'utf8');
    for (const call of source.matchAll(/addMetric\(\s*([^,]+),/g)) {
      const argument = (call[1] ?? '').trim();
      const key = /^METRICS\.(\w+)$/.exec(argument)?.[1];
      if (key && key in METRICS) names.push(METRICS[key as keyof typeof METRICS]);
      else literals.push(`${file}: ${argument}`);
    }
  }
  return { names, literals };
}

describe('operations dashboard', () => {
  it('should create one CloudWatch dashboard and name it in the stack outputs', () => {
    const dashboards = Object.keys(resourcesOf(template, 'AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.DashboardName?.Value).toEqual(refOf(dashboards[0] as string));
  });

  it('should take every metric name the functions emit from lib/definitions.ts, never a literal', () => {
    const { names, literals } = metricsEmittedByTheCode();
    expect(literals).toEqual([]);
    expect(names).toEqual(
      expect.arrayContaining([METRICS.alarmsSent, METRICS.alarmsFailed, METRICS.fireLag, METRICS.absencesMarked]),
    );
  });

  it('should graph every metric the functions emit, by the name they emit it under', () => {
    const body = JSON.stringify(widgets);
    const { names } = metricsEmittedByTheCode();
    for (const name of new Set([...names, ...Object.values(METRICS)])) {
      expect(body, `${name} is on no widget`).toContain(`MetricName=\\"${name}\\"`);
    }
  });

  it('should show the p50 and p99 of alarm and job fire lag', () => {
    expect(metricsOf('Alarm fire lag (ms)').join()).toContain(searchFor(METRICS.fireLag, 'p50'));
    expect(metricsOf('Alarm fire lag (ms)').join()).toContain(searchFor(METRICS.fireLag, 'p99'));
    expect(metricsOf('Job fire lag (ms)').join()).toContain(searchFor(METRICS.jobLag, 'p50'));
    expect(metricsOf('Job fire lag (ms)').join()).toContain(searchFor(METRICS.jobLag, 'p99'));
  });

  it('should show pushes and webhook calls sent and failed', () => {
    const pushes = metricsOf('Pushes sent and failed').join();
    expect(pushes).toContain(searchFor(METRICS.alarmsSent, 'Sum'));
    expect(pushes).toContain(searchFor(METRICS.alarmsFailed, 'Sum'));
    const calls = metricsOf('Webhook calls succeeded and failed').join();
    expect(calls).toContain(searchFor(METRICS.jobRunsSucceeded, 'Sum'));
    expect(calls).toContain(searchFor(METRICS.jobRunsFailed, 'Sum'));
  });

  it("should graph every queue's depth and oldest message's age, and every dead-letter queue's depth", () => {
    const depth = metricsOf('Queue depth (messages visible)');
    const age = metricsOf('Age of oldest message (s)');
    const dlqs = metricsOf('Dead-letter queue depth');
    expect(depth).toHaveLength(Object.keys(QUEUES).length);
    for (const { queue, deadLetterQueue } of Object.values(stack.queues)) {
      const name = `GetAtt:${logicalId(queue)}.QueueName`;
      expect(depth.some((m) => m.includes('ApproximateNumberOfMessagesVisible') && m.includes(name))).toBe(true);
      expect(age.some((m) => m.includes('ApproximateAgeOfOldestMessage') && m.includes(name))).toBe(true);
      expect(dlqs.some((m) => m.includes(`GetAtt:${logicalId(deadLetterQueue)}.QueueName`))).toBe(true);
    }
    expect(dlqs.some((m) => m.includes(`GetAtt:${logicalId(stack.scheduleDeliveryDlq)}.QueueName`))).toBe(true);
    expect(dlqs).toHaveLength(Object.keys(QUEUES).length + 1);
  });

  it('should graph errors, throttles and p99 duration of every function', () => {
    for (const [title, metric] of [
      ['Lambda errors', '"Errors"'],
      ['Lambda throttles', '"Throttles"'],
      ['Lambda duration p99 (ms)', '"Duration"'],
    ] as const) {
      const lines = metricsOf(title);
      expect(lines).toHaveLength(Object.keys(FUNCTIONS).length);
      for (const fn of Object.values(stack.functions)) {
        expect(
          lines.some((m) => m.includes(metric) && m.includes(`Ref:${logicalId(fn)}`)),
          `${title}: ${fn.definition.id}`,
        ).toBe(true);
      }
    }
  });

  it("should graph the Scheduler's invocation, error, throttle, drop and dead-letter counts for every schedule group", () => {
    expect(SCHEDULER_METRICS).toEqual([
      'InvocationAttemptCount',
      'TargetErrorCount',
      'InvocationThrottleCount',
      'InvocationDroppedCount',
      'InvocationsSentToDeadLetterCount',
    ]);
    for (const metric of SCHEDULER_METRICS) {
      const lines = metricsOf(`Scheduler ${metric}`);
      for (const group of Object.values(stack.scheduleGroups)) {
        expect(
          lines.some(
            (m) =>
              m.includes('"AWS/Scheduler"') &&
              m.includes(`"${metric}"`) &&
              m.includes(`"${stack.resolve(group.scheduleGroupName)}"`),
          ),
          `${metric} of ${group.node.id}`,
        ).toBe(true);
      }
    }
  });
});
