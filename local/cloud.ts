// The whole backend on this machine: the production handlers, in process, against local stand-ins of
// DynamoDB, SQS, EventBridge Scheduler, Lambda's SQS event source mappings, API Gateway and FCM, all built
// from lib/definitions.ts. The handlers find the stand-ins only through the SDK's AWS_ENDPOINT_URL_*
// variables and their usual environment, so they run unchanged.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ENV, FUNCTIONS, type FunctionDefinition, type QueueKey } from '../lib/definitions.ts';
import { type ApiGateway, startApiGateway } from './api-gateway/api-gateway.ts';
import { startDynamoDbLocal } from './dynamodb/dynamodb-local.ts';
import { createTableIfAbsent } from './dynamodb/table.ts';
import { type FcmStandIn, startFcmStandIn } from './fcm/fcm.ts';
import { type FunctionKey, handlerEnvironment, importHandlers } from './handlers.ts';
import { LOCAL_ACCOUNT_ID, type LocalFunction } from './lambda/context.ts';
import { type EventSourceMapping, startEventSourceMapping } from './lambda/event-source-mapping.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, LOCAL_SCHEDULER_ROLE_ARN, LOCAL_TABLE_NAME } from './local-aws.ts';
import { type SchedulerEmulator, startSchedulerEmulator } from './scheduler/emulator.ts';
import { createSchedules } from './schedules.ts';
import { createQueues, startSqs } from './sqs/sqs.ts';

export type { FunctionKey };
export { LOCAL_REGION, LOCAL_SCHEDULER_ROLE_ARN, LOCAL_TABLE_NAME };

/** Concurrent pollers per consumer function when idle (Lambda starts with five; two show the same races). */
const POLLERS_PER_FUNCTION = 2;
/**
 * Pollers a consumer grows to while its queue has a backlog, as Lambda adds concurrency. Each has one batch
 * (up to 10 records, handled at once) in its handler; a batch of timer messages spends 1–2 s waiting out
 * its second, so a herd due at one second needs many side by side (the SDK's 50 sockets per client bound
 * what reaches DynamoDB Local).
 */
const MAX_POLLERS_PER_FUNCTION = 50;

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
      settings: options,
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
