// What each function may read and call: its table access, queues, schedule groups, secrets and settings.
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Role } from 'aws-cdk-lib/aws-iam';
import type { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import type { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import {
  DEFAULTS,
  ENV,
  type FUNCTIONS,
  ONE_OFF_SCHEDULE_TARGETS,
  type QueueKey,
  SCHEDULE_GROUPS,
} from './definitions.ts';
import type { HouseFunction, NamedScheduleGroup } from './house-function.ts';
import type { SchedulingQueue } from './queues.ts';
import type { ScheduleGroupKey } from './schedules.ts';

export type FunctionKey = keyof typeof FUNCTIONS;

/** The resources the functions are bound to (the stack's). */
export interface BindableResources {
  readonly table: Table;
  readonly queues: Readonly<Record<QueueKey, SchedulingQueue>>;
  readonly scheduleDeliveryDlq: Queue;
  readonly scheduleGroups: Readonly<Record<ScheduleGroupKey, ScheduleGroup>>;
  readonly schedulerRole: Role;
  readonly functions: Readonly<Record<FunctionKey, HouseFunction>>;
  readonly adminTokenSecret: Secret;
  readonly fcmCredentialsSecret: Secret;
}

/** Each function gets exactly what its code reads and calls, nothing more. */
export function bindFunctions(resources: BindableResources, demoTtl: number): void {
  const { api, expireDemoAccount, sendDueAlarm, runDueJob, markAbsentees, sweep } = resources.functions;
  const { queues, table } = resources;
  const delivery = { role: resources.schedulerRole, deadLetterQueue: resources.scheduleDeliveryDlq };
  const namedGroup = (key: 'demoAccounts' | 'alarms' | 'jobs'): NamedScheduleGroup => ({
    group: resources.scheduleGroups[key],
    env: SCHEDULE_GROUPS[key].env,
  });

  api
    .bindTable(table, 'RW')
    .bindScheduleGroup(namedGroup('demoAccounts'), 'manage', delivery)
    .bindScheduleGroup(namedGroup('alarms'), 'manage', delivery)
    .bindScheduleGroup(namedGroup('jobs'), 'manage', delivery)
    // POST /admin/absence-runs queues a run directly.
    .bindQueue(queues.absence, 'send')
    // Timers due sooner than a schedule can serve (lambdas/timers/), and alarms while the Scheduler is
    // unavailable, go straight on their queue, delayed.
    .bindQueue(queues.alarmPush, 'send')
    .bindQueue(queues.accountExpiry, 'send')
    // A job due sooner than a schedule's lead (or while the Scheduler is unavailable) rides its queue.
    .bindQueue(queues.jobs, 'send')
    .bindSecret(resources.adminTokenSecret, ENV.adminTokenSecretArn);
  type Target = [
    keyof typeof ONE_OFF_SCHEDULE_TARGETS,
    (typeof ONE_OFF_SCHEDULE_TARGETS)[keyof typeof ONE_OFF_SCHEDULE_TARGETS],
  ];
  for (const [key, arnEnv] of Object.entries(ONE_OFF_SCHEDULE_TARGETS) as Target[])
    api.bindScheduleTarget(queues[key], arnEnv);
  api.addEnvironment(ENV.demoTtlSeconds, String(demoTtl));
  api.addEnvironment(ENV.demoRateLimitPerMinute, String(DEFAULTS.demoRateLimitPerMinute));

  // Deleting an account deletes its expiry schedule and its alarms' and jobs' schedules; it never creates one.
  expireDemoAccount
    .bindTable(table, 'RW')
    // An expiry message that comes early (the Scheduler's minute) is held on its queue until expiresAt.
    .bindQueue(queues.accountExpiry, 'send')
    .bindScheduleGroup(namedGroup('demoAccounts'), 'delete')
    .bindScheduleGroup(namedGroup('alarms'), 'delete')
    .bindScheduleGroup(namedGroup('jobs'), 'delete');

  // A run's retry goes back with a growing visibility delay; an early arrival is held with a delayed
  // copy; a recurring job's next run is armed as its own one-off schedule.
  runDueJob
    .bindTable(table, 'RW+statements')
    .bindQueue(queues.jobs, 'changeVisibility')
    .bindQueue(queues.jobs, 'send')
    .bindScheduleGroup(namedGroup('jobs'), 'manage', delivery)
    .bindScheduleTarget(queues.jobs, ENV.jobsQueueArn);

  // FCM 429/5xx: the message goes back with a growing visibility delay; an alarm that rides the queue
  // (Scheduler unavailable) is re-sent as the next delayed hop until its fireAt. A recurring alarm's
  // occurrence, once done, arms the next one: a schedule in the alarms group (or a delayed message).
  sendDueAlarm
    .bindTable(table, 'RW+statements')
    .bindQueue(queues.alarmPush, 'changeVisibility')
    .bindQueue(queues.alarmPush, 'send')
    .bindScheduleGroup(namedGroup('alarms'), 'manage', delivery)
    .bindScheduleTarget(queues.alarmPush, ENV.alarmPushQueueArn)
    .bindSecret(resources.fcmCredentialsSecret, ENV.fcmCredentialsSecretArn);
  sendDueAlarm.addEnvironment(ENV.fcmBaseUrl, DEFAULTS.fcmBaseUrl);

  // A large run fans out: chunks go back onto its own queue.
  markAbsentees.bindTable(table, 'RW').bindQueue(queues.absence, 'send');

  // Reads the due index and re-drives through the normal queues.
  sweep
    .bindTable(table, 'R')
    .bindQueue(queues.accountExpiry, 'send')
    .bindQueue(queues.alarmPush, 'send')
    .bindQueue(queues.jobs, 'send');
}
