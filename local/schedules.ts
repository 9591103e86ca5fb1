// The Scheduler's side of the stack, made locally: its schedule groups and recurring schedules.
import {
  ConflictException,
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  CreateScheduleGroupCommand,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { RECURRING_SCHEDULES, SCHEDULE_GROUPS, SCHEDULE_RETRY_POLICY } from '../lib/definitions.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, LOCAL_SCHEDULER_ROLE_ARN } from './local-aws.ts';
import type { LocalQueues } from './sqs/sqs.ts';

/** The schedule groups and the recurring schedules, through the Scheduler API as the stack declares them. */
export async function createSchedules(endpoint: string, queues: LocalQueues): Promise<void> {
  const scheduler = new SchedulerClient({ region: LOCAL_REGION, endpoint, credentials: LOCAL_CREDENTIALS });
  try {
    for (const group of Object.values(SCHEDULE_GROUPS)) {
      try {
        await scheduler.send(new CreateScheduleGroupCommand({ Name: group.id }));
      } catch (error) {
        // Kept from an earlier run (DATA_DIR).
        if (!(error instanceof ConflictException)) throw error;
      }
    }
    for (const definition of Object.values(RECURRING_SCHEDULES)) {
      const input: CreateScheduleCommandInput = {
        Name: definition.id,
        GroupName: SCHEDULE_GROUPS.recurring.id,
        Description: definition.description,
        ScheduleExpression: definition.expression,
        ScheduleExpressionTimezone: definition.timezone,
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: 'ENABLED',
        Target: {
          Arn: queues.queues[definition.queue].arn,
          RoleArn: LOCAL_SCHEDULER_ROLE_ARN,
          Input: JSON.stringify(definition.input),
          RetryPolicy: {
            MaximumEventAgeInSeconds: SCHEDULE_RETRY_POLICY.maximumEventAgeInSeconds,
            MaximumRetryAttempts: SCHEDULE_RETRY_POLICY.maximumRetryAttempts,
          },
          DeadLetterConfig: { Arn: queues.scheduleDeliveryDlq.arn },
        },
      };
      try {
        await scheduler.send(new CreateScheduleCommand(input));
      } catch (error) {
        if (!(error instanceof ConflictException)) throw error;
        // Kept from an earlier run: bring it in line with the definitions (queue ARNs are the same each run).
        await scheduler.send(new UpdateScheduleCommand(input));
      }
    }
  } finally {
    scheduler.destroy();
  }
}
