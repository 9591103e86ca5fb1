// What the local Scheduler stores (schedules and groups), the API's typed errors, and the validation
// of CreateSchedule/UpdateSchedule bodies with the constraints of the Scheduler API reference.
import { z } from 'zod';
import {
  isValidTimeZone,
  type ParsedScheduleExpression,
  parseScheduleExpression,
  ScheduleExpressionError,
} from './expressions.ts';

export const DEFAULT_GROUP = 'default';
/** AWS defaults when a target has no RetryPolicy. */
export const DEFAULT_RETRY_POLICY = { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 } as const;

/** An error the API answers with; `type` is the modeled exception name the SDK turns into its class. */
export class SchedulerApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}

export const validationError = (message: string) => new SchedulerApiError(400, 'ValidationException', message);
export const notFound = (message: string) => new SchedulerApiError(404, 'ResourceNotFoundException', message);
export const conflict = (message: string) => new SchedulerApiError(409, 'ConflictException', message);

export interface ScheduleTarget {
  readonly Arn: string;
  readonly RoleArn: string;
  readonly Input?: string;
  readonly RetryPolicy: { readonly MaximumEventAgeInSeconds: number; readonly MaximumRetryAttempts: number };
  readonly DeadLetterConfig?: { readonly Arn?: string };
  readonly SqsParameters?: { readonly MessageGroupId?: string };
}

/** Everything CreateSchedule/UpdateSchedule set; an update replaces all of it. */
export interface ScheduleDefinition {
  readonly expression: string;
  readonly timezone?: string;
  /** Epoch ms. */
  readonly startDate?: number;
  /** Epoch ms. */
  readonly endDate?: number;
  readonly description?: string;
  readonly state: 'ENABLED' | 'DISABLED';
  readonly kmsKeyArn?: string;
  readonly target: ScheduleTarget;
  readonly flexibleTimeWindow: { readonly Mode: 'OFF' | 'FLEXIBLE'; readonly MaximumWindowInMinutes?: number };
  readonly actionAfterCompletion: 'NONE' | 'DELETE';
}

/** A schedule as stored (and persisted). */
export interface ScheduleRecord extends ScheduleDefinition {
  readonly name: string;
  readonly group: string;
  readonly arn: string;
  /** Epoch ms. */
  readonly creationDate: number;
  readonly lastModificationDate: number;
  /** Scheduled time (epoch ms) of the last invocation that finished, delivered or given up. */
  readonly lastFireTime?: number;
}

export interface GroupRecord {
  readonly name: string;
  readonly arn: string;
  readonly creationDate: number;
  readonly lastModificationDate: number;
}

const NAME = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[0-9a-zA-Z-_.]+$/);
const SQS_QUEUE_ARN = /^arn:aws(-[a-z]+)?:sqs:[a-z0-9-]+:\d{12}:[a-zA-Z0-9_-]+(\.fifo)?$/;
const ROLE_ARN = /^arn:aws(-[a-z]+)?:iam::\d{12}:role\/[\w+=,.@/-]+$/;
// The SDK sends timestamps as epoch seconds; other clients may send ISO strings.
const TIMESTAMP = z.union([z.number(), z.iso.datetime({ offset: true })]).transform((value) => {
  return typeof value === 'number' ? Math.round(value * 1000) : Date.parse(value);
});

