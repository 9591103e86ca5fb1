// The SQS stand-in: fauxqs in this process, with the work queues, their DLQs and the Scheduler's DLQ
// created through the real SQS API from lib/definitions.ts.

import type { AddressInfo } from 'node:net';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';
import { dlqId, QUEUES, type QueueKey, SCHEDULE_DELIVERY_DLQ_ID } from '../../lib/definitions.ts';

export interface SqsStandIn {
  /** For AWS_ENDPOINT_URL_SQS (http://127.0.0.1:PORT); queue URLs carry the same host. */
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

export interface QueueAddress {
  readonly url: string;
  readonly arn: string;
}

export interface LocalQueues {
  readonly queues: Record<QueueKey, QueueAddress>;
  readonly deadLetterQueues: Record<QueueKey, QueueAddress>;
  readonly scheduleDeliveryDlq: QueueAddress;
}

const REGION = 'us-east-1';
/** The account id fauxqs puts in its queue URLs and ARNs. */
const ACCOUNT_ID = '000000000000';
const DLQ_RETENTION_DAYS = 14;
const DAY_SECONDS = 86_400;

/**
 * fauxqs names its queues `http://sqs.<region>.localhost:PORT/...`, a host that does not resolve on every
 * machine (nor for the AWS CLI). Its store then looks queues up by that exact URL. Queue URLs here carry
 * the host the client asked, so `http://127.0.0.1:PORT` works as printed, from this process or any other.
 */
async function queueUrlsOnRequestHost(): Promise<void> {
  const store = (await import(new URL('./sqs/sqsStore.js', import.meta.resolve('fauxqs')).href)) as {
    SqsStore: { prototype: { buildQueueUrl: (...args: string[]) => string } };
  };
  store.SqsStore.prototype.buildQueueUrl = (name: string, _port: string, requestHost: string) =>
    `http://${requestHost}/${ACCOUNT_ID}/${name}`;
}

/** Starts fauxqs on an ephemeral port of 127.0.0.1. */
export async function startSqs(): Promise<SqsStandIn> {
  await queueUrlsOnRequestHost();
  const app = buildApp({ logger: false, defaultRegion: REGION });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    // fauxqs releases its long-polling receivers before it closes, so no receive keeps the stop waiting.
    stop: () => app.close(),
  };
}

async function createQueue(sqs: SQSClient, name: string, attributes: Record<string, string>): Promise<QueueAddress> {
  const created = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const url = created.QueueUrl;
  if (!url) throw new Error(`CreateQueue ${name} returned no QueueUrl`);
  const described = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  const arn = described.Attributes?.QueueArn;
  if (!arn) throw new Error(`Queue ${name} has no QueueArn`);
  return { url, arn };
}

/** Creates every queue of the definitions with its DLQ and redrive policy, and the Scheduler's DLQ. */
export async function createQueues(sqs: SQSClient): Promise<LocalQueues> {
  const queues = {} as Record<QueueKey, QueueAddress>;
  const deadLetterQueues = {} as Record<QueueKey, QueueAddress>;
  for (const [key, definition] of Object.entries(QUEUES) as [QueueKey, (typeof QUEUES)[QueueKey]][]) {
    const dlq = await createQueue(sqs, dlqId(definition), {
      MessageRetentionPeriod: String(DLQ_RETENTION_DAYS * DAY_SECONDS),
    });
    deadLetterQueues[key] = dlq;
    queues[key] = await createQueue(sqs, definition.id, {
      VisibilityTimeout: String(definition.visibilityTimeoutSeconds),
      MessageRetentionPeriod: String(definition.retentionDays * DAY_SECONDS),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: definition.maxReceiveCount }),
    });
  }
  const scheduleDeliveryDlq = await createQueue(sqs, SCHEDULE_DELIVERY_DLQ_ID, {
    MessageRetentionPeriod: String(DLQ_RETENTION_DAYS * DAY_SECONDS),
  });
  return { queues, deadLetterQueues, scheduleDeliveryDlq };
}
