import { describe, expect, it } from 'vitest';
import type { ScheduleRecord, TableItem } from '../../local/console/sources.ts';
import { ConsoleModel, firesOf, percentile, type Readings } from '../../local/console/view.ts';

const NOW = Date.parse('2026-12-01T10:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

const schedule = (group: string, name: string, expression: string, timezone = 'UTC'): ScheduleRecord => ({
  group,
  name,
  state: 'ENABLED',
  expression,
  timezone,
  targetArn: 'arn:aws:sqs:us-east-1:000000000000:q',
  creationDate: NOW - 60_000,
});

const alarm = (alarmId: string, fields: Record<string, unknown>): TableItem => ({
  pk: 'ACCOUNT#a1',
  sk: `ALARM#${alarmId}`,
  alarmId,
  title: `alarm ${alarmId}`,
  ...fields,
});

const demo = (accountId: string, expiresAt: number): TableItem => ({
  pk: `ACCOUNT#${accountId}`,
  sk: 'PROFILE',
  accountId,
  nickname: accountId,
  demo: true,
  expiresAt: iso(expiresAt),
  score: 100,
});

const readings = (over: Partial<Readings>): Readings => ({
  now: NOW,
  schedules: [],
  queues: [],
  items: [],
  pushes: [],
  webhookCalls: [],
  errors: [],
  ...over,
});

describe('console view', () => {
  it('should show a pending webhook job on the jobs lane with its schedule, and its finished run as fired with its lag', () => {
    const view = new ConsoleModel().build(
      readings({
        items: [
          {
            pk: 'ACCOUNT#a1',
            sk: 'JOB#j1',
            jobId: 'j1',
            status: 'PENDING',
            url: 'https://team.example/close',
            dueAt: iso(NOW + 120_000),
          },
          {
            pk: 'ACCOUNT#a1',
            sk: `JOBRUN#j0#${iso(NOW - 60_000)}`,
            jobId: 'j0',
            status: 'SUCCEEDED',
            dueAt: iso(NOW - 60_000),
            finishedAt: iso(NOW - 59_950),
          },
        ],
        schedules: [schedule('jobs', 'job-j1', 'at(2026-12-01T10:00:50)')],
      }),
    );
    expect(view.upcoming.find((e) => e.id === 'job:j1')).toMatchObject({
      kind: 'job',
      dueAt: NOW + 120_000,
      scheduleAt: NOW + 50_000,
      group: 'jobs',
    });
    expect(view.fired.find((e) => e.kind === 'job')).toMatchObject({
      dueAt: NOW - 60_000,
      lagMs: 50,
      status: 'SUCCEEDED',
    });
  });

  it('should put a recurring alarm on the timeline at its next occurrence', () => {
    const view = new ConsoleModel().build(
      readings({
        items: [alarm('r1', { status: 'PENDING', dueAt: iso(NOW + 30_000), repeat: { cron: '* * * * *' } })],
      }),
    );
    expect(view.upcoming.find((e) => e.id === 'alarm:r1')).toMatchObject({ kind: 'alarm', dueAt: NOW + 30_000 });
  });

  it("should show a pending alarm with both its schedule's own time and its due time", () => {
    const view = new ConsoleModel().build(
      readings({
        items: [alarm('x1', { status: 'PENDING', fireAt: iso(NOW + 90_500) })],
        // Armed a minute early, as an alarm held to its second would be.
        schedules: [schedule('alarms', 'alarm-x1', 'at(2026-12-01T10:00:30)')],
      }),
    );
    const entry = view.upcoming.find((e) => e.id === 'alarm:x1');
    expect(entry).toMatchObject({ kind: 'alarm', dueAt: NOW + 90_500, scheduleAt: NOW + 30_000, group: 'alarms' });
    // The schedule belongs to the alarm, so it is not listed a second time on its own.
    expect(view.upcoming.filter((e) => e.id.includes('alarm-x1'))).toEqual([]);
  });

  it('should give every sent alarm its lag, sentAt minus fireAt, and the percentiles and histogram of them', () => {
    const lags = [40, 80, 120, 300, 700, 1500, 4000];
    const items = lags.map((lag, i) =>
      alarm(`s${i}`, { status: 'SENT', fireAt: iso(NOW - 60_000), sentAt: iso(NOW - 60_000 + lag) }),
    );
    const view = new ConsoleModel().build(readings({ items }));
    expect(view.fired.map((f) => f.lagMs).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(lags);
    expect(view.lag).toMatchObject({ count: 7, p50Ms: 300, p99Ms: 4000, maxMs: 4000 });
    expect(view.lag.bins.map((b) => b.count)).toEqual([2, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
    expect(view.lag.bins.reduce((sum, b) => sum + b.count, 0)).toBe(lags.length);
  });

  it('should time a one-off alarm the timer core sent by its finishedAt, as one stored before by its sentAt', () => {
    const items = [
      alarm('core', { status: 'SENT', fireAt: iso(NOW - 60_000), finishedAt: iso(NOW - 60_000 + 250) }),
      alarm('old', { status: 'SENT', fireAt: iso(NOW - 60_000), sentAt: iso(NOW - 60_000 + 90) }),
    ];
    const view = new ConsoleModel().build(readings({ items }));
    expect(view.fired.find((f) => f.id === 'alarm:core')).toMatchObject({ lagMs: 250, exact: true });
    expect(view.fired.find((f) => f.id === 'alarm:old')).toMatchObject({ lagMs: 90, exact: true });
  });

  it('should count a demo account that vanished after its expiry as fired, and one read failure as nothing', () => {
    const model = new ConsoleModel();
    model.build(readings({ items: [demo('d1', NOW + 1000)] }));
    // DynamoDB could not be read: no account is seen, but none may be taken for deleted.
    expect(model.build(readings({ now: NOW + 2000, items: undefined })).fired).toEqual([]);
    const view = model.build(readings({ now: NOW + 3000, items: [] }));
    expect(view.fired).toEqual([
      expect.objectContaining({ id: 'demo:d1', kind: 'demo-expiry', dueAt: NOW + 1000, lagMs: 2000, exact: false }),
    ]);
  });

  it("should pair each work queue with its DLQ and list the Scheduler's DLQ apart", () => {
    const q = (name: string, visible: number, dlq?: string) => ({
      name,
      url: `http://sqs/${name}`,
      arn: `arn:aws:sqs:us-east-1:0:${name}`,
      visible,
      inFlight: 0,
      delayed: 0,
      ...(dlq ? { deadLetterTargetArn: `arn:aws:sqs:us-east-1:0:${dlq}` } : {}),
    });
    const view = new ConsoleModel().build(
      readings({
        queues: [q('alarm-push', 2, 'alarm-push-dlq'), q('alarm-push-dlq', 3), q('schedule-delivery-dlq', 1)],
      }),
    );
    expect(view.queues).toEqual([
      { name: 'alarm-push', visible: 2, inFlight: 0, delayed: 0, deadLetter: { name: 'alarm-push-dlq', depth: 3 } },
    ]);
    expect(view.otherDeadLetterQueues).toEqual([{ name: 'schedule-delivery-dlq', depth: 1 }]);
  });

  it('should draw the nightly run at 00:00 Seoul and a rate() schedule on its whole seconds', () => {
    const nightly = firesOf(
      schedule('recurring', 'nightly-absence', 'cron(0 0 * * ? *)', 'Asia/Seoul'),
      NOW,
      86_400_000,
    );
    expect(nightly.map(iso)).toEqual(['2026-12-01T15:00:00.000Z']);
    const sweeper = { ...schedule('recurring', 'sweeper', 'rate(5 minutes)'), creationDate: NOW + 250 };
    expect(firesOf(sweeper, NOW, 3_600_000).slice(0, 2).map(iso)).toEqual([
      '2026-12-01T10:00:01.000Z',
      '2026-12-01T10:05:01.000Z',
    ]);
  });

  it('should take the nearest-rank percentile', () => {
    expect(percentile([], 50)).toBeUndefined();
    expect(percentile([5], 99)).toBe(5);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 99)).toBe(4);
  });
});
