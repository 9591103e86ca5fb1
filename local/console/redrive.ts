// "Move back" for a dead-letter queue. SQS's own StartMessageMoveTask first; the SQS stand-in (fauxqs
// 1.9) does not offer it, so then the same through the plain SQS API: receive from the DLQ, send to where
// the message belongs, and delete it from the DLQ only once it is sent. A work queue's DLQ goes back to
// that queue; the Scheduler's DLQ goes to each message's TARGET_ARN attribute (where the schedule aimed).
import {
  DeleteMessageBatchCommand,
  GetQueueUrlCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import type { QueueRecord } from './sources.ts';

export interface RedriveResult {
  readonly queue: string;
  readonly method: 'StartMessageMoveTask' | 'receive+send+delete';
  /** Messages moved (for StartMessageMoveTask: the task was started; SQS moves them in the background). */
  readonly moved: number;
  /** Messages left in the DLQ because nothing says where they belong. */
  readonly left: number;
}

export class RedriveError extends Error {}

/** Receives with this visibility timeout, so a message not moved comes back to the DLQ soon. */
const RECEIVE_VISIBILITY_SECONDS = 30;

export async function moveMessagesBack(
  sqs: SQSClient,
  queues: readonly QueueRecord[],
  dlqName: string,
): Promise<RedriveResult> {
  const dlq = queues.find((q) => q.name === dlqName);
  if (!dlq) throw new RedriveError(`No queue named ${dlqName}`);
  const source = queues.find((q) => q.deadLetterTargetArn === dlq.arn);
  if (source) {
    try {
      await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn }));
      return { queue: dlqName, method: 'StartMessageMoveTask', moved: dlq.visible, left: 0 };
    } catch (error) {
      if (!isUnsupported(error)) throw error;
    }
  } else if (!dlq.name.endsWith('-dlq')) {
    throw new RedriveError(`${dlqName} is no dead-letter queue`);
  }

  const urls = new Map<string, string>();
  const urlOf = async (arn: string): Promise<string> => {
    const known = urls.get(arn) ?? queues.find((q) => q.arn === arn)?.url;
    if (known) return known;
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: arn.split(':').pop() }));
    if (!QueueUrl) throw new RedriveError(`No queue for ${arn}`);
    urls.set(arn, QueueUrl);
    return QueueUrl;
  };

  let moved = 0;
  let left = 0;
  // No more than what was there when asked: messages that fail again and come back are not chased.
  const budget = dlq.visible;
  while (moved + left < budget) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlq.url,
        MaxNumberOfMessages: Math.min(10, budget - moved - left),
        VisibilityTimeout: RECEIVE_VISIBILITY_SECONDS,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) break;
    const byDestination = new Map<string, Message[]>();
    for (const message of Messages) {
      const destination = source?.arn ?? message.MessageAttributes?.TARGET_ARN?.StringValue;
      if (!destination) {
        left++;
        continue;
      }
      byDestination.set(destination, [...(byDestination.get(destination) ?? []), message]);
    }
    for (const [arn, messages] of byDestination) {
      const sent = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: await urlOf(arn),
          Entries: messages.map((m, i) => ({
            Id: String(i),
            MessageBody: m.Body ?? '',
            ...(m.MessageAttributes && Object.keys(m.MessageAttributes).length > 0
              ? { MessageAttributes: m.MessageAttributes }
              : {}),
          })),
        }),
      );
      const ok = (sent.Successful ?? []).map((s) => messages[Number(s.Id)]).filter((m): m is Message => !!m);
      left += messages.length - ok.length;
      if (ok.length === 0) continue;
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: dlq.url,
          Entries: ok.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
      moved += ok.length;
    }
  }
  return { queue: dlqName, method: 'receive+send+delete', moved, left };
}

/** What an SQS endpoint answers for an action it does not have (fauxqs: InvalidAction "Unknown action: ..."). */
function isUnsupported(error: unknown): boolean {
  const e = error as { name?: string; message?: string };
  return (
    ['InvalidAction', 'UnsupportedOperation', 'UnknownOperationException'].includes(e.name ?? '') ||
    /unknown action/i.test(e.message ?? '')
  );
}
