// SQS records as Lambda's event source mapping hands them to a consumer.
import type { SQSRecord } from 'aws-lambda';

/** One record of a batch: its body (JSON unless a string already), how often it was received, its queue. */
export const sqsRecord = (
  messageId: string,
  body: unknown,
  receiveCount = 1,
  queueArn = 'arn:aws:sqs:us-east-1:123456789012:q',
): SQSRecord =>
  ({
    messageId,
    receiptHandle: `receipt-${messageId}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: { ApproximateReceiveCount: String(receiveCount) },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: 'us-east-1',
  }) as unknown as SQSRecord;
