// The whole backend on this machine: the production handlers, in process, against local stand-ins of
// DynamoDB, SQS, EventBridge Scheduler, Lambda's SQS event source mappings, API Gateway and FCM, all built
// from lib/definitions.ts. The handlers find the stand-ins only through the SDK's AWS_ENDPOINT_URL_*
// variables and their usual environment, so they run unchanged.
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ConflictException,
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  CreateScheduleGroupCommand,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { SQSClient } from '@aws-sdk/client-sqs';
import {
  DEFAULTS,
  ENV,
  type EnvName,
  FUNCTIONS,
  type FunctionDefinition,
  ONE_OFF_SCHEDULE_TARGETS,
  QUEUES,
  type QueueKey,
  RECURRING_SCHEDULES,
  SCHEDULE_GROUPS,
  SCHEDULE_RETRY_POLICY,
  TABLE,
} from '../lib/definitions.ts';
import { type ApiGateway, startApiGateway } from './api-gateway/api-gateway.ts';
import { startDynamoDbLocal } from './dynamodb/dynamodb-local.ts';
import { createTableIfAbsent } from './dynamodb/table.ts';
import { type FcmStandIn, startFcmStandIn } from './fcm/fcm.ts';
import { type AnyHandler, LOCAL_ACCOUNT_ID, type LocalFunction } from './lambda/context.ts';
import { type EventSourceMapping, startEventSourceMapping } from './lambda/event-source-mapping.ts';
import { type SchedulerEmulator, startSchedulerEmulator } from './scheduler/emulator.ts';
import { createQueues, type LocalQueues, startSqs } from './sqs/sqs.ts';

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_SCHEDULER_ROLE_ARN = `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/local-scheduler`;
/** Locally the table is named after its logical id. */
export const LOCAL_TABLE_NAME = TABLE.id;
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;
/** Concurrent pollers per consumer function when idle (Lambda starts with five; two show the same races). */
const POLLERS_PER_FUNCTION = 2;
/**
 * Pollers a consumer grows to while its queue has a backlog, as Lambda adds concurrency. Each has one batch
 * (up to 10 records, handled at once) in its handler; a batch of timer messages spends 1–2 s waiting out
 * its second, so a herd due at one second needs many side by side (the SDK's 50 sockets per client bound
 * what reaches DynamoDB Local).
 */
const MAX_POLLERS_PER_FUNCTION = 50;

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export type FunctionKey = keyof typeof FUNCTIONS;
type ConsumerKey = { [K in FunctionKey]: (typeof FUNCTIONS)[K] extends { queue: QueueKey } ? K : never }[FunctionKey];

export interface LocalCloudOptions {
  /** Port of the API on 127.0.0.1; 0 picks a free one. Default 3000. */
  readonly port?: number;
  readonly demoTtlSeconds?: number;
  /** Bearer token of the admin routes; 32 random bytes (base64url) when absent. */
  readonly adminToken?: string;
  /** Keeps DynamoDB (`<dataDir>/dynamodb`) and the schedules (`<dataDir>/scheduler.json`) across restarts. */
  readonly dataDir?: string;
  /** Where pushes go instead of the FCM stand-in (then fcmCredentialsFile is required). */
  readonly fcmBaseUrl?: string;
  /** A Google service-account key file; the stand-in's own key when absent. */
  readonly fcmCredentialsFile?: string;
  readonly demoRateLimitPerMinute?: number;
  /** The Scheduler emulator's first retry delay after a failed delivery. */
  readonly schedulerRetryBaseDelayMs?: number;
  /** How late within its window the local Scheduler may invoke a target, as AWS does (default 60; 0 = exact). */
  readonly schedulerFiringWindowSeconds?: number;
  /** The local Scheduler's invocation throttle (default 1,000 per second, AWS's quota). */
  readonly schedulerInvocationsPerSecond?: number;
  /** One-line reports: pushes, schedule firings, failed batches. Silent when absent. */
  readonly log?: (line: string) => void;
  /** Extra environment for the handlers, set last (overrides what the local cloud sets). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface LocalCloud {
  /** http://127.0.0.1:<port>, no trailing slash. */
  readonly apiUrl: string;
  readonly adminToken: string;
  /** The FCM stand-in; undefined when pushes go to `fcmBaseUrl`. */
  readonly fcm: FcmStandIn | undefined;
  readonly scheduler: SchedulerEmulator;
  /** AWS_ENDPOINT_URL_SQS */
  readonly sqsEndpoint: string;
  /** AWS_ENDPOINT_URL_DYNAMODB */
  readonly dynamodbEndpoint: string;
  /** AWS_ENDPOINT_URL_SCHEDULER */
  readonly schedulerEndpoint: string;
  readonly tableName: string;
  readonly queueUrls: Record<QueueKey, string>;
  readonly queueArns: Record<QueueKey, string>;
  readonly dlqUrls: Record<QueueKey, string>;
  readonly scheduleDlqUrl: string;
  /** The consumers' event source mappings (their `batches` show what each handler was given). */
  readonly eventSourceMappings: Record<ConsumerKey, EventSourceMapping>;
  /** Every variable the local cloud set in process.env for the handlers. */
  readonly env: Readonly<Record<string, string>>;
  /** Stops the pollers, then the servers, then DynamoDB Local. Safe to call twice. */
  stop(): Promise<void>;
}

