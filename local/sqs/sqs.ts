// The SQS stand-in: fauxqs in this process, with the work queues, their DLQs and the Scheduler's DLQ
// created through the real SQS API from lib/definitions.ts.
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { interceptLocalhostDns, startFauxqs } from 'fauxqs';
import { dlqId, QUEUES, type QueueKey, SCHEDULE_DELIVERY_DLQ_ID } from '../../lib/definitions.ts';

export interface SqsStandIn {
  /** For AWS_ENDPOINT_URL_SQS; its host is the one in fauxqs's queue URLs. */
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
const DLQ_RETENTION_DAYS = 14;
const DAY_SECONDS = 86_400;

let dnsIntercepted = false;

/**
 * Starts fauxqs on an ephemeral port. Its queue URLs name `sqs.us-east-1.localhost`, which does not resolve
 * on every machine, so `*.localhost` lookups in this process are answered with 127.0.0.1.
 * fauxqs binds 0.0.0.0 in its own code (no option to change it); the port is ephemeral and the data local.
 */
export async function startSqs(): Promise<SqsStandIn> {
  if (!dnsIntercepted) {
    interceptLocalhostDns('localhost');
    dnsIntercepted = true;
  }
  const server = await startFauxqs({ port: 0, logger: false, defaultRegion: REGION });
  return {
    endpoint: `http://sqs.${REGION}.localhost:${server.port}`,
    port: server.port,
    // fauxqs releases its long-polling receivers before it closes, so no receive keeps the stop waiting.
    stop: () => server.stop(),
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
