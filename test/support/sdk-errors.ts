// The SDK errors unit tests make DynamoDB answer with.
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';

/** A transaction DynamoDB cancelled, with one reason code per item (`None` for those that were fine). */
export const cancelled = (codes: readonly string[], message = 'cancelled') =>
  new TransactionCanceledException({ message, $metadata: {}, CancellationReasons: codes.map((Code) => ({ Code })) });
