// The API under unit test: its SDK clients mocked with the answers a test does not script itself, the
// callers of api-callers.ts known to it, and calling the API handler with one request.
import './unit-env.ts';
import { CreateScheduleCommand, DeleteScheduleCommand, UpdateScheduleCommand } from '@aws-sdk/client-scheduler';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { DeleteCommand, GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { handler } from '../../lambdas/api/handler.ts';
import { hashToken } from '../../lambdas/shared/tokens.ts';
import { ACCOUNT, DEMO, DEMO_TOKEN, TOKEN } from './api-callers.ts';
import { apiEvent, type RequestSpec } from './api-event.ts';
import { db, scheduler, sqs } from './sdk-mocks.ts';

export { db, scheduler, sqs };

/** Calls the API handler with one request: the answer's status, headers and JSON body. */
export async function callApi(spec: RequestSpec) {
  const res = await handler(apiEvent(spec));
  return { status: res.statusCode ?? 0, headers: res.headers ?? {}, body: res.body ? JSON.parse(res.body) : undefined };
}

/** Makes `token` the bearer token of `owner` (its token item). */
function givenToken(token: string, owner: { accountId: string; demo: boolean; expiresAt?: string }): void {
  db.on(GetCommand, { Key: { pk: `TOKEN#${hashToken(token)}`, sk: 'TOKEN' } }).resolves({ Item: owner });
}

/**
 * Resets the mocks to their default answers (resetApiMocks), then makes TOKEN the permanent account's
 * bearer token and DEMO_TOKEN the demo account's, valid until `demoExpiresAt`, and gives the demo account
 * a profile: demo, expiring then, with `demoProfile` on top.
 */
export function givenApiCallers(demoExpiresAt: string, demoProfile: Record<string, unknown> = {}): void {
  resetApiMocks();
  givenToken(TOKEN, { accountId: ACCOUNT, demo: false });
  givenToken(DEMO_TOKEN, { accountId: DEMO, demo: true, expiresAt: demoExpiresAt });
  db.on(GetCommand, { Key: { pk: `ACCOUNT#${DEMO}`, sk: 'PROFILE' } }).resolves({
    Item: { accountId: DEMO, demo: true, expiresAt: demoExpiresAt, ...demoProfile },
  });
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
