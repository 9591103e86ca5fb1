// The SQS client, created once per container. Endpoints come from the SDK's own AWS_ENDPOINT_URL_* variables.
import { SQSClient } from '@aws-sdk/client-sqs';

export const sqs = new SQSClient({});
