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

/**
 * Writes the schedule the way the caller expects to find it (`create`: not there yet; `update`: there),
 * and the other way when the Scheduler says it is not so (ConflictException, ResourceNotFoundException).
 */
async function writeSchedule(schedule: OneOffSchedule, expect: 'create' | 'update'): Promise<void> {
  const input = scheduleInput(schedule);
  const create = () => scheduler.send(new CreateScheduleCommand(input));
  const update = () => scheduler.send(new UpdateScheduleCommand(input));
  try {
    await (expect === 'create' ? create() : update());
  } catch (error) {
    const notSo = expect === 'create' ? ConflictException : ResourceNotFoundException;
    if (!(error instanceof notSo)) throw error;
    await (expect === 'create' ? update() : create());
  }
}

/** Creates the schedule, or replaces it if one of that name exists already (a retried call). */
export const putOneOffSchedule = (schedule: OneOffSchedule): Promise<void> => writeSchedule(schedule, 'create');

/** Moves the schedule to a new time; creates it again if it already fired and was deleted. */
export const moveOneOffSchedule = (schedule: OneOffSchedule): Promise<void> => writeSchedule(schedule, 'update');

/** Deletes the schedule; one that already fired (and deleted itself) or never existed is fine. */
export async function deleteScheduleIfExists(group: string, name: string): Promise<void> {
  try {
    await scheduler.send(new DeleteScheduleCommand({ GroupName: group, Name: name }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
}
