// The one source of truth for every resource the stack creates and the code (handlers and the local
// cloud) refers to: table keys and indexes, queues and their redrive, schedule groups, recurring
// schedules, functions, HTTP routes and the environment variables that bind them together.
// Pure data: importable from Lambda bundles and the local cloud without pulling in aws-cdk-lib.

/** Environment variable names, shared by the stack (which sets them) and the handlers (which read them). */
export const ENV = {
  tableName: 'TABLE_NAME',
  accountExpiryQueueUrl: 'ACCOUNT_EXPIRY_QUEUE_URL',
  accountExpiryQueueArn: 'ACCOUNT_EXPIRY_QUEUE_ARN',
  alarmPushQueueUrl: 'ALARM_PUSH_QUEUE_URL',
  alarmPushQueueArn: 'ALARM_PUSH_QUEUE_ARN',
  absenceQueueUrl: 'ABSENCE_QUEUE_URL',
  absenceQueueArn: 'ABSENCE_QUEUE_ARN',
  sweepQueueUrl: 'SWEEP_QUEUE_URL',
  jobsQueueUrl: 'JOBS_QUEUE_URL',
  jobsQueueArn: 'JOBS_QUEUE_ARN',
  demoScheduleGroup: 'DEMO_SCHEDULE_GROUP',
  alarmScheduleGroup: 'ALARM_SCHEDULE_GROUP',
  jobScheduleGroup: 'JOB_SCHEDULE_GROUP',
  schedulerRoleArn: 'SCHEDULER_ROLE_ARN',
  scheduleDlqArn: 'SCHEDULE_DLQ_ARN',
  demoTtlSeconds: 'DEMO_TTL_SECONDS',
  demoRateLimitPerMinute: 'DEMO_RATE_LIMIT_PER_MINUTE',
  /** Locally: the admin token itself. In AWS: unset; ADMIN_TOKEN_SECRET_ARN is used instead. */
  adminToken: 'ADMIN_TOKEN',
  adminTokenSecretArn: 'ADMIN_TOKEN_SECRET_ARN',
  fcmBaseUrl: 'FCM_BASE_URL',
  /** Locally: a service-account JSON file. In AWS: unset; FCM_CREDENTIALS_SECRET_ARN is used instead. */
  fcmCredentialsFile: 'FCM_CREDENTIALS_FILE',
  fcmCredentialsSecretArn: 'FCM_CREDENTIALS_SECRET_ARN',
  /** `true` only in the local cloud: calls to users' URLs may also use `http:` and loopback. Never set in AWS. */
  outboundAllowLocal: 'OUTBOUND_ALLOW_LOCAL',
} as const;
export type EnvName = (typeof ENV)[keyof typeof ENV];

/** The single DynamoDB table (single-table design; see README "Data model"). */
export const TABLE = {
  id: 'Data',
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds; DynamoDB TTL deletes the item after it (a backstop, never the primary path). */
  ttlAttribute: 'ttl',
  indexes: {
    /** Things that fall due: pending alarms and demo accounts, bucketed by hour, sorted by due time. */
    due: { name: 'due-index', partitionKey: 'duePk', sortKey: 'dueAt' },
    /** Weeks of auto-attendance studies, bucketed by the UTC day their endsAt falls in. */
    weekEnd: { name: 'week-end-index', partitionKey: 'weekEndPk', sortKey: 'endsAt' },
  },
} as const;

export interface QueueDefinition {
  /** Logical id in the stack, and the queue name locally. */
  readonly id: string;
  readonly visibilityTimeoutSeconds: number;
  readonly maxReceiveCount: number;
  readonly retentionDays: number;
  readonly urlEnv: EnvName;
}

export const QUEUES = {
  accountExpiry: {
    id: 'account-expiry',
    visibilityTimeoutSeconds: 60,
    maxReceiveCount: 5,
    retentionDays: 14,
    urlEnv: ENV.accountExpiryQueueUrl,
  },
  alarmPush: {
    id: 'alarm-push',
    visibilityTimeoutSeconds: 60,
    // FCM 429/5xx are retried by returning the message with a growing visibility delay (2 s doubling,
    // capped at 300 s, full jitter); 10 receives ride out several minutes of FCM outage.
    maxReceiveCount: 10,
    retentionDays: 14,
    urlEnv: ENV.alarmPushQueueUrl,
  },
  absence: {
    id: 'absence',
    visibilityTimeoutSeconds: 180,
    maxReceiveCount: 5,
    retentionDays: 14,
    urlEnv: ENV.absenceQueueUrl,
  },
  jobs: {
    id: 'jobs',
    // Above the consumer's timeout (30 s: a 10 s call, the last second's hold, the writes around it).
    visibilityTimeoutSeconds: 60,
    // 408/429/5xx, timeouts and network errors are retried by returning the message with a growing
    // visibility delay (2 s doubling, capped at 300 s, full jitter; or Retry-After): 10 calls per run.
    maxReceiveCount: 10,
    retentionDays: 14,
    urlEnv: ENV.jobsQueueUrl,
  },
  sweep: {
    id: 'sweep',
    visibilityTimeoutSeconds: 180,
    maxReceiveCount: 3,
    retentionDays: 1,
    urlEnv: ENV.sweepQueueUrl,
  },
} as const satisfies Record<string, QueueDefinition>;
export type QueueKey = keyof typeof QUEUES;

