// Use cases of accounts: demo accounts that delete themselves, admin-made accounts, deleting an account.
import { DEFAULTS, ENV, ONE_OFF_SCHEDULE_TARGETS, SCHEDULE_GROUPS } from '../../lib/definitions.ts';
import { intEnv, lazy, requireEnv } from '../shared/config.ts';
import { DependencyUnavailableError, NotFoundError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { logger } from '../shared/logger.ts';
import { toIso } from '../shared/time.ts';
import { hashToken, newToken } from '../shared/tokens.ts';
import { armTimer, disarmTimer } from '../timers/arm.ts';
import { holdUntilDue } from '../timers/hold.ts';
import {
  type Account,
  deleteAccountAndToken,
  deleteItems,
  findAccount,
  insertAccount,
  listOwnedItems,
} from './account-store.ts';
import type { AccountDeletionStep } from './index.ts';
import { type ExpireDemoAccountMessage, expiryMessage } from './messages.ts';
import { takeDemoAccountSlot } from './rate-limit.ts';

export type { Account } from './account-store.ts';

const demoConfig = lazy(() => ({
  ttlSeconds: intEnv(ENV.demoTtlSeconds, DEFAULTS.demoTtlSeconds, 1, 365 * 86_400),
  rateLimitPerMinute: intEnv(ENV.demoRateLimitPerMinute, DEFAULTS.demoRateLimitPerMinute, 1, 1_000_000),
  expiryQueueArn: requireEnv(ONE_OFF_SCHEDULE_TARGETS[SCHEDULE_GROUPS.demoAccounts.targetQueue]),
}));
const expiryQueueUrl = lazy(() => requireEnv(ENV.accountExpiryQueueUrl));
const demoScheduleGroup = lazy(() => requireEnv(SCHEDULE_GROUPS.demoAccounts.env));

const expiryScheduleName = (accountId: string) => `demo-${accountId}`;
const expirySchedule = (accountId: string) => ({ group: demoScheduleGroup(), name: expiryScheduleName(accountId) });

export interface NewAccount {
  readonly account: Account;
  /** Shown once; only its hash is stored. */
  readonly token: string;
}

export async function createDemoAccount(input: {
  nickname?: string;
  sourceIp: string;
  now: number;
}): Promise<NewAccount> {
  const config = demoConfig();
  await takeDemoAccountSlot(input.sourceIp, config.rateLimitPerMinute, input.now);
  const accountId = newId(input.now);
  // Whole seconds: the Scheduler's at() has second precision, and expiry must not fire before expiresAt.
  const expiresAtMs = Math.ceil((input.now + config.ttlSeconds * 1000) / 1000) * 1000;
  const account: Account = {
    accountId,
    nickname: input.nickname ?? `guest-${accountId.slice(-6).toLowerCase()}`,
    demo: true,
    expiresAt: toIso(expiresAtMs),
    score: DEFAULTS.initialScore,
    createdAt: toIso(input.now),
  };
  const token = newToken();
  await insertAccount(account, hashToken(token));
  try {
    await armTimer(
      {
        dueAt: expiresAtMs,
        queue: { arn: config.expiryQueueArn, url: expiryQueueUrl() },
        message: expiryMessage({ accountId, expiresAt: toIso(expiresAtMs) }),
        schedule: expirySchedule(accountId),
      },
      { how: 'create', now: input.now, whenSchedulerFails: 'throw' },
    );
  } catch (error) {
    // Without its schedule the account would outlive its promise: take it back and let the client retry.
    logger.error('Could not schedule demo account expiry; rolling back', { accountId, error });
    await deleteAccountAndToken(accountId);
    throw new DependencyUnavailableError('Scheduling is unavailable right now; try again shortly');
  }
  return { account, token };
}

export async function createAccount(input: { nickname: string; now: number }): Promise<NewAccount> {
  const accountId = newId(input.now);
  const account: Account = {
    accountId,
    nickname: input.nickname,
    demo: false,
    score: DEFAULTS.initialScore,
    createdAt: toIso(input.now),
  };
  const token = newToken();
  await insertAccount(account, hashToken(token));
  return { account, token };
}

export async function getAccount(accountId: string): Promise<Account> {
  const account = await findAccount(accountId);
  if (!account) throw new NotFoundError('No such account');
  return account;
}

/**
 * Deletes the account and everything it owns; `alsoDelete` is what each other capability does then.
 * Order matters for a crash halfway: owned things and their schedules first, the profile and token
 * last, so a retry still finds what is left.
 */
export async function deleteAccountCompletely(
  account: Account,
  alsoDelete: readonly AccountDeletionStep[],
): Promise<void> {
  const owned = await listOwnedItems(account.accountId);
  for (const step of alsoDelete) await step(account.accountId, owned);
  await deleteItems(owned);
  if (account.demo) await disarmTimer(expirySchedule(account.accountId));
  await deleteAccountAndToken(account.accountId);
}

export async function deleteOwnAccount(accountId: string, alsoDelete: readonly AccountDeletionStep[]): Promise<void> {
  const account = await findAccount(accountId);
  if (!account) throw new NotFoundError('No such account');
  await deleteAccountCompletely(account, alsoDelete);
}

export type ExpiryOutcome = 'expired' | 'already-gone' | 'not-demo' | 'stale' | 'early';

/**
 * Runs when a demo account's expiry message arrives. Any message may come twice, late, or about an
 * account that was deleted early: only the message naming the account's current expiry deletes it.
 */
export async function expireDemoAccount(
  message: ExpireDemoAccountMessage,
  alsoDelete: readonly AccountDeletionStep[],
): Promise<ExpiryOutcome> {
  const arrived = { dueAt: Date.parse(message.expiresAt), queueUrl: expiryQueueUrl(), message };
  if ((await holdUntilDue(arrived)) === 'held') return 'early';
  const account = await findAccount(message.accountId);
  if (!account) return 'already-gone';
  if (!account.demo) return 'not-demo';
  if (account.expiresAt !== message.expiresAt) return 'stale';
  await deleteAccountCompletely(account, alsoDelete);
  logger.info('Demo account expired', { accountId: account.accountId });
  return 'expired';
}
