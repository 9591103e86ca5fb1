// The work queues with their dead-letter queues, and the consumers that poll them (lib/definitions.ts QUEUES).
import { Duration } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { dlqId, type FunctionDefinition, pascal, QUEUES, type QueueDefinition, type QueueKey } from './definitions.ts';
import type { HouseFunction, WorkQueue } from './house-function.ts';

/** Dead-letter queues keep messages as long as SQS allows, so there is time to look after an alarm. */
export const DEAD_LETTER_RETENTION_DAYS = 14;

export interface SchedulingQueue extends WorkQueue {
  readonly deadLetterQueue: Queue;
  readonly queue: Queue;
}

/** An encrypted, TLS-only queue named after its definition id. */
export function makeQueue(
  scope: Construct,
  name: string,
  retentionDays: number,
  extra?: Partial<ConstructorParameters<typeof Queue>[2]>,
): Queue {
  return new Queue(scope, pascal(name), {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(retentionDays),
    ...extra,
  });
}

/** Each queue of QUEUES with its dead-letter queue. */
export function makeQueues(scope: Construct): Record<QueueKey, SchedulingQueue> {
  const made = {} as Record<QueueKey, SchedulingQueue>;
  for (const [key, definition] of Object.entries(QUEUES) as [QueueKey, QueueDefinition][]) {
    const deadLetterQueue = makeQueue(scope, dlqId(definition), DEAD_LETTER_RETENTION_DAYS);
    const queue = makeQueue(scope, definition.id, definition.retentionDays, {
      visibilityTimeout: Duration.seconds(definition.visibilityTimeoutSeconds),
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: definition.maxReceiveCount },
    });
    made[key] = { definition, queue, deadLetterQueue };
  }
  return made;
}

/** Throws at synth when a queue would hand a message to a second consumer while the first still works on it. */
export function assertVisibilityAboveTimeout(queue: QueueDefinition, consumer: FunctionDefinition): void {
  if (queue.visibilityTimeoutSeconds <= consumer.timeoutSeconds) {
    throw new Error(
      `Queue ${queue.id}: visibility timeout ${queue.visibilityTimeoutSeconds}s must be above the ${consumer.id} function's timeout ${consumer.timeoutSeconds}s`,
    );
  }
}

/** Every function whose definition names a queue polls it, with partial batch failures. */
export function connectConsumers(
  functions: readonly HouseFunction[],
  queues: Readonly<Record<QueueKey, SchedulingQueue>>,
): void {
  for (const fn of functions) {
    const { queue: queueKey, batchSize, maxBatchingWindowSeconds, maxConcurrency, provisionedPollers } = fn.definition;
    if (!queueKey) continue;
    const { definition, queue } = queues[queueKey];
    assertVisibilityAboveTimeout(definition, fn.definition);
    fn.addEventSource(
      new SqsEventSource(queue, {
        batchSize,
        maxBatchingWindow:
          maxBatchingWindowSeconds === undefined ? undefined : Duration.seconds(maxBatchingWindowSeconds),
        reportBatchItemFailures: true,
        ...(maxConcurrency === undefined ? {} : { maxConcurrency }),
        ...(provisionedPollers === undefined
          ? {}
          : {
              provisionedPollerConfig: {
                minimumPollers: provisionedPollers.minimum,
                maximumPollers: provisionedPollers.maximum,
              },
            }),
      }),
    );
  }
}