const entriesOf = <K extends string, V>(record: Record<K, V>): [K, V][] => Object.entries(record) as [K, V][];

/** The variable that carries the queue's ARN, for queues that schedules created at run time target. */
function queueArnEnv(key: QueueKey): EnvName | undefined {
  return key in ONE_OFF_SCHEDULE_TARGETS
    ? ONE_OFF_SCHEDULE_TARGETS[key as keyof typeof ONE_OFF_SCHEDULE_TARGETS]
    : undefined;
}

export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const log = options.log ?? (() => {});
  if (options.fcmBaseUrl && !options.fcmCredentialsFile) {
    throw new Error(
      `${ENV.fcmCredentialsFile} is required when ${ENV.fcmBaseUrl} points away from the local FCM stand-in`,
    );
  }
  // Undone in reverse order if a later step fails, so a failed start leaves no process or port behind.
  const undo: (() => Promise<void>)[] = [];
  const unwind = async () => {
    for (const step of undo.reverse()) await step().catch(() => {});
  };
  try {
    const [dynamodb, sqsStandIn, fcm] = await Promise.all([
      startDynamoDbLocal({ ...(options.dataDir ? { dataDir: options.dataDir } : {}), log }).then((d) => {
        undo.push(() => d.stop());
        return d;
      }),
      startSqs().then((s) => {
        undo.push(() => s.stop());
        return s;
      }),
      options.fcmBaseUrl
        ? Promise.resolve(undefined)
        : startFcmStandIn({ log }).then((f) => {
            undo.push(() => f.stop());
            return f;
          }),
    ]);

    const sqs = new SQSClient({ region: LOCAL_REGION, endpoint: sqsStandIn.endpoint, credentials: LOCAL_CREDENTIALS });
    const dynamo = new DynamoDBClient({
      region: LOCAL_REGION,
      endpoint: dynamodb.endpoint,
      credentials: LOCAL_CREDENTIALS,
    });
    // The Scheduler is its own service in AWS: its invocations go through their own client (and sockets), so
    // a herd of schedules firing together never queues ahead of the consumers' receives and deletes.
    const schedulerSqs = new SQSClient({
      region: LOCAL_REGION,
      endpoint: sqsStandIn.endpoint,
      credentials: LOCAL_CREDENTIALS,
    });
    undo.push(async () => schedulerSqs.destroy());
    const scheduler = await startSchedulerEmulator({
      sqs: schedulerSqs,
      ...(options.schedulerFiringWindowSeconds === undefined
        ? {}
        : { firingWindowSeconds: options.schedulerFiringWindowSeconds }),
      ...(options.schedulerInvocationsPerSecond === undefined
        ? {}
        : { invocationsPerSecond: options.schedulerInvocationsPerSecond }),
      region: LOCAL_REGION,
      accountId: LOCAL_ACCOUNT_ID,
      ...(options.schedulerRetryBaseDelayMs === undefined
        ? {}
        : { retryBaseDelayMs: options.schedulerRetryBaseDelayMs }),
      ...(options.dataDir ? { dataFile: join(options.dataDir, 'scheduler.json') } : {}),
      log,
    });
    undo.push(() => scheduler.stop());

    const [queues] = await Promise.all([createQueues(sqs), createTableIfAbsent(dynamo, LOCAL_TABLE_NAME)]);
    dynamo.destroy();

    const adminToken = options.adminToken ?? randomBytes(32).toString('base64url');
    const env = handlerEnvironment({
      options,
      adminToken,
      queues,
      fcm,
      endpoints: { dynamodb: dynamodb.endpoint, sqs: sqsStandIn.endpoint, scheduler: scheduler.url },
    });
    // Whatever the shell had that would send the handlers to real AWS (or to Secrets Manager) goes.
    for (const name of [
      ENV.adminTokenSecretArn,
      ENV.fcmCredentialsSecretArn,
      'AWS_SESSION_TOKEN',
      'AWS_PROFILE',
      'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS',
    ]) {
      delete process.env[name];
    }
    Object.assign(process.env, env);

    await createSchedules(scheduler.url, queues);

    // Handlers read their environment once, at load: only now may they be imported.
    const handlers = await importHandlers();
    const functionOf = (definition: FunctionDefinition): LocalFunction => ({
      name: definition.id,
      timeoutSeconds: definition.timeoutSeconds,
      memoryMb: definition.memoryMb,
      region: LOCAL_REGION,
      accountId: LOCAL_ACCOUNT_ID,
    });

    const eventSourceMappings = {} as Record<ConsumerKey, EventSourceMapping>;
    const pollerClients: SQSClient[] = [];
    undo.push(async () => {
      for (const client of pollerClients) client.destroy();
    });
    for (const [key, definition] of entriesOf<FunctionKey, FunctionDefinition>(FUNCTIONS)) {
      if (!definition.queue) continue;
      const queue = queues.queues[definition.queue];
      // Lambda's pollers are not the function's SDK calls: each mapping has its own client, with a socket per
      // poller's long poll and one for its deletes, so a backlog's receives never queue ahead of deletes.
      const maxPollers = Math.min(MAX_POLLERS_PER_FUNCTION, definition.maxConcurrency ?? MAX_POLLERS_PER_FUNCTION);
      const pollerSqs = new SQSClient({
        region: LOCAL_REGION,
        endpoint: sqsStandIn.endpoint,
        credentials: LOCAL_CREDENTIALS,
        requestHandler: { httpAgent: { keepAlive: true, maxSockets: 2 * maxPollers + 4 } },
      });
      pollerClients.push(pollerSqs);
      const mapping = startEventSourceMapping({
        sqs: pollerSqs,
        queueUrl: queue.url,
        queueArn: queue.arn,
        function: functionOf(definition),
        handler: handlers[key],
        batchSize: definition.batchSize ?? 10,
        pollers: POLLERS_PER_FUNCTION,
        maxPollers,
        log,
      });
      eventSourceMappings[key as ConsumerKey] = mapping;
      undo.push(() => mapping.stop());
    }

    let api: ApiGateway;
    try {
      api = await startApiGateway({
        handler: handlers.api,
        function: functionOf(FUNCTIONS.api),
        port: options.port ?? 3000,
        log,
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new Error(`Port ${options.port ?? 3000} on 127.0.0.1 is in use; set PORT to another one (or 0 for any)`);
      }
      throw error;
    }

    let stopping: Promise<void> | undefined;
    return {
      apiUrl: api.url,
      adminToken,
      fcm,
      scheduler,
      sqsEndpoint: sqsStandIn.endpoint,
      dynamodbEndpoint: dynamodb.endpoint,
      schedulerEndpoint: scheduler.url,
      tableName: LOCAL_TABLE_NAME,
      queueUrls: mapQueues(queues.queues, (q) => q.url),
      queueArns: mapQueues(queues.queues, (q) => q.arn),
      dlqUrls: mapQueues(queues.deadLetterQueues, (q) => q.url),
      scheduleDlqUrl: queues.scheduleDeliveryDlq.url,
      eventSourceMappings,
      env,
      stop() {
        stopping ??= (async () => {
          // Consumers first, so no handler is left talking to a service that is already gone.
          await Promise.all([
            ...Object.values<EventSourceMapping>(eventSourceMappings).map((m) => m.stop()),
            api.stop(),
          ]);
          await Promise.all([scheduler.stop(), fcm?.stop()]);
          await sqsStandIn.stop();
          sqs.destroy();
          schedulerSqs.destroy();
          for (const client of pollerClients) client.destroy();
          await dynamodb.stop();
        })();
        return stopping;
      },
    };
  } catch (error) {
    await unwind();
    throw error;
  }
}

