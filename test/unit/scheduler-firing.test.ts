// The local Scheduler's timing, as AWS's: within the window after the named time, never before, and
// throttled at the invocation quota. Fake timers; a delivery that records when it was called.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Invocation, SqsDelivery } from '../../local/scheduler/delivery.ts';
import { InvocationThrottle, ScheduleFiring } from '../../local/scheduler/firing.ts';
import type { ScheduleRecord } from '../../local/scheduler/model.ts';
import { ScheduleStore } from '../../local/scheduler/store.ts';

const T0 = Date.parse('2026-12-01T09:00:00.000Z');

function oneOff(name: string, at: number): ScheduleRecord {
  return {
    name,
    group: 'default',
    arn: `arn:aws:scheduler:us-east-1:000000000000:schedule/default/${name}`,
    expression: `at(${new Date(at).toISOString().slice(0, 19)})`,
    timezone: 'UTC',
    state: 'ENABLED',
    target: {
      Arn: 'arn:aws:sqs:us-east-1:000000000000:q',
      RoleArn: 'arn:aws:iam::000000000000:role/r',
      RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 0 },
    },
    flexibleTimeWindow: { Mode: 'OFF' },
    actionAfterCompletion: 'DELETE',
    creationDate: T0 - 60_000,
    lastModificationDate: T0 - 60_000,
  };
}

function firingWith(options: { windowSeconds: number; perSecond?: number; random?: () => number }) {
  const store = new ScheduleStore('us-east-1', '000000000000', undefined, Date.now(), () => {});
  const deliveredAt: Record<string, number> = {};
  const delivery = {
    deliver: async (invocation: Invocation) => {
      deliveredAt[invocation.schedule.name] = Date.now();
    },
    deadLetter: async () => {},
  } as unknown as SqsDelivery;
  const firing = new ScheduleFiring({
    store,
    delivery,
    clock: Date.now,
    log: () => {},
    retryBaseDelayMs: 1000,
    firingWindowMs: options.windowSeconds * 1000,
    invocationsPerSecond: options.perSecond ?? 1000,
    ...(options.random ? { random: options.random } : {}),
  });
  const add = (schedule: ScheduleRecord) => {
    store.putSchedule(schedule);
    firing.arm(schedule);
  };
  return { firing, add, deliveredAt };
}

beforeEach(() => {
  vi.useFakeTimers({ now: T0 - 10_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the local Scheduler firing window', () => {
  it('lands every invocation within 60 s after the time it names, never before, spread across the window', async () => {
    const { add, deliveredAt } = firingWith({ windowSeconds: 60 });
    for (let i = 0; i < 200; i++) add(oneOff(`s${i}`, T0));
    await vi.advanceTimersByTimeAsync(75_000);
    const offsets = Object.values(deliveredAt).map((at) => at - T0);
    expect(offsets).toHaveLength(200);
    expect(Math.min(...offsets)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...offsets)).toBeLessThan(60_000);
    // Uniform: each quarter of the minute gets a share (200 draws: 50 expected, far above 20 by chance).
    for (let q = 0; q < 4; q++) {
      expect(offsets.filter((o) => o >= q * 15_000 && o < (q + 1) * 15_000).length).toBeGreaterThan(20);
    }
  });

  it('lands at the very end of its window when the draw says so, and at the named second with a window of 0', async () => {
    const late = firingWith({ windowSeconds: 60, random: () => 0.999_99 });
    late.add(oneOff('late', T0));
    const exact = firingWith({ windowSeconds: 0, random: () => 0.999_99 });
    exact.add(oneOff('exact', T0));
    await vi.advanceTimersByTimeAsync(75_000);
    expect(late.deliveredAt.late).toBe(T0 + 59_999);
    expect(exact.deliveredAt.exact).toBe(T0);
  });

  it('reports the moment it will land as the schedule’s next fire time', () => {
    const { firing, add } = firingWith({ windowSeconds: 60, random: () => 0.5 });
    add(oneOff('half', T0));
    expect(firing.nextFireAt({ group: 'default', name: 'half' })).toBe(T0 + 30_000);
  });
});

describe('the local Scheduler invocation throttle', () => {
  it('starts at most the quota per second when many land at once', async () => {
    const { add, deliveredAt } = firingWith({ windowSeconds: 0, perSecond: 10 });
    for (let i = 0; i < 50; i++) add(oneOff(`s${i}`, T0));
    await vi.advanceTimersByTimeAsync(20_000);
    const times = Object.values(deliveredAt).sort((a, b) => a - b);
    expect(times).toHaveLength(50);
    // A second's burst at once, then one every 100 ms: the 50th starts ~4 s after the first.
    const inFirstSecond = times.filter((t) => t < T0 + 1000).length;
    expect(inFirstSecond).toBeLessThanOrEqual(20);
    expect((times.at(-1) ?? 0) - T0).toBeGreaterThanOrEqual(3_900);
    for (let s = 1; s < 4; s++) {
      expect(times.filter((t) => t >= T0 + s * 1000 && t < T0 + (s + 1) * 1000).length).toBeLessThanOrEqual(10);
    }
  });

  it('lets invocations through at once while under the quota', () => {
    let now = T0;
    const throttle = new InvocationThrottle(1000, () => now);
    const waits = Array.from({ length: 1000 }, () => throttle.reserve());
    expect(waits.every((w) => w === 0)).toBe(true);
    expect(throttle.reserve()).toBeGreaterThan(0);
    now += 1000;
    expect(throttle.reserve()).toBe(0);
  });
});