const scheduleBody = z.object({
  ScheduleExpression: z.string().min(1).max(256),
  ScheduleExpressionTimezone: z.string().min(1).max(50).optional(),
  GroupName: NAME.optional(),
  StartDate: TIMESTAMP.optional(),
  EndDate: TIMESTAMP.optional(),
  Description: z.string().max(512).optional(),
  State: z.enum(['ENABLED', 'DISABLED']).optional(),
  KmsKeyArn: z.string().min(1).max(2048).optional(),
  ClientToken: z.string().min(1).max(64).optional(),
  ActionAfterCompletion: z.enum(['NONE', 'DELETE']).optional(),
  FlexibleTimeWindow: z.object({
    Mode: z.enum(['OFF', 'FLEXIBLE']),
    MaximumWindowInMinutes: z.number().int().min(1).max(1440).optional(),
  }),
  Target: z.object({
    Arn: z
      .string()
      .min(1)
      .max(1600)
      .regex(SQS_QUEUE_ARN, 'this local Scheduler delivers only to SQS queues (arn:aws:sqs:region:account:name)'),
    RoleArn: z.string().min(1).max(1600).regex(ROLE_ARN),
    Input: z.string().min(1).optional(),
    RetryPolicy: z
      .object({
        MaximumEventAgeInSeconds: z.number().int().min(60).max(86_400).optional(),
        MaximumRetryAttempts: z.number().int().min(0).max(185).optional(),
      })
      .optional(),
    DeadLetterConfig: z.object({ Arn: z.string().regex(SQS_QUEUE_ARN).optional() }).optional(),
    SqsParameters: z.object({ MessageGroupId: z.string().min(1).max(128).optional() }).optional(),
  }),
});

export function validateName(name: string, what: 'name' | 'groupName'): string {
  const result = NAME.safeParse(name);
  if (!result.success) {
    throw validationError(
      `1 validation error detected: Value '${name}' at '${what}' failed to satisfy constraint: ` +
        'Member must have length between 1 and 64 and match ^[0-9a-zA-Z-_.]+$',
    );
  }
  return name;
}

export interface ValidatedSchedule {
  readonly group: string;
  readonly definition: ScheduleDefinition;
  readonly parsed: ParsedScheduleExpression;
}

/** Validates a CreateSchedule/UpdateSchedule body; throws ValidationException like AWS does. */
export function validateScheduleBody(body: unknown): ValidatedSchedule {
  const result = scheduleBody.safeParse(body ?? {});
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`);
    throw validationError(`${problems.length} validation error(s) detected: ${problems.join('; ')}`);
  }
  const input = result.data;
  const timezone = input.ScheduleExpressionTimezone;
  if (timezone !== undefined && !isValidTimeZone(timezone)) {
    throw validationError(`Invalid ScheduleExpressionTimezone ${timezone}.`);
  }
  let parsed: ParsedScheduleExpression;
  try {
    parsed = parseScheduleExpression(input.ScheduleExpression, timezone ?? 'UTC');
  } catch (error) {
    if (error instanceof ScheduleExpressionError) throw validationError(error.message);
    throw error;
  }
  const window = input.FlexibleTimeWindow;
  if (window.Mode === 'FLEXIBLE' && window.MaximumWindowInMinutes === undefined) {
    throw validationError('MaximumWindowInMinutes is required when FlexibleTimeWindow Mode is FLEXIBLE.');
  }
  if (window.Mode === 'OFF' && window.MaximumWindowInMinutes !== undefined) {
    throw validationError('MaximumWindowInMinutes must not be set when FlexibleTimeWindow Mode is OFF.');
  }
  if (input.StartDate !== undefined && input.EndDate !== undefined && input.EndDate <= input.StartDate) {
    throw validationError('The EndDate must be after the StartDate.');
  }
  const target = input.Target;
  return {
    group: input.GroupName ?? DEFAULT_GROUP,
    parsed,
    definition: {
      expression: input.ScheduleExpression,
      timezone,
      startDate: input.StartDate,
      endDate: input.EndDate,
      description: input.Description,
      state: input.State ?? 'ENABLED',
      kmsKeyArn: input.KmsKeyArn,
      flexibleTimeWindow: window,
      actionAfterCompletion: input.ActionAfterCompletion ?? 'NONE',
      target: {
        Arn: target.Arn,
        RoleArn: target.RoleArn,
        Input: target.Input,
        RetryPolicy: {
          MaximumEventAgeInSeconds:
            target.RetryPolicy?.MaximumEventAgeInSeconds ?? DEFAULT_RETRY_POLICY.MaximumEventAgeInSeconds,
          MaximumRetryAttempts: target.RetryPolicy?.MaximumRetryAttempts ?? DEFAULT_RETRY_POLICY.MaximumRetryAttempts,
        },
        DeadLetterConfig: target.DeadLetterConfig,
        SqsParameters: target.SqsParameters,
      },
    },
  };
}