function mapQueues<T>(
  queues: Record<QueueKey, { url: string; arn: string }>,
  pick: (q: { url: string; arn: string }) => T,
): Record<QueueKey, T> {
  const out = {} as Record<QueueKey, T>;
  for (const [key, queue] of entriesOf(queues)) out[key] = pick(queue);
  return out;
}

function handlerEnvironment(input: {
  options: LocalCloudOptions;
  adminToken: string;
  queues: LocalQueues;
  fcm: FcmStandIn | undefined;
  endpoints: { dynamodb: string; sqs: string; scheduler: string };
}): Record<string, string> {
  const { options, queues, fcm } = input;
  const env: Record<string, string> = {
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: input.endpoints.dynamodb,
    AWS_ENDPOINT_URL_SQS: input.endpoints.sqs,
    AWS_ENDPOINT_URL_SCHEDULER: input.endpoints.scheduler,
    [ENV.tableName]: LOCAL_TABLE_NAME,
    [ENV.schedulerRoleArn]: LOCAL_SCHEDULER_ROLE_ARN,
    [ENV.scheduleDlqArn]: queues.scheduleDeliveryDlq.arn,
    [ENV.demoTtlSeconds]: String(options.demoTtlSeconds ?? DEFAULTS.demoTtlSeconds),
    [ENV.demoRateLimitPerMinute]: String(options.demoRateLimitPerMinute ?? DEFAULTS.demoRateLimitPerMinute),
    [ENV.adminToken]: input.adminToken,
    [ENV.fcmBaseUrl]: options.fcmBaseUrl ?? fcm?.baseUrl ?? '',
    [ENV.fcmCredentialsFile]: options.fcmCredentialsFile ?? fcm?.credentialsFile ?? '',
    // Receivers on this machine (http://127.0.0.1:...) may be called; the deployed stack never sets it.
    [ENV.outboundAllowLocal]: 'true',
  };
  for (const [key, definition] of entriesOf(QUEUES)) {
    env[definition.urlEnv] = queues.queues[key].url;
    const arnEnv = queueArnEnv(key);
    if (arnEnv) env[arnEnv] = queues.queues[key].arn;
  }
  for (const group of Object.values(SCHEDULE_GROUPS)) {
    if ('env' in group) env[group.env] = group.id;
  }
  return { ...env, ...options.env };
}

/** The schedule groups and the recurring schedules, through the Scheduler API as the stack declares them. */
async function createSchedules(endpoint: string, queues: LocalQueues): Promise<void> {
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

async function importHandlers(): Promise<Record<FunctionKey, AnyHandler>> {
  const entries = await Promise.all(
    entriesOf<FunctionKey, FunctionDefinition>(FUNCTIONS).map(async ([key, definition]) => {
      const module = (await import(pathToFileURL(join(REPO_ROOT, definition.entry)).href)) as Record<string, unknown>;
      const handler = module[definition.handler];
      if (typeof handler !== 'function')
        throw new Error(`${definition.entry} does not export a function named ${definition.handler}`);
      return [key, handler as AnyHandler] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<FunctionKey, AnyHandler>;
}
