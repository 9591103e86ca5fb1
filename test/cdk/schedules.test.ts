import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { RECURRING_SCHEDULES, SCHEDULE_GROUPS, SCHEDULE_RETRY_POLICY } from '../../lib/definitions.ts';
import type { SchedulingStack } from '../../lib/scheduling-stack.ts';
import { arnOf, logicalId, resourcesOf, synthesize } from './stack-fixture.ts';

let template: Template;
let stack: SchedulingStack;

beforeAll(() => {
  ({ template, stack } = synthesize({ bundle: false }));
});

const groupName = (key: keyof typeof SCHEDULE_GROUPS) =>
  resourcesOf(template, 'AWS::Scheduler::ScheduleGroup')[logicalId(stack.scheduleGroups[key])]?.Properties.Name;

describe('schedule groups', () => {
  it('should create one schedule group per definition, each with its own name', () => {
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', Object.keys(SCHEDULE_GROUPS).length);
    const names = (Object.keys(SCHEDULE_GROUPS) as (keyof typeof SCHEDULE_GROUPS)[]).map(groupName);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toEqual(expect.any(String));
  });
});

describe('recurring schedules', () => {
  it('should create one schedule per recurring definition, all in the recurring group', () => {
    const schedules = Object.values(resourcesOf(template, 'AWS::Scheduler::Schedule'));
    expect(schedules).toHaveLength(Object.keys(RECURRING_SCHEDULES).length);
    for (const schedule of schedules) expect(schedule.Properties.GroupName).toBe(groupName('recurring'));
  });

  it('should run the absence batch at 00:00 Korea time every day into the absence queue, with retries and a DLQ', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 0 * * ? *)',
      ScheduleExpressionTimezone: 'Asia/Seoul',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: {
        Arn: arnOf(logicalId(stack.queues.absence.queue)),
        RoleArn: arnOf(logicalId(stack.schedulerRole)),
        Input: JSON.stringify(RECURRING_SCHEDULES.nightlyAbsence.input),
        RetryPolicy: {
          MaximumEventAgeInSeconds: SCHEDULE_RETRY_POLICY.maximumEventAgeInSeconds,
          MaximumRetryAttempts: SCHEDULE_RETRY_POLICY.maximumRetryAttempts,
        },
        DeadLetterConfig: { Arn: arnOf(logicalId(stack.scheduleDeliveryDlq)) },
      },
    });
  });

  it('should name the night in the absence message from the scheduled time, so a late delivery still marks the right night', () => {
    const schedule = Object.values(resourcesOf(template, 'AWS::Scheduler::Schedule')).find(
      (s) => s.Properties.ScheduleExpression === RECURRING_SCHEDULES.nightlyAbsence.expression,
    );
    expect(schedule).toBeDefined();
    const input = JSON.parse((schedule?.Properties.Target as { Input?: string } | undefined)?.Input ?? '{}') as Record<
      string,
      unknown
    >;
    expect(input.at).toBe('<aws.scheduler.scheduled-time>');
  });

  it.each(Object.values(RECURRING_SCHEDULES))(
    'should deliver the $id schedule as defined: expression, time zone, queue, input',
    (definition) => {
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: definition.expression,
        ScheduleExpressionTimezone: definition.timezone,
        Target: {
          Arn: arnOf(logicalId(stack.queues[definition.queue].queue)),
          RoleArn: arnOf(logicalId(stack.schedulerRole)),
          Input: JSON.stringify(definition.input),
          RetryPolicy: {
            MaximumEventAgeInSeconds: SCHEDULE_RETRY_POLICY.maximumEventAgeInSeconds,
            MaximumRetryAttempts: SCHEDULE_RETRY_POLICY.maximumRetryAttempts,
          },
          DeadLetterConfig: { Arn: arnOf(logicalId(stack.scheduleDeliveryDlq)) },
        },
      });
    },
  );
});
