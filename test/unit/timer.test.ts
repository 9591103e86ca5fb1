// The timer core: arm early enough that the Scheduler's minute cannot make a timer late, hold what
// arrives early, release at the second. SDK mocked, fake timers.
import '../support/unit-env.ts';
import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  InternalServerException,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../lambdas/shared/config.ts';
import { armTimer, scheduleTimeFor, type Timer } from '../../lambdas/timers/arm.ts';
import {
  ARM_MARGIN_MS,
  delayTowards,
  FIRING_WINDOW_MS,
  holdUntilDue,
  RELEASE_SLACK_MS,
} from '../../lambdas/timers/hold.ts';
import { scheduler, sqs } from '../support/sdk-mocks.ts';

const NOW = Date.parse('2026-12-01T08:00:00.000Z');
const QUEUE = { arn: 'arn:aws:sqs:us-east-1:123456789012:work', url: 'https://sqs.example/123456789012/work' };
const message = { kind: 'do-it', id: 'x1' };
const timer = (dueAt: number): Timer<typeof message> => ({
  dueAt,
  queue: QUEUE,
  message,
  schedule: { group: 'things', name: 'thing-x1' },
});
const sent = () => sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input);

beforeEach(() => {
  scheduler.reset();
  sqs.reset();
  scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn' });
  scheduler.on(UpdateScheduleCommand).resolves({ ScheduleArn: 'arn' });
  scheduler.on(DeleteScheduleCommand).resolves({});
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm' });
});

describe('arming a timer', () => {
  it('creates a schedule a minute and a margin before due, on whole seconds, carrying the message as is', async () => {
    const due = NOW + 3_600_000 + 400;
    await expect(armTimer(timer(due), { how: 'create', now: NOW, whenSchedulerFails: 'queue' })).resolves.toBe(
      'schedule',
    );
    const input = scheduler.commandCalls(CreateScheduleCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      GroupName: 'things',
      Name: 'thing-x1',
      ScheduleExpression: 'at(2026-12-01T08:58:50)',
      ActionAfterCompletion: 'DELETE',
      Target: { Arn: QUEUE.arn },
    });
    expect(JSON.parse(input?.Target?.Input ?? '{}')).toEqual(message);
    // Even landing at the very end of the Scheduler's window, it is still ahead of due by the margin.
    expect(due - ((scheduleTimeFor(due, NOW) ?? 0) + FIRING_WINDOW_MS)).toBeGreaterThanOrEqual(ARM_MARGIN_MS);
    expect(sqs).not.toHaveReceivedAnyCommand();
  });

  it('puts a timer due sooner than a schedule can serve straight on its queue, delayed to its last second', async () => {
    const due = NOW + 42_700;
    // Back 1–2 s before due: a second of slack for the receive.
    await expect(armTimer(timer(due), { how: 'create', now: NOW, whenSchedulerFails: 'queue' })).resolves.toBe('queue');
    expect(sent()).toEqual([{ QueueUrl: QUEUE.url, MessageBody: JSON.stringify(message), DelaySeconds: 41 }]);
    expect(scheduler).not.toHaveReceivedAnyCommand();
  });

  it('moved to a near due time, goes on the queue and its earlier schedule is deleted', async () => {
    await armTimer(timer(NOW + 5_000), { how: 'move', now: NOW, whenSchedulerFails: 'queue' });
    expect(sent()[0]?.DelaySeconds).toBe(4);
    expect(scheduler).toHaveReceivedCommandWith(DeleteScheduleCommand, { GroupName: 'things', Name: 'thing-x1' });
  });

  it('moved to a far due time, moves its schedule', async () => {
    await armTimer(timer(NOW + 7_200_000), { how: 'move', now: NOW, whenSchedulerFails: 'queue' });
    expect(scheduler).toHaveReceivedCommandWith(UpdateScheduleCommand, {
      Name: 'thing-x1',
      ScheduleExpression: 'at(2026-12-01T09:58:50)',
    });
  });

  it('rides the queue in 15-minute hops when the Scheduler fails and the caller allows it', async () => {
    scheduler
      .on(CreateScheduleCommand)
      .rejects(new InternalServerException({ message: 'down', Message: 'down', $metadata: {} }));
    await expect(
      armTimer(timer(NOW + 3_600_000), { how: 'create', now: NOW, whenSchedulerFails: 'queue' }),
    ).resolves.toBe('queue');
    expect(sent()[0]?.DelaySeconds).toBe(900);
  });

  it('leaves a Scheduler failure to a caller that must undo, and never hides a configuration mistake', async () => {
    scheduler
      .on(CreateScheduleCommand)
      .rejects(new InternalServerException({ message: 'down', Message: 'down', $metadata: {} }));
    await expect(
      armTimer(timer(NOW + 3_600_000), { how: 'create', now: NOW, whenSchedulerFails: 'throw' }),
    ).rejects.toBeInstanceOf(InternalServerException);
    scheduler.on(CreateScheduleCommand).rejects(new ConfigError('SCHEDULER_ROLE_ARN is required'));
    await expect(
      armTimer(timer(NOW + 3_600_000), { how: 'create', now: NOW, whenSchedulerFails: 'queue' }),
    ).rejects.toBeInstanceOf(ConfigError);
    expect(sqs).not.toHaveReceivedAnyCommand();
  });
});

