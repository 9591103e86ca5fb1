// The alarms' overdue work: occurrences still PENDING a grace period after they were due (a schedule that
// never delivered, an arming lost in a crash), one-off or recurring, re-driven by the timer core. Called
// by the sweeper.
import { redriveOverdue } from '../timers/overdue.ts';
import { ALARM_KIND } from './alarm-kind.ts';

/** Re-sends the message of every overdue alarm occurrence; how many there were. */
export const redriveOverdueAlarms = (now: number): Promise<number> => redriveOverdue(ALARM_KIND, now);
