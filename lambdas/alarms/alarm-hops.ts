// The push queue's message of an alarm, whichever way it comes (its schedule, straight from the API when
// fireAt is near or the Scheduler is down, a hold or hop the consumer re-sends, the sweeper). Apart from
// alarm-arming.ts so the push consumer's bundle holds no Scheduler client.
import { ENV } from '../../lib/definitions.ts';
import { lazy, requireEnv } from '../shared/config.ts';
import type { Alarm } from './alarm-store.ts';
import type { SendDueAlarmMessage } from './messages.ts';

export const pushQueueUrl = lazy(() => requireEnv(ENV.alarmPushQueueUrl));

export const fireMessage = (alarm: Alarm): SendDueAlarmMessage => ({
  kind: 'send-due-alarm',
  accountId: alarm.accountId,
  alarmId: alarm.alarmId,
  version: alarm.version,
  fireAt: alarm.fireAt,
});
