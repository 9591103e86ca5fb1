import { describe, expect, it } from 'vitest';
import { targetBody } from '../../local/scheduler/delivery.ts';
import { FaultInjector } from '../../local/scheduler/faults.ts';
import type { ScheduleRecord } from '../../local/scheduler/model.ts';

describe('fault injection of the local Scheduler', () => {
  it('lets calls through while no fault is set', () => {
    const injector = new FaultInjector(() => 0);
    expect(injector.apiCallFault()).toBeUndefined();
    expect(injector.deliveriesFailing).toBe(false);
  });

  it('answers every call with a 503 while unavailable, and recovers when switched off', () => {
    const injector = new FaultInjector(() => 0);
    injector.faults.unavailable(true);
    expect(injector.apiCallFault()).toMatchObject({ status: 503, type: 'ServiceUnavailableException' });
    expect(injector.apiCallFault()).toMatchObject({ status: 503 });
    injector.faults.unavailable(false);
    expect(injector.apiCallFault()).toBeUndefined();
  });

  it('fails exactly the next n calls with the kind asked for', () => {
    const injector = new FaultInjector(() => 0);
    injector.faults.failNextCalls(2, 'throttling');
    expect(injector.apiCallFault()).toMatchObject({ status: 429, type: 'ThrottlingException' });
    expect(injector.apiCallFault()).toMatchObject({ status: 429, type: 'ThrottlingException' });
    expect(injector.apiCallFault()).toBeUndefined();
    injector.faults.failNextCalls(1);
    expect(injector.apiCallFault()).toMatchObject({ status: 500, type: 'InternalServerException' });
  });

  it('throttles above the rate with a token bucket that refills over time', () => {
    let now = 1_000_000;
    const injector = new FaultInjector(() => now);
    injector.faults.throttle(2);
    expect(injector.apiCallFault()).toBeUndefined();
    expect(injector.apiCallFault()).toBeUndefined();
    expect(injector.apiCallFault()).toMatchObject({ status: 429, type: 'ThrottlingException' });
    now += 500; // half a second refills one token at 2 calls per second
    expect(injector.apiCallFault()).toBeUndefined();
    expect(injector.apiCallFault()).toMatchObject({ status: 429 });
    injector.faults.throttle(null);
    expect(injector.apiCallFault()).toBeUndefined();
  });

  it('makes deliveries fail while failDeliveries is on', () => {
    const injector = new FaultInjector(() => 0);
    injector.faults.failDeliveries(true);
    expect(injector.deliveriesFailing).toBe(true);
    injector.faults.failDeliveries(false);
    expect(injector.deliveriesFailing).toBe(false);
  });
});

describe('the body delivered to a target', () => {
  const schedule = {
    arn: 'arn:aws:scheduler:us-east-1:000000000000:schedule/recurring/nightly-absence',
    target: {
      Input: '{"kind":"absence-run","at":"<aws.scheduler.scheduled-time>","try":<aws.scheduler.attempt-number>}',
    },
  } as unknown as ScheduleRecord;

  it('fills in the context attributes of the invocation', () => {
    const body = targetBody({ schedule, scheduledTime: Date.parse('2025-03-02T15:00:00Z'), executionId: 'e-1' }, 3);
    expect(JSON.parse(body)).toEqual({ kind: 'absence-run', at: '2025-03-02T15:00:00Z', try: 3 });
  });

  it('is an empty JSON object when the target has no input', () => {
    const bare = { ...schedule, target: {} } as unknown as ScheduleRecord;
    expect(targetBody({ schedule: bare, scheduledTime: 0, executionId: 'e-2' }, 1)).toBe('{}');
  });
});
