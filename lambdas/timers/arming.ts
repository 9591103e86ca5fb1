// A timer kind's occurrence as the arm/hold modules (arm.ts, hold.ts) sees it: its message, its queue and its
// one schedule. Each occurrence is a one-off schedule armed ahead of it; completing one arms the next.
import { lazy, requireEnv } from '../shared/config.ts';
import {
  type Armed,
  type ArmOptions,
  armTimer,
  disarmTimer,
  disarmTimerQuietly,
  type Timer,
  type TimerQueue,
  type TimerSchedule,
} from './arm.ts';
import { messageOf, type OccurrenceRef, type TimerKind, type TimerMessage } from './kind.ts';

// Read only where used: the API arms, account deletion only disarms, the consumer arms the next one.
const queues = new Map<TimerKind, () => TimerQueue>();
const groups = new Map<TimerKind, () => string>();

export function queueOf(kind: TimerKind): TimerQueue {
  let read = queues.get(kind);
  if (!read) {
    read = lazy(() => ({ arn: requireEnv(kind.queue.arnEnv), url: requireEnv(kind.queue.urlEnv) }));
    queues.set(kind, read);
  }
  return read();
}

export function scheduleOf(kind: TimerKind, id: string): TimerSchedule {
  let read = groups.get(kind);
  if (!read) {
    read = lazy(() => requireEnv(kind.scheduleGroupEnv));
    groups.set(kind, read);
  }
  return { group: read(), name: `${kind.schedulePrefix}${id}` };
}

export function timerOf(kind: TimerKind, ref: OccurrenceRef): Timer<TimerMessage> {
  return {
    dueAt: Date.parse(ref.dueAt),
    queue: queueOf(kind),
    message: messageOf(kind, ref),
    schedule: scheduleOf(kind, ref.id),
  };
}

/** Arms the occurrence `ref` names (see armTimer in arm.ts); throws when neither the Scheduler nor the queue took it. */
export function armOccurrence(kind: TimerKind, ref: OccurrenceRef, options: ArmOptions): Promise<Armed> {
  return armTimer(timerOf(kind, ref), options);
}

/** Deletes the timer's schedule; throws if the Scheduler fails (account deletion must then stop). */
export function disarmOccurrence(kind: TimerKind, id: string): Promise<void> {
  return disarmTimer(scheduleOf(kind, id));
}

/** Deletes the timer's schedule after a cancel or pause; a failure is only logged (its message is stale now). */
export function disarmOccurrenceQuietly(kind: TimerKind, id: string): Promise<void> {
  return disarmTimerQuietly(scheduleOf(kind, id));
}
