// What happens when a schedule is due: one timer per schedule set for its next fire time plus a uniformly
// random delay within the firing window (AWS invokes "with 60 second precision": a 1:00 schedule runs
// between 1:00:00 and 1:00:59, never before), invocations throttled at the account's quota, retries with
// exponential backoff per its RetryPolicy, the dead-letter event after the last failure, and
// ActionAfterCompletion for one-time schedules.
import { randomUUID } from 'node:crypto';
import { DeliveryError, type Invocation, type SqsDelivery } from './delivery.ts';
import { nextFireTime, type ParsedScheduleExpression, parseScheduleExpression } from './expressions.ts';
import type { ScheduleRecord } from './model.ts';
import type { ScheduleStore } from './store.ts';

/** One invocation's outcome, for tests and the console. */
export interface FiredInvocation {
  readonly name: string;
  readonly group: string;
  /** Epoch ms the invocation ended (delivered, or given up). */
  readonly at: number;
  /** Epoch ms the schedule was due. */
  readonly scheduledAt: number;
  readonly ok: boolean;
  /** Delivery attempts made (0 when the event was already older than MaximumEventAgeInSeconds). */
  readonly attempts: number;
  readonly executionId: string;
}

export interface FiringOptions {
  readonly store: ScheduleStore;
  readonly delivery: SqsDelivery;
  readonly clock: () => number;
  readonly log: (line: string) => void;
  /** Backoff before retry n is base * 2^(n-1), capped at base * 2^MAX_BACKOFF_DOUBLINGS. */
  readonly retryBaseDelayMs: number;
  /** Each invocation lands at a uniformly random moment in [named time, named time + window); 0 = exact. */
  readonly firingWindowMs: number;
  /** Delivery attempts started per second at most (AWS's default quota: 1,000 invocations/s). */
  readonly invocationsPerSecond: number;
  /** In [0, 1); Math.random by default. */
  readonly random?: () => number;
}

/**
 * Spaces out calls to at most `perSecond` per second, first come first served (a token bucket with a
 * burst of one second's worth, which is how AWS's per-second quotas behave).
 */
export class InvocationThrottle {
  private readonly intervalMs: number;
  private nextFreeAt = Number.NEGATIVE_INFINITY;

  constructor(
    perSecond: number,
    private readonly clock: () => number,
  ) {
    if (!(perSecond > 0)) throw new RangeError('invocations per second must be above 0');
    this.intervalMs = 1000 / perSecond;
  }

  /** Milliseconds the caller must wait before its invocation may start (0 when it may start now). */
  reserve(): number {
    const now = this.clock();
    // Idle time refills the bucket up to one second's worth of invocations, no more.
    const slot = Math.max(this.nextFreeAt, now - 1000 + this.intervalMs);
    this.nextFreeAt = slot + this.intervalMs;
    return Math.max(0, Math.ceil(slot - now));
  }
}

// setTimeout takes at most 2^31-1 ms (about 24.8 days); longer waits are re-armed in steps.
const MAX_TIMER_MS = 2 ** 31 - 1;
const MAX_BACKOFF_DOUBLINGS = 8;

const keyOf = (schedule: { group: string; name: string }) => `${schedule.group}/${schedule.name}`;