describe('a timer message arriving', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('an hour early, goes back to the queue for SQS’s longest delay', async () => {
    await expect(holdUntilDue({ dueAt: NOW + 3_600_000, queueUrl: QUEUE.url, message })).resolves.toBe('held');
    expect(sent()).toEqual([{ QueueUrl: QUEUE.url, MessageBody: JSON.stringify(message), DelaySeconds: 900 }]);
  });

  it('seconds early (the Scheduler’s minute), goes back delayed to arrive 1–2 s before due', async () => {
    await expect(holdUntilDue({ dueAt: NOW + 37_900, queueUrl: QUEUE.url, message })).resolves.toBe('held');
    expect(sent()[0]?.DelaySeconds).toBe(36);
  });

  it('does what may be done ahead while it waits, and is due only once both are over', async () => {
    const due = NOW + 1_500;
    const order: string[] = [];
    const arrival = holdUntilDue(
      { dueAt: due, queueUrl: QUEUE.url, message },
      { meanwhile: async () => void order.push(`claimed at +${Date.now() - NOW}`) },
    ).then((a) => {
      order.push(`due at +${Date.now() - NOW}`);
      return a;
    });
    await vi.advanceTimersByTimeAsync(1_500);
    await expect(arrival).resolves.toBe('due');
    expect(order).toEqual(['claimed at +0', 'due at +1500']);
  });

  it('less than two seconds early, is released exactly at due, not a millisecond before', async () => {
    const due = NOW + 1_640;
    let releasedAt: number | undefined;
    const arrival = holdUntilDue({ dueAt: due, queueUrl: QUEUE.url, message }).then((a) => {
      releasedAt = Date.now();
      return a;
    });
    await vi.advanceTimersByTimeAsync(1_639);
    expect(releasedAt).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    await expect(arrival).resolves.toBe('due');
    expect(releasedAt).toBe(due);
    expect(sqs).not.toHaveReceivedAnyCommand();
  });

  it('late, is due at once', async () => {
    await expect(holdUntilDue({ dueAt: NOW - 5_000, queueUrl: QUEUE.url, message })).resolves.toBe('due');
    expect(sqs).not.toHaveReceivedAnyCommand();
  });
});

describe('the timer end to end, wherever the Scheduler lands in its window', () => {
  it('is released at due, never before, for every landing moment and delivery latency up to the margin', () => {
    for (const dueOffset of [71_001, 95_432, 3_600_000, 86_400_000 + 999]) {
      const due = NOW + dueOffset;
      const at = scheduleTimeFor(due, NOW);
      expect(at).toBeDefined();
      for (let landing = 0; landing < FIRING_WINDOW_MS; landing += 997) {
        for (const latency of [0, 250, 3_000, 8_000]) {
          // The schedule lands, the consumer gets it `latency` later and holds it with the delay it computes.
          const arrived = (at ?? 0) + landing + latency;
          expect(due - arrived).toBeGreaterThan(2_000);
          const visibleAgain = arrived + delayTowards(due, arrived) * 1000;
          expect(due - visibleAgain).toBeGreaterThanOrEqual(RELEASE_SLACK_MS);
          expect(due - visibleAgain).toBeLessThan(2_000);
        }
      }
    }
  });
});
