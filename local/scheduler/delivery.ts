// How the local Scheduler hands an invocation to its SQS target, and a dead-letter event to the
// schedule's DLQ, through a real SQSClient pointed at the local SQS.
import {
  GetQueueUrlCommand,
  type MessageAttributeValue,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { FaultInjector } from './faults.ts';
import type { ScheduleRecord } from './model.ts';

/** One firing of a schedule: the same execution id across its retries, as in AWS. */
export interface Invocation {
  readonly schedule: ScheduleRecord;
  /** Epoch ms the schedule was due. */
  readonly scheduledTime: number;
  readonly executionId: string;
}

/** A failed delivery, with the code and message the dead-letter event carries. */
export class DeliveryError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

const queueNameOf = (queueArn: string): string => queueArn.slice(queueArn.lastIndexOf(':') + 1);
const isoSeconds = (epochMs: number): string => `${new Date(epochMs).toISOString().slice(0, 19)}Z`;

/**
 * The target input with the Scheduler's context attributes filled in, as AWS does for templated
 * targets. Without Input, AWS sends a default notification; an empty JSON object stands in for it.
 */
export function targetBody(invocation: Invocation, attemptNumber: number): string {
  const values: Record<string, string> = {
    '<aws.scheduler.schedule-arn>': invocation.schedule.arn,
    '<aws.scheduler.scheduled-time>': isoSeconds(invocation.scheduledTime),
    '<aws.scheduler.execution-id>': invocation.executionId,
    '<aws.scheduler.attempt-number>': String(attemptNumber),
  };
  return (invocation.schedule.target.Input ?? '{}').replace(
    /<aws\.scheduler\.(schedule-arn|scheduled-time|execution-id|attempt-number)>/g,
    (attribute) => values[attribute] ?? attribute,
  );
}

export class SqsDelivery {
  private readonly queueUrls = new Map<string, string>();

  constructor(
    private readonly sqs: SQSClient,
    private readonly faults: FaultInjector,
  ) {}

  /** Sends one attempt of the invocation to its target queue; throws DeliveryError when refused. */
  async deliver(invocation: Invocation, attemptNumber: number, signal: AbortSignal): Promise<void> {
    if (this.faults.deliveriesFailing) {
      throw new DeliveryError('ServiceUnavailable', 'SQS refused the message (injected fault: failDeliveries).');
    }
    const target = invocation.schedule.target;
    await this.send(
      target.Arn,
      {
        MessageBody: targetBody(invocation, attemptNumber),
        MessageGroupId: target.SqsParameters?.MessageGroupId,
      },
      signal,
    );
  }

  /**
   * The dead-letter event: the target input as body, and the failure in message attributes named as
   * in the AWS guide "Configuring a dead-letter queue for EventBridge Scheduler".
   */
  async deadLetter(invocation: Invocation, failure: DeliveryError, retryAttempts: number, signal: AbortSignal) {
    const dlqArn = invocation.schedule.target.DeadLetterConfig?.Arn;
    if (!dlqArn) return;
    const text = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });
    await this.send(
      dlqArn,
      {
        MessageBody: targetBody(invocation, retryAttempts + 1),
        MessageAttributes: {
          ERROR_CODE: text(failure.code),
          ERROR_MESSAGE: text(failure.message),
          EXECUTION_ID: text(invocation.executionId),
          RETRY_ATTEMPTS: { DataType: 'Number', StringValue: String(retryAttempts) },
          SCHEDULE_ARN: text(invocation.schedule.arn),
          TARGET_ARN: text(invocation.schedule.target.Arn),
        },
      },
      signal,
    );
  }

  private async send(
    queueArn: string,
    message: Pick<SendMessageCommand['input'], 'MessageBody' | 'MessageGroupId' | 'MessageAttributes'>,
    signal: AbortSignal,
  ): Promise<void> {
    try {
      const QueueUrl = await this.queueUrl(queueArn, signal);
      await this.sqs.send(new SendMessageCommand({ QueueUrl, ...message }), { abortSignal: signal });
    } catch (error) {
      // A queue deleted and created again has a new URL for all we know: look it up afresh next time.
      this.queueUrls.delete(queueArn);
      if (error instanceof DeliveryError || signal.aborted) throw error;
      const named = error as { name?: string; message?: string };
      throw new DeliveryError(named.name ?? 'Error', named.message ?? String(error));
    }
  }

  private async queueUrl(queueArn: string, signal: AbortSignal): Promise<string> {
    const known = this.queueUrls.get(queueArn);
    if (known) return known;
    const { QueueUrl } = await this.sqs.send(new GetQueueUrlCommand({ QueueName: queueNameOf(queueArn) }), {
      abortSignal: signal,
    });
    if (!QueueUrl) throw new DeliveryError('QueueDoesNotExist', `No URL for queue ${queueArn}.`);
    this.queueUrls.set(queueArn, QueueUrl);
    return QueueUrl;
  }
}