export class ScheduleFiring {
  readonly fired: FiredInvocation[] = [];
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; fireAt: number }>();
  /** Where in its window each due invocation lands, drawn once so a re-armed timer keeps its moment. */
  private readonly offsets = new Map<string, number>();
  private readonly throttle: InvocationThrottle;
  /** Scheduled time of the last invocation started per schedule, so a recurring one never starts twice. */
  private readonly lastStarted = new Map<string, number>();
  private readonly inFlight = new Set<string>();
  private readonly parsed = new WeakMap<ScheduleRecord, ParsedScheduleExpression>();
  private readonly stopping = new AbortController();
  /** Backoff waits under way, with what ends each early on stop. */
  private readonly backoffs = new Map<NodeJS.Timeout, () => void>();

  constructor(private readonly options: FiringOptions) {
    this.throttle = new InvocationThrottle(options.invocationsPerSecond, options.clock);
  }

  /** The moment an invocation named for `scheduledTime` lands: within the window after it, never before. */
  private landingTime(key: string, scheduledTime: number): number {
    const flight = `${key}@${scheduledTime}`;
    let offset = this.offsets.get(flight);
    if (offset === undefined) {
      offset = Math.floor((this.options.random ?? Math.random)() * this.options.firingWindowMs);
      // Only the latest draw per schedule matters; older ones belong to times already fired or moved.
      for (const k of this.offsets.keys()) if (k.startsWith(`${key}@`)) this.offsets.delete(k);
      this.offsets.set(flight, offset);
    }
    return scheduledTime + offset;
  }

  /** (Re)sets the schedule's timer from its current definition; call after every create or update. */
  arm(schedule: ScheduleRecord): void {
    this.disarm(schedule);
    if (this.stopping.signal.aborted || schedule.state === 'DISABLED') return;
    const scheduledTime = this.dueTime(schedule);
    if (scheduledTime === undefined) return;
    const fireAt = this.landingTime(keyOf(schedule), scheduledTime);
    const wait = Math.max(0, fireAt - this.options.clock());
    const timer = setTimeout(
      () => {
        this.timers.delete(keyOf(schedule));
        const current = this.options.store.getSchedule(schedule.group, schedule.name);
        if (!current) return;
        // Timers can wake a little early, and long waits come in steps: never fire before the time.
        if (this.options.clock() < fireAt) this.arm(current);
        else this.fire(current, scheduledTime);
      },
      Math.min(wait, MAX_TIMER_MS),
    );
    timer.unref();
    this.timers.set(keyOf(schedule), { timer, fireAt });
  }

  disarm(schedule: { group: string; name: string }): void {
    const armed = this.timers.get(keyOf(schedule));
    if (armed) clearTimeout(armed.timer);
    this.timers.delete(keyOf(schedule));
  }

  /** Epoch ms the schedule's timer is set for (its named time plus its place in the window), if any. */
  nextFireAt(schedule: { group: string; name: string }): number | undefined {
    return this.timers.get(keyOf(schedule))?.fireAt;
  }

  /** Clears every timer and abandons invocations under way (their retries and DLQ sends). */
  stop(): void {
    this.stopping.abort();
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const [timer, wake] of this.backoffs) {
      clearTimeout(timer);
      wake();
    }
    this.backoffs.clear();
  }

  private expressionOf(schedule: ScheduleRecord): ParsedScheduleExpression {
    let parsed = this.parsed.get(schedule);
    if (!parsed) {
      parsed = parseScheduleExpression(schedule.expression, schedule.timezone ?? 'UTC');
      this.parsed.set(schedule, parsed);
    }
    return parsed;
  }

  /**
   * An at() schedule is due at its instant until it has fired, even when that instant has passed: AWS
   * delivers a one-time schedule created (or, here, reloaded) after its time at once, as a late event
   * still within MaximumEventAgeInSeconds. Recurring schedules never catch up on missed times.
   */
  private dueTime(schedule: ScheduleRecord): number | undefined {
    const expression = this.expressionOf(schedule);
    const key = keyOf(schedule);
    if (expression.kind === 'at') {
      const done = schedule.lastFireTime === expression.fireAt || this.inFlight.has(`${key}@${expression.fireAt}`);
      return done ? undefined : expression.fireAt;
    }
    const from = Math.max(
      this.options.clock(),
      (schedule.lastFireTime ?? Number.NEGATIVE_INFINITY) + 1,
      (this.lastStarted.get(key) ?? Number.NEGATIVE_INFINITY) + 1,
    );
    return nextFireTime(expression, from, {
      startDate: schedule.startDate,
      endDate: schedule.endDate,
      // Fire times fall on whole seconds, as the Scheduler's do.
      rateAnchor: Math.ceil(schedule.creationDate / 1000) * 1000,
    });
  }

  private fire(schedule: ScheduleRecord, scheduledTime: number): void {
    const key = keyOf(schedule);
    const flight = `${key}@${scheduledTime}`;
    this.inFlight.add(flight);
    if (this.expressionOf(schedule).kind !== 'at') {
      this.lastStarted.set(key, scheduledTime);
      // The next occurrence does not wait for this one's retries.
      this.arm(schedule);
    }
    const invocation: Invocation = { schedule, scheduledTime, executionId: randomUUID() };
    void this.invoke(invocation)
      .then((outcome) => {
        if (outcome) this.complete(invocation, outcome);
      })
      .catch((error: unknown) => {
        this.options.log(`scheduler: ${key} invocation crashed: ${error instanceof Error ? error.stack : error}`);
      })
      .finally(() => {
        this.inFlight.delete(flight);
        this.offsets.delete(flight);
      });
  }

  /** Delivers with retries; undefined when the emulator stopped meanwhile. */
  private async invoke(invocation: Invocation): Promise<{ ok: boolean; attempts: number } | undefined> {
    const { clock, delivery, log, retryBaseDelayMs } = this.options;
    const { schedule, scheduledTime } = invocation;
    const { MaximumEventAgeInSeconds, MaximumRetryAttempts } = schedule.target.RetryPolicy;
    const deadline = scheduledTime + MaximumEventAgeInSeconds * 1000;
    const signal = this.stopping.signal;
    const label = `${keyOf(schedule)} (due ${new Date(scheduledTime).toISOString()})`;
    const giveUp = async (failure: DeliveryError, attempts: number) => {
      log(`scheduler: ${label} failed after ${attempts} attempt(s): ${failure.code}: ${failure.message}`);
      try {
        await delivery.deadLetter(invocation, failure, Math.max(0, attempts - 1), signal);
        if (schedule.target.DeadLetterConfig?.Arn) log(`scheduler: ${label} sent to its dead-letter queue`);
      } catch (error) {
        if (!signal.aborted) log(`scheduler: ${label} could not reach its dead-letter queue: ${String(error)}`);
      }
      return signal.aborted ? undefined : { ok: false, attempts };
    };

    if (clock() > deadline) {
      return giveUp(
        new DeliveryError('MaximumEventAgeExceeded', 'The event is older than MaximumEventAgeInSeconds.'),
        0,
      );
    }
    for (let attempt = 1; ; attempt++) {
      try {
        const wait = this.throttle.reserve();
        if (wait > 0) await this.sleep(wait);
        if (signal.aborted) return undefined;
        await delivery.deliver(invocation, attempt, signal);
        log(`scheduler: ${label} delivered to ${schedule.target.Arn} (attempt ${attempt})`);
        return { ok: true, attempts: attempt };
      } catch (error) {
        if (signal.aborted) return undefined;
        const failure = error instanceof DeliveryError ? error : new DeliveryError('Error', String(error));
        const backoff = retryBaseDelayMs * 2 ** Math.min(attempt - 1, MAX_BACKOFF_DOUBLINGS);
        if (attempt > MaximumRetryAttempts || clock() + backoff > deadline) return giveUp(failure, attempt);
        log(`scheduler: ${label} attempt ${attempt} failed (${failure.code}); retrying in ${backoff} ms`);
        await this.sleep(backoff);
        if (signal.aborted) return undefined;
      }
    }
  }

  private complete(invocation: Invocation, outcome: { ok: boolean; attempts: number }): void {
    const { store, clock } = this.options;
    const { schedule, scheduledTime, executionId } = invocation;
    this.fired.push({
      name: schedule.name,
      group: schedule.group,
      at: clock(),
      scheduledAt: scheduledTime,
      ...outcome,
      executionId,
    });
    const current = store.getSchedule(schedule.group, schedule.name);
    if (!current) return;
    const sameDefinition = current.lastModificationDate === schedule.lastModificationDate;
    if (sameDefinition && schedule.actionAfterCompletion === 'DELETE' && this.expressionOf(schedule).kind === 'at') {
      store.deleteSchedule(schedule.group, schedule.name);
      this.disarm(schedule);
      this.options.log(`scheduler: ${keyOf(schedule)} deleted after completion (ActionAfterCompletion DELETE)`);
      return;
    }
    if (current.lastFireTime === undefined || scheduledTime > current.lastFireTime) {
      store.putSchedule({ ...current, lastFireTime: scheduledTime });
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.backoffs.delete(timer);
        resolve();
      }, ms);
      timer.unref();
      this.backoffs.set(timer, resolve);
    });
  }
}
