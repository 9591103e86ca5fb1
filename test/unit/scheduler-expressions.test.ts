import { describe, expect, it } from 'vitest';
import { RECURRING_SCHEDULES } from '../../lib/definitions.ts';
import {
  nextFireTime,
  parseScheduleExpression,
  ScheduleExpressionError,
  type ScheduleWindow,
} from '../../local/scheduler/expressions.ts';

/** The next `count` fire times (ISO, UTC) at or after `from`. */
function fireTimes(
  expression: string,
  timeZone: string,
  from: string,
  count: number,
  window: Partial<ScheduleWindow> = {},
): string[] {
  const parsed = parseScheduleExpression(expression, timeZone);
  const times: string[] = [];
  let cursor = Date.parse(from);
  for (let i = 0; i < count; i++) {
    const next = nextFireTime(parsed, cursor, { rateAnchor: Date.parse(from), ...window });
    if (next === undefined) break;
    times.push(new Date(next).toISOString());
    cursor = next + 1;
  }
  return times;
}

describe('cron() with AWS fields', () => {
  it('fires weekly when day-of-month is ? and day-of-week names a day', () => {
    expect(fireTimes('cron(0 12 ? * MON *)', 'UTC', '2025-01-01T00:00:00Z', 3)).toEqual([
      '2025-01-06T12:00:00.000Z',
      '2025-01-13T12:00:00.000Z',
      '2025-01-20T12:00:00.000Z',
    ]);
  });

  it('numbers day-of-week 1-7 from Sunday to Saturday', () => {
    expect(fireTimes('cron(0 0 ? * 1 *)', 'UTC', '2025-01-01T00:00:00Z', 1)).toEqual(['2025-01-05T00:00:00.000Z']);
    expect(fireTimes('cron(0 0 ? * 7 *)', 'UTC', '2025-01-01T00:00:00Z', 1)).toEqual(['2025-01-04T00:00:00.000Z']);
  });

  it('fires on the last day of each month with L, leap years included', () => {
    expect(fireTimes('cron(0 0 L * ? *)', 'UTC', '2024-01-15T00:00:00Z', 3)).toEqual([
      '2024-01-31T00:00:00.000Z',
      '2024-02-29T00:00:00.000Z',
      '2024-03-31T00:00:00.000Z',
    ]);
  });

  it('fires on the third Friday with 6#3 and on the last Friday with 6L', () => {
    expect(fireTimes('cron(0 10 ? * 6#3 *)', 'UTC', '2025-01-01T00:00:00Z', 3)).toEqual([
      '2025-01-17T10:00:00.000Z',
      '2025-02-21T10:00:00.000Z',
      '2025-03-21T10:00:00.000Z',
    ]);
    expect(fireTimes('cron(0 10 ? * 6L *)', 'UTC', '2025-01-01T00:00:00Z', 2)).toEqual([
      '2025-01-31T10:00:00.000Z',
      '2025-02-28T10:00:00.000Z',
    ]);
  });

  it('fires on the weekday nearest the 15th with 15W', () => {
    // 2025-02-15 is a Saturday, 2025-03-15 a Saturday, 2025-06-15 a Sunday.
    expect(fireTimes('cron(0 8 15W * ? *)', 'UTC', '2025-02-01T00:00:00Z', 2)).toEqual([
      '2025-02-14T08:00:00.000Z',
      '2025-03-14T08:00:00.000Z',
    ]);
  });

  it('steps minutes with 0/15 within the named hour', () => {
    expect(fireTimes('cron(0/15 9 * * ? *)', 'UTC', '2025-01-01T00:00:00Z', 5)).toEqual([
      '2025-01-01T09:00:00.000Z',
      '2025-01-01T09:15:00.000Z',
      '2025-01-01T09:30:00.000Z',
      '2025-01-01T09:45:00.000Z',
      '2025-01-02T09:00:00.000Z',
    ]);
  });

  it('reads the range MON-FRI and the range 2-6 as the same weekdays', () => {
    // 2025-01-03 is a Friday: the weekend is skipped.
    const expected = [
      '2025-01-03T18:00:00.000Z',
      '2025-01-06T18:00:00.000Z',
      '2025-01-07T18:00:00.000Z',
      '2025-01-08T18:00:00.000Z',
      '2025-01-09T18:00:00.000Z',
      '2025-01-10T18:00:00.000Z',
    ];
    expect(fireTimes('cron(0 18 ? * MON-FRI *)', 'UTC', '2025-01-03T00:00:00Z', 6)).toEqual(expected);
    expect(fireTimes('cron(0 18 ? * 2-6 *)', 'UTC', '2025-01-03T00:00:00Z', 6)).toEqual(expected);
  });

  it('fires only in the years the year field names, then never again', () => {
    expect(fireTimes('cron(0 12 1 1 ? 2027-2028)', 'UTC', '2025-06-01T00:00:00Z', 5)).toEqual([
      '2027-01-01T12:00:00.000Z',
      '2028-01-01T12:00:00.000Z',
    ]);
    expect(fireTimes('cron(0 12 1 1 ? 2020)', 'UTC', '2025-06-01T00:00:00Z', 1)).toEqual([]);
  });

  it('places the nightly absence run at 00:00 in Seoul, which is 15:00 UTC the day before', () => {
    const { expression, timezone } = RECURRING_SCHEDULES.nightlyAbsence;
    expect(fireTimes(expression, timezone, '2025-03-01T16:00:00Z', 2)).toEqual([
      '2025-03-02T15:00:00.000Z',
      '2025-03-03T15:00:00.000Z',
    ]);
  });

  it('honours StartDate and EndDate of a recurring schedule', () => {
    const window = { startDate: Date.parse('2025-01-03T00:00:00Z'), endDate: Date.parse('2025-01-05T12:00:00Z') };
    expect(fireTimes('cron(0 12 * * ? *)', 'UTC', '2025-01-01T00:00:00Z', 5, window)).toEqual([
      '2025-01-03T12:00:00.000Z',
      '2025-01-04T12:00:00.000Z',
    ]);
  });
});

