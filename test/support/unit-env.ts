// Environment of the functions under unit test. Import first (before any module under test).
import { ENV } from '../../lib/definitions.ts';

export const UNIT_ENV = {
  [ENV.tableName]: 'unit-table',
  [ENV.accountExpiryQueueArn]: 'arn:aws:sqs:us-east-1:123456789012:account-expiry',
  [ENV.accountExpiryQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/account-expiry',
  [ENV.alarmPushQueueArn]: 'arn:aws:sqs:us-east-1:123456789012:alarm-push',
  [ENV.alarmPushQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/alarm-push',
  [ENV.absenceQueueArn]: 'arn:aws:sqs:us-east-1:123456789012:absence',
  [ENV.absenceQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/absence',
  [ENV.jobsQueueArn]: 'arn:aws:sqs:us-east-1:123456789012:jobs',
  [ENV.jobsQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/jobs',
  [ENV.sweepQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/sweep',
  [ENV.demoScheduleGroup]: 'demo-accounts',
  [ENV.alarmScheduleGroup]: 'alarms',
  [ENV.jobScheduleGroup]: 'jobs',
  [ENV.schedulerRoleArn]: 'arn:aws:iam::123456789012:role/scheduler',
  [ENV.scheduleDlqArn]: 'arn:aws:sqs:us-east-1:123456789012:schedule-delivery-dlq',
  [ENV.adminToken]: 'unit-admin-token',
  [ENV.demoTtlSeconds]: '3600',
  [ENV.demoRateLimitPerMinute]: '10',
  [ENV.fcmBaseUrl]: 'http://127.0.0.1:9',
} as const;

for (const [name, value] of Object.entries(UNIT_ENV)) process.env[name] = value;
