import '../support/unit-env.ts';
import { CreateScheduleCommand, DeleteScheduleCommand, ServiceQuotaExceededException } from '@aws-sdk/client-scheduler';
import { DeleteCommand, GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { deleteOwnAccount, expireDemoAccount } from '../../lambdas/account-deletion/account-deletion.ts';
import { createDemoAccount } from '../../lambdas/accounts/accounts.ts';
import { resolveAccountToken } from '../../lambdas/accounts/index.ts';
import { DependencyUnavailableError, RateLimitedError } from '../../lambdas/shared/errors.ts';
import { hashToken } from '../../lambdas/shared/tokens.ts';
import { db, scheduler } from '../support/sdk-mocks.ts';

const NOW = Date.parse('2026-11-22T10:00:00.250Z');

beforeEach(() => {
  db.reset();
  scheduler.reset();
  db.on(UpdateCommand).resolves({ Attributes: { count: 1 } });
  db.on(TransactWriteCommand).resolves({});
  scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn' });
});

const profile = (overrides: Record<string, unknown> = {}) => ({
  pk: 'ACCOUNT#A1',
  sk: 'PROFILE',
  accountId: 'A1',
  nickname: 'guest',
  demo: true,
  expiresAt: '2026-11-22T11:00:01.000Z',
  score: 100,
  createdAt: '2026-11-22T10:00:00.250Z',
  tokenHash: 'h1',
  ...overrides,
});

describe('creating a demo account', () => {
  it('stores only the hash of the token it returns', async () => {
    const { token, account } = await createDemoAccount({ sourceIp: '203.0.113.7', now: NOW });
    const write = db.commandCalls(TransactWriteCommand)[0]?.args[0].input;
    const serialized = JSON.stringify(write);
    expect(serialized).not.toContain(token);
    expect(serialized).toContain(hashToken(token));
    expect(account.score).toBe(100);
  });

  it('expires a whole second after the TTL, never earlier, and schedules its expiry a minute and a margin ahead', async () => {
    const { account } = await createDemoAccount({ sourceIp: '203.0.113.7', now: NOW });
    expect(account.expiresAt).toBe('2026-11-22T11:00:01.000Z');
    expect(scheduler).toHaveReceivedCommandWith(CreateScheduleCommand, {
      GroupName: 'demo-accounts',
      // 70 s ahead: the Scheduler lands within 60 s after at(); the consumer holds the rest (lambdas/timers/).
      ScheduleExpression: 'at(2026-11-22T10:58:51)',
      ScheduleExpressionTimezone: 'UTC',
      ActionAfterCompletion: 'DELETE',
    });
    const input = scheduler.commandCalls(CreateScheduleCommand)[0]?.args[0].input;
    expect(input?.Target?.Arn).toBe('arn:aws:sqs:us-east-1:123456789012:account-expiry');
    expect(JSON.parse(input?.Target?.Input ?? '{}')).toEqual({
      kind: 'expire-demo-account',
      accountId: account.accountId,
      expiresAt: account.expiresAt,
    });
  });

  it('is taken back and answered as unavailable when its expiry cannot be scheduled', async () => {
    scheduler
      .on(CreateScheduleCommand)
      .rejects(new ServiceQuotaExceededException({ message: 'quota', Message: 'quota', $metadata: {} }));
    db.on(GetCommand).resolves({ Item: profile() });
    await expect(createDemoAccount({ sourceIp: '203.0.113.7', now: NOW })).rejects.toBeInstanceOf(
      DependencyUnavailableError,
    );
    // The put, then the rollback of profile and token.
    expect(db).toHaveReceivedCommandTimes(TransactWriteCommand, 2);
    const rollback = db.commandCalls(TransactWriteCommand)[1]?.args[0].input.TransactItems ?? [];
    expect(rollback.every((i) => i.Delete !== undefined)).toBe(true);
  });

  it('is refused with a retry hint once an address passes its limit for the minute', async () => {
    db.on(UpdateCommand).resolves({ Attributes: { count: 11 } });
    const error = await createDemoAccount({ sourceIp: '203.0.113.7', now: NOW }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterSeconds).toBe(60);
    expect(db).not.toHaveReceivedCommand(TransactWriteCommand);
  });
});

describe('resolving a token', () => {
  it('finds the account of a live token', async () => {
    db.on(GetCommand).resolves({ Item: { accountId: 'A1', demo: false } });
    await expect(resolveAccountToken('t', NOW)).resolves.toEqual({ accountId: 'A1', demo: false });
  });

  it('refuses the token of a demo account whose time is over, even before it is deleted', async () => {
    db.on(GetCommand).resolves({ Item: { accountId: 'A1', demo: true, expiresAt: '2026-11-22T10:00:00.000Z' } });
    await expect(resolveAccountToken('t', NOW)).resolves.toBeUndefined();
  });

  it('refuses an unknown token', async () => {
    db.on(GetCommand).resolves({});
    await expect(resolveAccountToken('t', NOW)).resolves.toBeUndefined();
  });
});

describe('the expiry message', () => {
  const message = { kind: 'expire-demo-account' as const, accountId: 'A1', expiresAt: '2026-11-22T11:00:01.000Z' };

  it('deletes the account, everything in its partition, its schedule and its token', async () => {
    db.on(GetCommand).resolves({ Item: profile() });
    db.on(QueryCommand).resolves({
      Items: [profile(), { pk: 'ACCOUNT#A1', sk: 'MEMBER_OF#S1' }, { pk: 'ACCOUNT#A1', sk: 'OWNS#S2' }],
    });
    scheduler.on(DeleteScheduleCommand).resolves({});
    await expect(expireDemoAccount(message)).resolves.toBe('expired');
    const deleted = db.commandCalls(DeleteCommand).map((c) => c.args[0].input.Key);
    // The partition's items, and the study's side of the participation.
    expect(deleted).toEqual(
      expect.arrayContaining([
        { pk: 'ACCOUNT#A1', sk: 'MEMBER_OF#S1' },
        { pk: 'ACCOUNT#A1', sk: 'OWNS#S2' },
        { pk: 'STUDY#S1', sk: 'MEMBER#A1' },
      ]),
    );
    expect(scheduler).toHaveReceivedCommandWith(DeleteScheduleCommand, { GroupName: 'demo-accounts', Name: 'demo-A1' });
    const last = db.commandCalls(TransactWriteCommand).at(-1)?.args[0].input.TransactItems ?? [];
    expect(last.map((i) => i.Delete?.Key)).toEqual([
      { pk: 'TOKEN#h1', sk: 'TOKEN' },
      { pk: 'ACCOUNT#A1', sk: 'PROFILE' },
    ]);
  });

  it('does nothing when the account is already gone (a duplicate or a late message)', async () => {
    db.on(GetCommand).resolves({});
    await expect(expireDemoAccount(message)).resolves.toBe('already-gone');
    expect(db).not.toHaveReceivedCommand(DeleteCommand);
    expect(db).not.toHaveReceivedCommand(TransactWriteCommand);
  });

  it('does nothing when it names another expiry than the account has now (stale)', async () => {
    db.on(GetCommand).resolves({ Item: profile({ expiresAt: '2026-11-23T11:00:01.000Z' }) });
    await expect(expireDemoAccount(message)).resolves.toBe('stale');
    expect(db).not.toHaveReceivedCommand(TransactWriteCommand);
  });

  it('never deletes a permanent account', async () => {
    db.on(GetCommand).resolves({ Item: profile({ demo: false, expiresAt: undefined }) });
    await expect(expireDemoAccount(message)).resolves.toBe('not-demo');
    expect(db).not.toHaveReceivedCommand(TransactWriteCommand);
  });
});

describe('deleting one’s own account early', () => {
  it('removes the expiry schedule so nothing is left behind', async () => {
    db.on(GetCommand).resolves({ Item: profile() });
    db.on(QueryCommand).resolves({ Items: [profile()] });
    scheduler.on(DeleteScheduleCommand).resolves({});
    await deleteOwnAccount('A1');
    expect(scheduler).toHaveReceivedCommandWith(DeleteScheduleCommand, { GroupName: 'demo-accounts', Name: 'demo-A1' });
  });
});
