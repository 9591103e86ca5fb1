// What other capabilities may ask of accounts, and the parts of their transactions that touch an
// account's profile: only accounts knows the profile's keys and attributes. Kept light (no Scheduler
// client): every function that reads or writes a profile bundles it.
import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { NotFoundError } from '../shared/errors.ts';
import { type Item, tableName } from '../shared/table.ts';
import { hashToken } from '../shared/tokens.ts';
import { accountKey, findAccount, findTokenOwner } from './account-store.ts';

// Calls to users' URLs (conditions, jobs) are signed with the account's secret.
export { requireSigningSecret, signingSecretOf } from './signing-secret.ts';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * What one capability does when an account is deleted, given every item of the account's partition
 * (its profile aside). Runs before those items, the profile and the token go; must be safe to repeat.
 */
export type AccountDeletionStep = (accountId: string, owned: readonly Item[]) => Promise<void>;

/** When the demo account expires (epoch ms); undefined for a permanent account; 404 if there is none. */
export async function demoExpiryOf(accountId: string): Promise<number | undefined> {
  const account = await findAccount(accountId);
  if (!account) throw new NotFoundError('No such account');
  return account.expiresAt ? Date.parse(account.expiresAt) : undefined;
}

/** The account a bearer token belongs to, unless it is unknown or its demo time is over. */
export async function resolveAccountToken(
  token: string,
  now: number,
): Promise<{ accountId: string; demo: boolean } | undefined> {
  const owner = await findTokenOwner(hashToken(token));
  if (!owner) return undefined;
  if (owner.expiresAt && Date.parse(owner.expiresAt) <= now) return undefined;
  return { accountId: owner.accountId, demo: owner.demo };
}

/** Fails the transaction (ConditionalCheckFailed) unless the account exists. */
export const accountExists = (accountId: string): TransactItem => ({
  ConditionCheck: { TableName: tableName, Key: accountKey(accountId), ConditionExpression: 'attribute_exists(pk)' },
});

/** The profile's counters of a kind's timers that are still to happen (demo accounts have a cap on each). */
type PendingCounter = 'pendingAlarms' | 'pendingJobs';

/**
 * Counts one more on the profile's `counter`. Fails the transaction when the account is gone, or, with a
 * `cap` (demo accounts), when it already has that many.
 */
const countPending = (counter: PendingCounter, accountId: string, cap?: number): TransactItem => ({
  Update: {
    TableName: tableName,
    Key: accountKey(accountId),
    UpdateExpression: 'SET #pending = if_not_exists(#pending, :zero) + :one',
    ConditionExpression:
      cap === undefined
        ? 'attribute_exists(pk)'
        : 'attribute_exists(pk) AND (attribute_not_exists(#pending) OR #pending < :cap)',
    ExpressionAttributeNames: { '#pending': counter },
    ExpressionAttributeValues: { ':zero': 0, ':one': 1, ...(cap === undefined ? {} : { ':cap': cap }) },
  },
});

/** Counts one less on the profile's `counter`; fails the transaction when the account is gone or it is 0. */
const uncountPending = (counter: PendingCounter, accountId: string): TransactItem => ({
  Update: {
    TableName: tableName,
    Key: accountKey(accountId),
    UpdateExpression: 'SET #pending = #pending - :one',
    ConditionExpression: 'attribute_exists(pk) AND #pending > :zero',
    ExpressionAttributeNames: { '#pending': counter },
    ExpressionAttributeValues: { ':zero': 0, ':one': 1 },
  },
});

/** Counts one more PENDING alarm on the profile; with a `cap` (demo accounts), at most that many. */
export const countPendingAlarm = (accountId: string, cap?: number): TransactItem =>
  countPending('pendingAlarms', accountId, cap);

/** Counts one PENDING alarm less. */
export const uncountPendingAlarm = (accountId: string): TransactItem => uncountPending('pendingAlarms', accountId);

/** Takes an absence's penalty off the account's score; fails the transaction when the account is gone. */
export const scorePenalty = (accountId: string, penalty: number): TransactItem => ({
  Update: {
    TableName: tableName,
    Key: accountKey(accountId),
    UpdateExpression: 'SET score = score - :penalty',
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeValues: { ':penalty': penalty },
  },
});

/** Counts one more PENDING or PAUSED job on the profile (demo accounts: their cap). */
export const countPendingJob = (accountId: string, cap: number): TransactItem =>
  countPending('pendingJobs', accountId, cap);

/** Counts one pending job less. */
export const uncountPendingJob = (accountId: string): TransactItem => uncountPending('pendingJobs', accountId);
