import '../support/unit-env.ts';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { bucketsBetween, LOOKBACK_HOURS } from '../../lambdas/shared/due-index.ts';
import { sweep } from '../../lambdas/sweeper/sweep.ts';
import { UNIT_ENV } from '../support/unit-env.ts';

const db = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
const NOW = Date.parse('2026-11-22T10:30:00Z');

beforeEach(() => {
  db.reset();
  sqs.reset();
  db.on(QueryCommand).resolves({ Items: [] });
  sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
});

describe('the sweeper', () => {
  it('reads hour buckets of the due index and never scans', async () => {
    await sweep(NOW);
    const queries = db.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(queries.every((q) => q.IndexName === 'due-index')).toBe(true);
    // 48 hours back plus the current hour, for alarms and for demo accounts.
    expect(queries).toHaveLength(2 * (LOOKBACK_HOURS + 1));
    expect(queries.map((q) => q.ExpressionAttributeValues?.[':pk'])).toContain('ALARM#2026-11-22T10');
    expect(queries.map((q) => q.ExpressionAttributeValues?.[':pk'])).toContain('DEMO#2026-11-20T10');
  });

  it('re-drives an alarm still pending two minutes after fireAt with its current version', async () => {
    db.on(QueryCommand, {
      ExpressionAttributeValues: { ':pk': 'ALARM#2026-11-22T10', ':before': '2026-11-22T10:28:00.000Z' },
    }).resolves({
      Items: [{ accountId: 'A1', alarmId: 'L1', version: 3, status: 'PENDING', dueAt: '2026-11-22T10:20:00.000Z' }],
    });
    const report = await sweep(NOW);
    expect(report).toEqual({ overdueAlarms: 1, expiredDemoAccounts: 0 });
    expect(sqs).toHaveReceivedCommandWith(SendMessageBatchCommand, {
      QueueUrl: UNIT_ENV.ALARM_PUSH_QUEUE_URL,
      Entries: [
        {
          Id: '0',
          MessageBody: JSON.stringify({ kind: 'send-due-alarm', accountId: 'A1', alarmId: 'L1', version: 3 }),
        },
      ],
    });
  });

  it('re-drives a demo account past its expiry to the expiry queue', async () => {
    db.on(QueryCommand, {
      ExpressionAttributeValues: { ':pk': 'DEMO#2026-11-22T09', ':before': '2026-11-22T10:30:00.000Z' },
    }).resolves({
      Items: [{ accountId: 'A2', expiresAt: '2026-11-22T09:59:00.000Z' }],
    });
    const report = await sweep(NOW);
    expect(report.expiredDemoAccounts).toBe(1);
    expect(sqs).toHaveReceivedCommandWith(SendMessageBatchCommand, {
      QueueUrl: UNIT_ENV.ACCOUNT_EXPIRY_QUEUE_URL,
      Entries: [
        {
          Id: '0',
          MessageBody: JSON.stringify({
            kind: 'expire-demo-account',
            accountId: 'A2',
            expiresAt: '2026-11-22T09:59:00.000Z',
          }),
        },
      ],
    });
  });

  it('sends nothing when nothing slipped', async () => {
    await expect(sweep(NOW)).resolves.toEqual({ overdueAlarms: 0, expiredDemoAccounts: 0 });
    expect(sqs).not.toHaveReceivedCommand(SendMessageBatchCommand);
  });

  it('covers every hour between two instants, both ends included', () => {
    expect(bucketsBetween(Date.parse('2026-11-22T08:59:59Z'), Date.parse('2026-11-22T10:00:00Z'))).toEqual([
      '2026-11-22T08',
      '2026-11-22T09',
      '2026-11-22T10',
    ]);
  });
});
