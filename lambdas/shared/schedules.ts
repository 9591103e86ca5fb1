// One-off EventBridge Scheduler schedules that drop a message on an SQS queue at a given instant.
import {
  ConflictException,
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { ENV, SCHEDULE_RETRY_POLICY } from '../../lib/definitions.ts';
import { scheduler } from './clients/scheduler.ts';
import { lazy, requireEnv } from './config.ts';

const config = lazy(() => ({
  roleArn: requireEnv(ENV.schedulerRoleArn),
  deadLetterArn: requireEnv(ENV.scheduleDlqArn),
}));

export interface OneOffSchedule {
  readonly group: string;
  readonly name: string;
  /** When the message must be sent (epoch ms); rounded up to the second, the Scheduler's precision. */
  readonly at: number;
  readonly targetArn: string;
  readonly message: unknown;
}

/** `at(...)` wall-clock expression in UTC. Rounded up so nothing fires before its time. */
export function atExpression(epochMs: number): string {
  const seconds = Math.ceil(epochMs / 1000) * 1000;
  return `at(${new Date(seconds).toISOString().slice(0, 19)})`;
}

function scheduleInput(schedule: OneOffSchedule): CreateScheduleCommandInput {
  const { roleArn, deadLetterArn } = config();
  return {
    GroupName: schedule.group,
    Name: schedule.name,
    ScheduleExpression: atExpression(schedule.at),
    ScheduleExpressionTimezone: 'UTC',
    FlexibleTimeWindow: { Mode: 'OFF' },
    // Fired one-off schedules would otherwise pile up against the account's schedule quota.
    ActionAfterCompletion: 'DELETE',
    State: 'ENABLED',
    Target: {
      Arn: schedule.targetArn,
      RoleArn: roleArn,
      Input: JSON.stringify(schedule.message),
      RetryPolicy: {
        MaximumEventAgeInSeconds: SCHEDULE_RETRY_POLICY.maximumEventAgeInSeconds,
        MaximumRetryAttempts: SCHEDULE_RETRY_POLICY.maximumRetryAttempts,
      },
      DeadLetterConfig: { Arn: deadLetterArn },
    },
  };
}

/** Creates the schedule, or replaces it if one of that name exists already (a retried call). */
export async function putOneOffSchedule(schedule: OneOffSchedule): Promise<void> {
  const input = scheduleInput(schedule);
  try {
    await scheduler.send(new CreateScheduleCommand(input));
  } catch (error) {
    if (!(error instanceof ConflictException)) throw error;
    await scheduler.send(new UpdateScheduleCommand(input));
  }
}

/** Moves the schedule to a new time; creates it again if it already fired and was deleted. */
export async function moveOneOffSchedule(schedule: OneOffSchedule): Promise<void> {
  const input = scheduleInput(schedule);
  try {
    await scheduler.send(new UpdateScheduleCommand(input));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    await scheduler.send(new CreateScheduleCommand(input));
  }
}

/** Deletes the schedule; one that already fired (and deleted itself) or never existed is fine. */
export async function deleteScheduleIfExists(group: string, name: string): Promise<void> {
  try {
    await scheduler.send(new DeleteScheduleCommand({ GroupName: group, Name: name }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
}
