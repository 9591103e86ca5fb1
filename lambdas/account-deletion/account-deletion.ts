// What deleting an account does across the capabilities, whether its owner asks or its demo time runs
// out: each capability that keeps things of an account does its part (its on-account-deleted.ts), then
// accounts deletes the partition, the expiry schedule, the profile and the token. A capability that
// starts keeping things of an account adds its step here.
import { leaveStudiesOf } from '../absence/on-account-deleted.ts';
import * as accounts from '../accounts/accounts.ts';
import type { AccountDeletionStep } from '../accounts/index.ts';
import type { ExpireDemoAccountMessage } from '../accounts/messages.ts';
import { releaseAlarmsOf } from '../alarms/on-account-deleted.ts';
import { releaseJobsOf } from '../jobs/on-account-deleted.ts';

const alsoDelete: readonly AccountDeletionStep[] = [releaseAlarmsOf, releaseJobsOf, leaveStudiesOf];

export const deleteOwnAccount = (accountId: string): Promise<void> => accounts.deleteOwnAccount(accountId, alsoDelete);

export const expireDemoAccount = (message: ExpireDemoAccountMessage): Promise<accounts.ExpiryOutcome> =>
  accounts.expireDemoAccount(message, alsoDelete);
