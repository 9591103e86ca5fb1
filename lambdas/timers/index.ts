// The timer core: one implementation of everything a timer is but its action (alarms push, jobs POST).
// See README "The timer core" and each module's first lines.

export { type Armed, type ArmOptions, armTimer, disarmTimer, disarmTimerQuietly, type Timer } from './arm.ts';
export { armOccurrence, disarmOccurrence, disarmOccurrenceQuietly, queueOf, timerOf } from './arming.ts';
export { backoffSeconds } from './backoff.ts';
export { changeTimer, revertChange, type TimerChange } from './client-changes.ts';
export { ARM_LEAD_MS, holdUntilDue } from './hold.ts';
export type { OccurrenceRef, TimerKind, TimerMessage } from './kind.ts';
export { carriedBy, FINISHED_AT, messageOf, queueUrlOf, timerMessage } from './kind.ts';
export {
  listOccurrences,
  listTimers,
  type OccurrencePage,
  type OccurrenceRecord,
  type TimerPage,
} from './listings.ts';
export {
  type ActionResult,
  type Delivery,
  done,
  followingDueAt,
  type Occurrence,
  type OccurrenceHooks,
  type OccurrenceOutcome,
  type OccurrenceReport,
  retryLater,
  runDueOccurrence,
  type TimerAction,
} from './occurrence.ts';
export {
  type Completion,
  claimOccurrence,
  completeOccurrence,
  type OccurrenceEnd,
  releaseClaim,
} from './occurrence-claims.ts';
export { OVERDUE_GRACE_MS, overdueOccurrences, redriveOverdue } from './overdue.ts';
export { disarmOwnedTimers } from './owned.ts';
export {
  CANCELLED,
  cancelTimer,
  getTimer,
  type InsertOutcome,
  insertTimer,
  isTimerItem,
  type NewTimer,
  removeUnarmedTimer,
  type TimerState,
  timerKey,
} from './timer-items.ts';