// AWS ("Daylight saving time on EventBridge Scheduler"): when the clocks spring forward, an invocation
// whose cron time does not exist that day is skipped; when they fall back, a repeated time runs only
// once. America/New_York: 2025-03-09 02:00 EST becomes 03:00 EDT; 2025-11-02 02:00 EDT becomes 01:00 EST.
describe('cron() across daylight saving time changes', () => {
  it('skips a 02:30 daily run on the spring-forward day, when 02:30 does not exist', () => {
    expect(fireTimes('cron(30 2 * * ? *)', 'America/New_York', '2025-03-08T00:00:00Z', 3)).toEqual([
      '2025-03-08T07:30:00.000Z', // 02:30 EST
      '2025-03-10T06:30:00.000Z', // 02:30 EDT; none on the 9th
      '2025-03-11T06:30:00.000Z',
    ]);
  });

  it('runs a 01:30 daily run once on the fall-back day, at the first 01:30', () => {
    expect(fireTimes('cron(30 1 * * ? *)', 'America/New_York', '2025-11-01T12:00:00Z', 3)).toEqual([
      '2025-11-02T05:30:00.000Z', // 01:30 EDT; not again at 01:30 EST (06:30Z)
      '2025-11-03T06:30:00.000Z', // 01:30 EST
      '2025-11-04T06:30:00.000Z',
    ]);
  });

  it('does not repeat half-hourly runs through the repeated hour, and skips the missing one', () => {
    expect(fireTimes('cron(0/30 * * * ? *)', 'America/New_York', '2025-11-02T04:45:00Z', 4)).toEqual([
      '2025-11-02T05:00:00.000Z', // 01:00 EDT
      '2025-11-02T05:30:00.000Z', // 01:30 EDT
      '2025-11-02T07:00:00.000Z', // 02:00 EST; 01:00 and 01:30 EST are repeats
      '2025-11-02T07:30:00.000Z',
    ]);
    expect(fireTimes('cron(0/30 * * * ? *)', 'America/New_York', '2025-03-09T06:15:00Z', 3)).toEqual([
      '2025-03-09T06:30:00.000Z', // 01:30 EST
      '2025-03-09T07:00:00.000Z', // 03:00 EDT; 02:00 and 02:30 do not exist
      '2025-03-09T07:30:00.000Z',
    ]);
  });
});

