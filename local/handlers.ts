// The production handlers as the local cloud runs them: their environment, and their modules loaded by the
// entries and names lib/definitions.ts gives the stack.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  DEFAULTS,
  ENV,
  type EnvName,
  FUNCTIONS,
  ONE_OFF_SCHEDULE_TARGETS,
  QUEUES,
  type QueueKey,
  SCHEDULE_GROUPS,
} from '../lib/definitions.ts';
import type { FcmStandIn } from './fcm/fcm.ts';
import type { AnyHandler } from './lambda/context.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, LOCAL_SCHEDULER_ROLE_ARN, LOCAL_TABLE_NAME } from './local-aws.ts';
import type { LocalQueues } from './sqs/sqs.ts';

export type FunctionKey = keyof typeof FUNCTIONS;

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const entriesOf = <K extends string, V>(record: Record<K, V>): [K, V][] => Object.entries(record) as [K, V][];

/** The variable that carries the queue's ARN, for queues that schedules created at run time target. */
function queueArnEnv(key: QueueKey): EnvName | undefined {
  return key in ONE_OFF_SCHEDULE_TARGETS
    ? ONE_OFF_SCHEDULE_TARGETS[key as keyof typeof ONE_OFF_SCHEDULE_TARGETS]
    : undefined;
}

/** What the local cloud's options say of the handlers' settings. */
export interface HandlerSettings {
  readonly demoTtlSeconds?: number;
  readonly demoRateLimitPerMinute?: number;
  readonly fcmBaseUrl?: string;
  readonly fcmCredentialsFile?: string;
  /** Extra environment, set last (overrides what the local cloud sets). */
  readonly env?: Readonly<Record<string, string>>;
}

/** The environment every handler runs with, as the stack gives it in AWS but pointing at the stand-ins. */
export function handlerEnvironment(input: {
  settings: HandlerSettings;
  adminToken: string;
  queues: LocalQueues;
  fcm: FcmStandIn | undefined;
  endpoints: { dynamodb: string; sqs: string; scheduler: string };
}): Record<string, string> {
  const { settings: options, queues, fcm } = input;
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

/** Every function's handler, loaded from its entry as Lambda would (after the environment is set). */
export async function importHandlers(): Promise<Record<FunctionKey, AnyHandler>> {
  const entries = await Promise.all(
    entriesOf(FUNCTIONS).map(async ([key, definition]) => {
      const module = (await import(pathToFileURL(join(REPO_ROOT, definition.entry)).href)) as Record<string, unknown>;
      const handler = module[definition.handler];
      if (typeof handler !== 'function')
        throw new Error(`${definition.entry} does not export a function named ${definition.handler}`);
      return [key, handler as AnyHandler] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<FunctionKey, AnyHandler>;
}
