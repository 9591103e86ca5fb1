// Alarms as the timer core sees them (lambdas/timers/): recurring alarms are timers of this kind, armed,
// held, claimed, completed with their occurrence record and re-armed by the core; the push (with its
// condition) is their action. One-off alarms keep their own path (alarm-claims.ts) with the same layout.
import { ENV, FUNCTIONS, QUEUES, SCHEDULE_GROUPS } from '../../lib/definitions.ts';
import { accountExists, countPendingAlarm, uncountPendingAlarm } from '../accounts/index.ts';
import type { TimerKind } from '../timers/kind.ts';

export const ALARM_KIND: TimerKind = {
  messageKind: 'send-due-alarm',
  itemType: 'alarm',
  idAttribute: 'alarmId',
  itemPrefix: 'ALARM#',
  historyPrefix: 'ALARM_OCC#',
  duePrefix: 'ALARM',
  queue: {
    urlEnv: ENV.alarmPushQueueUrl,
    arnEnv: ENV.alarmPushQueueArn,
    maxReceives: QUEUES.alarmPush.maxReceiveCount,
  },
  scheduleGroupEnv: SCHEDULE_GROUPS.alarms.env,
  // The same schedule name as a one-off alarm's: an alarm is one or the other.
  schedulePrefix: 'alarm-',
  claimMs: FUNCTIONS.sendDueAlarm.timeoutSeconds * 1000,
  // The same `pendingAlarms` counter one-off alarms keep: the demo cap counts both.
  profile: { exists: accountExists, count: countPendingAlarm, uncount: uncountPendingAlarm },
  finishedAttribute: 'finishedAt',
  completedStatus: 'SENT',
};
