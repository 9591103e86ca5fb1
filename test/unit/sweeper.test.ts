import '../support/unit-env.ts';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { bucketsBetween, LOOKBACK_HOURS } from '../../lambdas/shared/due-index.ts';
import { sweep } from '../../lambdas/sweeper/sweep.ts';
import { db, sqs } from '../support/sdk-mocks.ts';
import { UNIT_ENV } from '../support/unit-env.ts';

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
    // 48 hours back plus the current hour, for alarms, demo accounts and job runs.
    expect(queries).toHaveLength(3 * (LOOKBACK_HOURS + 1));
    expect(queries.map((q) => q.ExpressionAttributeValues?.[':pk'])).toContain('ALARM#2026-11-22T10');
    expect(queries.map((q) => q.ExpressionAttributeValues?.[':pk'])).toContain('DEMO#2026-11-20T10');
    expect(queries.map((q) => q.ExpressionAttributeValues?.[':pk'])).toContain('JOB#2026-11-22T10');
  });

  it('re-drives a job run still pending two minutes after runAt, naming its version and runAt, but not one waiting for its retry', async () => {
    db.on(QueryCommand, {
      ExpressionAttributeValues: { ':pk': 'JOB#2026-11-22T10', ':before': '2026-11-22T10:28:00.000Z' },
    }).resolves({
      Items: [
        { accountId: 'A1', jobId: 'J1', version: 2, status: 'PENDING', dueAt: '2026-11-22T10:20:00.000Z' },
        // Between two attempts: its message comes back by itself.
        {
          accountId: 'A1',
          jobId: 'J2',
          version: 1,
          status: 'PENDING',
          dueAt: '2026-11-22T10:21:00.000Z',
          retryAt: NOW + 60_000,
        },
      ],
    });
    const report = await sweep(NOW);
    expect(report.overdueJobRuns).toBe(1);
    expect(sqs).toHaveReceivedCommandWith(SendMessageBatchCommand, {
      QueueUrl: UNIT_ENV.JOBS_QUEUE_URL,
      Entries: [
        {
          Id: '0',
          MessageBody: JSON.stringify({
            kind: 'run-due-job',
            accountId: 'A1',
            id: 'J1',
            version: 2,
            dueAt: '2026-11-22T10:20:00.000Z',
          }),
        },
      ],
    });
  });

  it('re-drives an alarm still pending two minutes after fireAt with its current version', async () => {
    db.on(QueryCommand, {
      ExpressionAttributeValues: { ':pk': 'ALARM#2026-11-22T10', ':before': '2026-11-22T10:28:00.000Z' },
    }).resolves({
      Items: [{ accountId: 'A1', alarmId: 'L1', version: 3, status: 'PENDING', dueAt: '2026-11-22T10:20:00.000Z' }],
    });
    const report = await sweep(NOW);
    expect(report).toEqual({ overdueAlarms: 1, expiredDemoAccounts: 0, overdueJobRuns: 0 });
    expect(sqs).toHaveReceivedCommandWith(SendMessageBatchCommand, {
      QueueUrl: UNIT_ENV.ALARM_PUSH_QUEUE_URL,
      Entries: [
        {
          Id: '0',
          MessageBody: JSON.stringify({
            kind: 'send-due-alarm',
            accountId: 'A1',
            id: 'L1',
            version: 3,
            dueAt: '2026-11-22T10:20:00.000Z',
          }),
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
    await expect(sweep(NOW)).resolves.toEqual({ overdueAlarms: 0, expiredDemoAccounts: 0, overdueJobRuns: 0 });
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