/** The DLQ of a work queue is named after it. */
export const dlqId = (queue: QueueDefinition): string => `${queue.id}-dlq`;
/** Where the Scheduler puts a schedule's event after its last failed delivery attempt. */
export const SCHEDULE_DELIVERY_DLQ_ID = 'schedule-delivery-dlq';

/**
 * Work queues that schedules created at run time may target, with the variable that carries each one's
 * ARN: the stack grants and sets them, the local cloud sets them the same way.
 */
export const ONE_OFF_SCHEDULE_TARGETS = {
  accountExpiry: ENV.accountExpiryQueueArn,
  alarmPush: ENV.alarmPushQueueArn,
  absence: ENV.absenceQueueArn,
  jobs: ENV.jobsQueueArn,
} as const satisfies Partial<Record<QueueKey, EnvName>>;

/**
 * Schedule groups: those of one-off schedules created at run time, each with the work queue its
 * schedules target (one of ONE_OFF_SCHEDULE_TARGETS), and the group of RECURRING_SCHEDULES.
 */
export const SCHEDULE_GROUPS = {
  demoAccounts: { id: 'demo-accounts', env: ENV.demoScheduleGroup, targetQueue: 'accountExpiry' },
  alarms: { id: 'alarms', env: ENV.alarmScheduleGroup, targetQueue: 'alarmPush' },
  jobs: { id: 'jobs', env: ENV.jobScheduleGroup, targetQueue: 'jobs' },
  recurring: { id: 'recurring' },
} as const satisfies Record<string, { id: string; env?: EnvName; targetQueue?: keyof typeof ONE_OFF_SCHEDULE_TARGETS }>;

/** Retry policy of every schedule's target (one-off and recurring). */
export const SCHEDULE_RETRY_POLICY = { maximumEventAgeInSeconds: 86_400, maximumRetryAttempts: 185 } as const;

export interface RecurringScheduleDefinition {
  readonly id: string;
  readonly expression: string;
  readonly timezone: string;
  /** The work queue it targets. */
  readonly queue: QueueKey;
  /** The JSON body of the SQS message the schedule sends. */
  readonly input: Record<string, unknown>;
  readonly description: string;
}

export const RECURRING_SCHEDULES = {
  nightlyAbsence: {
    id: 'nightly-absence',
    expression: 'cron(0 0 * * ? *)',
    timezone: 'Asia/Seoul',
    queue: 'absence',
    // The Scheduler fills in its context attributes, so a late or retried delivery still names its night.
    input: { kind: 'absence-run', trigger: 'schedule', at: '<aws.scheduler.scheduled-time>' },
    description: 'Marks absentees of auto-attendance weeks every day at 00:00 Korea time',
  },
  sweeper: {
    id: 'sweeper',
    expression: 'rate(5 minutes)',
    timezone: 'UTC',
    queue: 'sweep',
    input: { kind: 'sweep' },
    description: 'Re-drives alarms, job runs and demo accounts whose schedule never delivered',
  },
} as const satisfies Record<string, RecurringScheduleDefinition>;

export interface FunctionDefinition {
  readonly id: string;
  /** Path of the handler module, relative to the repository root. */
  readonly entry: string;
  readonly handler: 'handler';
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** The queue it consumes, for consumers. */
  readonly queue?: QueueKey;
  readonly batchSize?: number;
  readonly maxBatchingWindowSeconds?: number;
  /** Concurrent invocations the event source may run at most (locally: pollers at most). */
  readonly maxConcurrency?: number;
  /** The event source in provisioned mode: pollers kept warm for a burst (SQS: minimum 2, maximum 2,000). */
  readonly provisionedPollers?: { readonly minimum: number; readonly maximum: number };
}

