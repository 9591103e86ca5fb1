// The accounts' overdue work: demo accounts past their expiresAt (their expiry schedule never
// delivered), re-driven to the expiry queue. Called by the sweeper.
import { ENV } from '../../lib/definitions.ts';
import { lazy, requireEnv } from '../shared/config.ts';
import { sendMessages } from '../shared/send-messages.ts';
import { findExpiredDemoAccounts } from './account-store.ts';
import { expiryMessage } from './messages.ts';

const expiryQueueUrl = lazy(() => requireEnv(ENV.accountExpiryQueueUrl));

/** Re-sends the expiry message of every demo account past its expiry; how many there were. */
export async function redriveExpiredDemoAccounts(now: number): Promise<number> {
  const accounts = await findExpiredDemoAccounts(now);
  await sendMessages(expiryQueueUrl(), accounts.map(expiryMessage));
  return accounts.length;
}
