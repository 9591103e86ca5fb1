// The SDK clients the functions send with, mocked once per test file (aws-sdk-client-mock stubs every
// instance of a client class, so one mock serves the module under test wherever it made its client).
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';

export const db = mockClient(DynamoDBDocumentClient);
export const scheduler = mockClient(SchedulerClient);
export const sqs = mockClient(SQSClient);
