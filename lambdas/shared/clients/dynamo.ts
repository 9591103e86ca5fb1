// The DynamoDB document client, created once per container. Endpoints come from the SDK's own
// AWS_ENDPOINT_URL_* variables; each SDK client has its own module so a bundle holds only those it uses.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** The plain client, for libraries that send DynamoDB commands themselves (Powertools idempotency). */
export const dynamoDb = new DynamoDBClient({});
export const dynamo = DynamoDBDocumentClient.from(dynamoDb, {
  marshallOptions: { removeUndefinedValues: true },
});