export const FUNCTIONS = {
  api: { id: 'api', entry: 'lambdas/api/handler.ts', handler: 'handler', timeoutSeconds: 10, memoryMb: 512 },
  expireDemoAccount: {
    id: 'expire-demo-account',
    entry: 'lambdas/account-deletion/expire-demo-account.handler.ts',
    handler: 'handler',
    timeoutSeconds: 30,
    memoryMb: 256,
    queue: 'accountExpiry',
    batchSize: 10,
  },
  sendDueAlarm: {
    id: 'send-due-alarm',
    entry: 'lambdas/alarms/send-due-alarm.handler.ts',
    handler: 'handler',
    timeoutSeconds: 30,
    memoryMb: 256,
    queue: 'alarmPush',
    batchSize: 10,
    // Warm pollers for the 9:00 herd. No batching window: a lone alarm would wait it out (README "Herd").
    provisionedPollers: { minimum: 5, maximum: 200 },
  },
  runDueJob: {
    id: 'run-due-job',
    entry: 'lambdas/jobs/run-due-job.handler.ts',
    handler: 'handler',
    timeoutSeconds: 30,
    memoryMb: 256,
    queue: 'jobs',
    batchSize: 10,
  },
  markAbsentees: {
    id: 'mark-absentees',
    entry: 'lambdas/absence/mark-absentees.handler.ts',
    handler: 'handler',
    timeoutSeconds: 120,
    memoryMb: 512,
    queue: 'absence',
    batchSize: 5,
    // ≤ 10 × 5 chunks × 10 transactions in flight: the table's pace, not throttling, sets the night's speed.
    maxConcurrency: 10,
  },
  sweep: {
    id: 'sweep',
    entry: 'lambdas/sweeper/sweep.handler.ts',
    handler: 'handler',
    timeoutSeconds: 120,
    memoryMb: 256,
    queue: 'sweep',
    batchSize: 1,
  },
} as const satisfies Record<string, FunctionDefinition>;

/** Namespace of the functions' own CloudWatch metrics (EMF, dimension `service` = the function's id). */
export const METRICS_NAMESPACE = 'SchedulingBackend';

/**
 * Every custom metric name the functions emit, and the names the dashboard (lib/dashboard.ts) graphs.
 * Lags are milliseconds from the moment a thing was due to the moment it was done.
 */
export const METRICS = {
  alarmsSent: 'AlarmsSent',
  alarmsFailed: 'AlarmsFailed',
  /** Push sent minus the alarm's fireAt. */
  fireLag: 'FireLag',
  accountsExpired: 'AccountsExpired',
  /** Demo account deleted minus its expiresAt. */
  expiryLag: 'ExpiryLag',
  absenceRunsStarted: 'AbsenceRunsStarted',
  absencesMarked: 'AbsencesMarked',
  sweptOverdueAlarms: 'SweptOverdueAlarms',
  sweptExpiredDemoAccounts: 'SweptExpiredDemoAccounts',
  /** Webhook job runs (one per run, after its last attempt) and their lag behind runAt. */
  jobRunsSucceeded: 'JobRunsSucceeded',
  jobRunsFailed: 'JobRunsFailed',
  jobLag: 'JobLag',
} as const;
export type MetricName = (typeof METRICS)[keyof typeof METRICS];

/** Largest request body the API accepts (bytes); larger is 413, locally and in AWS. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Stage-level throttling of the HTTP API. */
export const API_THROTTLE = { rateLimit: 100, burstLimit: 200 } as const;

/**
 * Every route of the HTTP API. The stack registers each on API Gateway and the local API server
 * routes the same list; `/openapi.json` documents the same list. All go to the one API function.
 */
export const ROUTES = [
  'GET /health',
  'GET /openapi.json',
  'POST /demo-accounts',
  'POST /accounts',
  'GET /accounts/me',
  'DELETE /accounts/me',
  'POST /accounts/me/signing-secret',
  'POST /alarms',
  'GET /alarms',
  'GET /alarms/{alarmId}',
  'PATCH /alarms/{alarmId}',
  'DELETE /alarms/{alarmId}',
  'POST /jobs',
  'GET /jobs',
  'GET /jobs/{jobId}',
  'PATCH /jobs/{jobId}',
  'DELETE /jobs/{jobId}',
  'GET /jobs/{jobId}/runs',
  'POST /studies',
  'POST /studies/{studyId}/participants',
  'GET /accounts/me/invitations',
  'POST /studies/{studyId}/participants/me',
  'DELETE /studies/{studyId}/participants/me',
  'POST /studies/{studyId}/weeks',
  'POST /studies/{studyId}/weeks/{week}/attendance',
  'GET /studies/{studyId}/weeks/{week}/attendance',
  'POST /admin/absence-runs',
  'GET /admin/absence-runs/{runId}',
] as const;
export type RouteKey = (typeof ROUTES)[number];

/** Defaults of the tunables, used by the stack and by the local cloud alike. */
export const DEFAULTS = {
  demoTtlSeconds: 3600,
  demoRateLimitPerMinute: 10,
  fcmBaseUrl: 'https://fcm.googleapis.com',
  /** A new account's score. */
  initialScore: 100,
  absencePenalty: 5,
  maxPendingAlarmsPerDemoAccount: 100,
  /** PENDING and PAUSED jobs a demo account may have at once. */
  maxPendingJobsPerDemoAccount: 100,
  /** Largest job payload, as JSON (bytes). */
  maxJobPayloadBytes: 16 * 1024,
  /** Total time of one call to a condition URL, answer included. */
  conditionTimeoutMs: 5_000,
  /** Total time of one call to a job's URL, answer included. */
  jobCallTimeoutMs: 10_000,
  /** Bytes of a URL's answer read at most; the rest is not read. */
  outboundMaxResponseBytes: 64 * 1024,
} as const;

/** 'account-expiry' -> 'AccountExpiry': readable construct ids (and so logical ids) from definition ids. */
export const pascal = (id: string): string =>
  id
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
