// The sweeper: every few minutes, asks each capability to re-drive what should have happened but did
// not (an alarm still PENDING well past its fireAt, a demo account past its expiresAt). Each capability
// owns the query of its overdue work and the message it re-sends; the consumers are idempotent, so a
// re-drive of something that is merely slow changes nothing.
import { redriveExpiredDemoAccounts } from '../accounts/overdue.ts';
import { redriveOverdueAlarms } from '../alarms/overdue.ts';
import { redriveOverdueJobRuns } from '../jobs/overdue.ts';
import { logger } from '../shared/logger.ts';

export interface SweepReport {
  readonly overdueAlarms: number;
  readonly expiredDemoAccounts: number;
  readonly overdueJobRuns: number;
}

export async function sweep(now: number): Promise<SweepReport> {
  const overdueAlarms = await redriveOverdueAlarms(now);
  const expiredDemoAccounts = await redriveExpiredDemoAccounts(now);
  const overdueJobRuns = await redriveOverdueJobRuns(now);
  const report = { overdueAlarms, expiredDemoAccounts, overdueJobRuns };
  if (overdueAlarms + expiredDemoAccounts + overdueJobRuns > 0)
    logger.warn('Sweeper re-drove missed work', { ...report });
  return report;
}