describe('rate()', () => {
  it('fires at its anchor and then every interval', () => {
    expect(fireTimes('rate(5 minutes)', 'UTC', '2025-01-01T00:00:00Z', 3)).toEqual([
      '2025-01-01T00:00:00.000Z',
      '2025-01-01T00:05:00.000Z',
      '2025-01-01T00:10:00.000Z',
    ]);
  });

  it('continues on the anchor grid when asked from a later time', () => {
    const parsed = parseScheduleExpression('rate(1 hour)');
    const next = nextFireTime(parsed, Date.parse('2025-01-01T05:20:00Z'), {
      rateAnchor: Date.parse('2025-01-01T00:10:00Z'),
    });
    expect(new Date(next ?? 0).toISOString()).toBe('2025-01-01T06:10:00.000Z');
  });

  it('counts days as 24 hours, even across a daylight saving change', () => {
    expect(fireTimes('rate(1 day)', 'America/New_York', '2025-03-08T12:00:00Z', 3)).toEqual([
      '2025-03-08T12:00:00.000Z',
      '2025-03-09T12:00:00.000Z',
      '2025-03-10T12:00:00.000Z',
    ]);
  });

  it('starts at StartDate when one is given', () => {
    const window = { startDate: Date.parse('2025-01-01T03:00:00Z') };
    expect(fireTimes('rate(2 hours)', 'UTC', '2025-01-01T00:00:00Z', 2, window)).toEqual([
      '2025-01-01T03:00:00.000Z',
      '2025-01-01T05:00:00.000Z',
    ]);
  });
});

describe('at()', () => {
  it('reads the time as a wall clock in the schedule time zone', () => {
    expect(parseScheduleExpression('at(2025-06-01T09:00:00)', 'Asia/Seoul')).toEqual({
      kind: 'at',
      fireAt: Date.parse('2025-06-01T00:00:00Z'),
    });
    expect(parseScheduleExpression('at(2025-06-01T09:00:00)', 'America/New_York')).toEqual({
      kind: 'at',
      fireAt: Date.parse('2025-06-01T13:00:00Z'),
    });
  });

  it('reads the time as UTC when no time zone is given', () => {
    expect(parseScheduleExpression('at(2025-06-01T09:00:00)')).toEqual({
      kind: 'at',
      fireAt: Date.parse('2025-06-01T09:00:00Z'),
    });
  });

  it('moves a time inside the spring-forward gap forward by the gap, and takes the first of a repeated time', () => {
    expect(parseScheduleExpression('at(2025-03-09T02:30:00)', 'America/New_York')).toMatchObject({
      fireAt: Date.parse('2025-03-09T07:30:00Z'), // 03:30 EDT
    });
    expect(parseScheduleExpression('at(2025-11-02T01:30:00)', 'America/New_York')).toMatchObject({
      fireAt: Date.parse('2025-11-02T05:30:00Z'), // 01:30 EDT
    });
  });

  it('fires once and ignores StartDate and EndDate', () => {
    const window = { startDate: Date.parse('2030-01-01T00:00:00Z'), endDate: Date.parse('2030-01-02T00:00:00Z') };
    expect(fireTimes('at(2025-06-01T09:00:00)', 'UTC', '2025-01-01T00:00:00Z', 3, window)).toEqual([
      '2025-06-01T09:00:00.000Z',
    ]);
  });
});

describe('invalid expressions', () => {
  it.each([
    ['cron(0 0 * * * *)', 'neither day field is ?'],
    ['cron(0 0 ? * ? *)', 'both day fields are ?'],
    ['cron(0 0 ? * 0 *)', 'day-of-week 0 (AWS counts 1-7)'],
    ['cron(60 0 * * ? *)', 'minute 60'],
    ['cron(0 0 * * ? 1969)', 'a year before 1970'],
    ['cron(0 0 * * ?)', 'five fields'],
    ['cron(0 0 ? * 6#6 *)', 'a sixth Friday'],
    ['at(2025-02-29T10:00:00)', 'a day 2025 does not have'],
    ['at(2025-06-01T24:00:00)', 'hour 24'],
    ['at(2025-06-01T09:00:00Z)', 'an instant with an offset instead of a wall clock'],
    ['at(2025-06-01 09:00:00)', 'a space instead of T'],
    ['rate(0 minutes)', 'a zero rate'],
    ['rate(1 week)', 'an unknown unit'],
    ['every(5 minutes)', 'an unknown kind'],
  ])('rejects %s (%s)', (expression) => {
    expect(() => parseScheduleExpression(expression)).toThrow(ScheduleExpressionError);
  });

  it('rejects an unknown time zone', () => {
    expect(() => parseScheduleExpression('cron(0 0 * * ? *)', 'Mars/Olympus_Mons')).toThrow(ScheduleExpressionError);
  });
});
