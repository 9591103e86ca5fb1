// The API under unit test: the callers tests use (a permanent and a demo account, with their bearer
// tokens), calling the API handler with one request, and the SDK answers a test does not script itself.
import './unit-env.ts';
import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../lambdas/api/handler.ts';
import { hashToken } from '../../lambdas/shared/tokens.ts';
import { apiEvent, type RequestSpec } from './api-event.ts';

export const HOUR = 3_600_000;
/** A permanent account and its bearer token. */
export const ACCOUNT = '01JAAAAAAAAAAAAAAAAAAAAAAA';
export const TOKEN = 'sbt_permanent';
/** A demo account and its bearer token. */
export const DEMO = '01JDDDDDDDDDDDDDDDDDDDDDDD';
export const DEMO_TOKEN = 'sbt_demo';

/** The SDK clients the API's code sends with, mocked (one mock per client in a test file). */
export const db = mockClient(DynamoDBDocumentClient);
export const scheduler = mockClient(SchedulerClient);
export const sqs = mockClient(SQSClient);

/** Calls the API handler with one request: the answer's status, headers and JSON body. */
export async function callApi(spec: RequestSpec) {
  const res = await handler(apiEvent(spec));
  return { status: res.statusCode ?? 0, headers: res.headers ?? {}, body: res.body ? JSON.parse(res.body) : undefined };
}

/** Makes `token` the bearer token of `owner` (its token item). */
export function givenToken(token: string, owner: { accountId: string; demo: boolean; expiresAt?: string }): void {
  db.on(GetCommand, { Key: { pk: `TOKEN#${hashToken(token)}`, sk: 'TOKEN' } }).resolves({ Item: owner });
}

/** Gives the account a profile (its accountId first, then `item`). */
export function givenProfile(accountId: string, item: Record<string, unknown>): void {
  db.on(GetCommand, { Key: { pk: `ACCOUNT#${accountId}`, sk: 'PROFILE' } }).resolves({ Item: { accountId, ...item } });
}

/** The permanent account's token, and the demo account's, valid until `demoExpiresAt`. */
export function givenCallers(demoExpiresAt: string): void {
  givenToken(TOKEN, { accountId: ACCOUNT, demo: false });
  givenToken(DEMO_TOKEN, { accountId: DEMO, demo: true, expiresAt: demoExpiresAt });
}

/**
 * Resets the mocks, then answers what a test does not script as a success with nothing in it: no item,
 * empty queries, writes, transactions and schedule calls that succeed, messages sent.
 */
export function resetApiMocks(): void {
  db.reset();
  db.on(GetCommand).resolves({});
  db.on(TransactWriteCommand).resolves({});
  db.on(UpdateCommand).resolves({});
  db.on(DeleteCommand).resolves({});
  db.on(QueryCommand).resolves({ Items: [] });
  scheduler.reset();
  scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn' });
  scheduler.on(UpdateScheduleCommand).resolves({ ScheduleArn: 'arn' });
  scheduler.on(DeleteScheduleCommand).resolves({});
  sqs.reset();
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm1' });
}
