// SDK clients, created once per container. Endpoints come from the SDK's own AWS_ENDPOINT_URL_* variables.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  marshallOptions: { removeUndefinedValues: true },
});
export const scheduler = new SchedulerClient({});
export const sqs = new SQSClient({});
export const secrets = new SecretsManagerClient({});
