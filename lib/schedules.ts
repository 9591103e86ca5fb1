// EventBridge Scheduler's side: the schedule groups, the role that delivers schedules to the work queues,
// and the recurring schedules of lib/definitions.ts RECURRING_SCHEDULES.
import { RemovalPolicy, type Stack } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnSchedule, ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import {
  ONE_OFF_SCHEDULE_TARGETS,
  pascal,
  type QueueKey,
  RECURRING_SCHEDULES,
  SCHEDULE_GROUPS,
  SCHEDULE_RETRY_POLICY,
} from './definitions.ts';
import type { SchedulingQueue } from './queues.ts';

export type ScheduleGroupKey = keyof typeof SCHEDULE_GROUPS;

export function makeScheduleGroups(scope: Stack): Record<ScheduleGroupKey, ScheduleGroup> {
  const made = {} as Record<ScheduleGroupKey, ScheduleGroup>;
  for (const [key, definition] of Object.entries(SCHEDULE_GROUPS) as [ScheduleGroupKey, { id: string }][]) {
    // No fixed name: CloudFormation names it after the stack, so two stacks in one account never collide;
    // functions learn the name from their environment.
    made[key] = new ScheduleGroup(scope, `${pascal(definition.id)}ScheduleGroup`, {
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }
  return made;
}

/** The queues schedules deliver to: those of one-off schedules and of the recurring ones. */
function scheduledQueueKeys(): QueueKey[] {
  const keys = new Set<QueueKey>(Object.keys(ONE_OFF_SCHEDULE_TARGETS) as QueueKey[]);
  for (const schedule of Object.values(RECURRING_SCHEDULES)) keys.add(schedule.queue);
  return [...keys];
}

export interface SchedulerDelivery {
  readonly scheduleGroups: Readonly<Record<ScheduleGroupKey, ScheduleGroup>>;
  readonly queues: Readonly<Record<QueueKey, SchedulingQueue>>;
  readonly scheduleDeliveryDlq: Queue;
}

/** The role EventBridge Scheduler assumes: it may only send to the queues schedules deliver to. */
export function makeSchedulerRole(
  scope: Stack,
  { scheduleGroups, queues, scheduleDeliveryDlq }: SchedulerDelivery,
): Role {
  const role = new Role(scope, 'SchedulerRole', {
    description: 'Assumed by EventBridge Scheduler to deliver schedules to the work queues',
    assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
      conditions: {
        // Only schedules of this account, in this stack's groups (confused-deputy protection).
        StringEquals: { 'aws:SourceAccount': scope.account },
        ArnEquals: { 'aws:SourceArn': Object.values(scheduleGroups).map((group) => group.scheduleGroupArn) },
      },
    }),
  });
  role.addToPolicy(
    new PolicyStatement({
      actions: ['sqs:SendMessage'],
      resources: [...scheduledQueueKeys().map((key) => queues[key].queue.queueArn), scheduleDeliveryDlq.queueArn],
    }),
  );
  return role;
}

export function makeRecurringSchedules(
  scope: Stack,
  { scheduleGroups, queues, scheduleDeliveryDlq }: SchedulerDelivery,
  schedulerRole: Role,
): void {
  for (const definition of Object.values(RECURRING_SCHEDULES)) {
    new CfnSchedule(scope, `${pascal(definition.id)}Schedule`, {
      description: definition.description,
      groupName: scheduleGroups.recurring.scheduleGroupName,
      scheduleExpression: definition.expression,
      scheduleExpressionTimezone: definition.timezone,
      flexibleTimeWindow: { mode: 'OFF' },
      state: 'ENABLED',
      target: {
        arn: queues[definition.queue].queue.queueArn,
        roleArn: schedulerRole.roleArn,
        input: JSON.stringify(definition.input),
        retryPolicy: {
          maximumEventAgeInSeconds: SCHEDULE_RETRY_POLICY.maximumEventAgeInSeconds,
          maximumRetryAttempts: SCHEDULE_RETRY_POLICY.maximumRetryAttempts,
        },
        deadLetterConfig: { arn: scheduleDeliveryDlq.queueArn },
      },
    });
  }
}
