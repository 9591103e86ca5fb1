import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { nextOccurrence, type RepeatRule, upcomingOccurrences } from '../../lambdas/shared/recurrence.ts';
import { repeatSchema } from '../../lambdas/shared/repeat-schema.ts';

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
const next = (rule: RepeatRule, after: string) => iso(nextOccurrence(rule, Date.parse(after)));
const upcoming = (rule: RepeatRule, after: string, count: number) =>
  upcomingOccurrences(rule, Date.parse(after), count).map((ms) => new Date(ms).toISOString());

describe('occurrences in a zone without daylight saving', () => {
  it('fires at 21:00 Korea time every day, which is 12:00 UTC', () => {
    expect(upcoming({ cron: '0 21 * * *', timezone: 'Asia/Seoul' }, '2027-03-14T00:00:00Z', 3)).toEqual([
      '2027-03-14T12:00:00.000Z',
      '2027-03-15T12:00:00.000Z',
      '2027-03-16T12:00:00.000Z',
    ]);
  });

  it('is strictly after the given instant, and whole minutes', () => {
    expect(next({ cron: '0 21 * * *', timezone: 'Asia/Seoul' }, '2027-03-14T12:00:00.000Z')).toBe(
      '2027-03-15T12:00:00.000Z',
    );
    expect(next({ cron: '0 21 * * *', timezone: 'Asia/Seoul' }, '2027-03-14T11:59:59.999Z')).toBe(
      '2027-03-14T12:00:00.000Z',
    );
    expect(next({ cron: '* * * * *', timezone: 'UTC' }, '2027-03-14T11:59:30.500Z')).toBe('2027-03-14T12:00:00.000Z');
  });

  it('reads 0 and 7 as Sunday, names of days and months, lists, ranges and steps', () => {
    const sundays = ['2027-03-14T00:00:00.000Z', '2027-03-21T00:00:00.000Z'];
    expect(upcoming({ cron: '0 0 * * 0', timezone: 'UTC' }, '2027-03-13T00:00:00Z', 2)).toEqual(sundays);
    expect(upcoming({ cron: '0 0 * * 7', timezone: 'UTC' }, '2027-03-13T00:00:00Z', 2)).toEqual(sundays);
    expect(upcoming({ cron: '0 0 * * sun', timezone: 'UTC' }, '2027-03-13T00:00:00Z', 2)).toEqual(sundays);
    expect(upcoming({ cron: '0 9 * JAN,JUL MON-FRI', timezone: 'UTC' }, '2027-06-30T12:00:00Z', 2)).toEqual([
      '2027-07-01T09:00:00.000Z',
      '2027-07-02T09:00:00.000Z',
    ]);
    expect(upcoming({ cron: '*/20 8-9 * * *', timezone: 'UTC' }, '2027-03-14T00:00:00Z', 4)).toEqual([
      '2027-03-14T08:00:00.000Z',
      '2027-03-14T08:20:00.000Z',
      '2027-03-14T08:40:00.000Z',
      '2027-03-14T09:00:00.000Z',
    ]);
  });

  it('fires when either the day of month or the day of week matches, as Unix cron does', () => {
    // The 15th of March 2027 is a Monday: 1st of the month OR any Monday.
    expect(upcoming({ cron: '0 0 1 * MON', timezone: 'UTC' }, '2027-03-14T00:00:00Z', 4)).toEqual([
      '2027-03-15T00:00:00.000Z',
      '2027-03-22T00:00:00.000Z',
      '2027-03-29T00:00:00.000Z',
      '2027-04-01T00:00:00.000Z',
    ]);
  });

  it('stops at until: the last occurrence may be at until itself, none after', () => {
    const rule = { cron: '0 12 * * *', timezone: 'UTC', until: '2027-03-16T12:00:00.000Z' };
    expect(upcoming(rule, '2027-03-14T00:00:00Z', 10)).toEqual([
      '2027-03-14T12:00:00.000Z',
      '2027-03-15T12:00:00.000Z',
      '2027-03-16T12:00:00.000Z',
    ]);
    expect(next(rule, '2027-03-16T12:00:00.000Z')).toBeUndefined();
  });

  it('has no occurrence for a date that never comes', () => {
    expect(next({ cron: '0 0 31 2 *', timezone: 'UTC' }, '2027-01-01T00:00:00Z')).toBeUndefined();
    expect(next({ cron: '0 0 29 2 *', timezone: 'UTC' }, '2027-01-01T00:00:00Z')).toBe('2028-02-29T00:00:00.000Z');
  });
});

describe('the daylight-saving rule in America/New_York (2027: spring forward 14 March, fall back 7 November)', () => {
  const ny = (cron: string) => ({ cron, timezone: 'America/New_York' });

  it('fires a daily 02:30, which does not exist on the spring-forward day, once at 03:00 that day', () => {
    expect(upcoming(ny('30 2 * * *'), '2027-03-13T12:00:00Z', 3)).toEqual([
      '2027-03-14T07:00:00.000Z', // 03:00 EDT, the first minute after the gap
      '2027-03-15T06:30:00.000Z', // 02:30 EDT
      '2027-03-16T06:30:00.000Z',
    ]);
  });

  it('fires every time inside the gap only once, at the first minute after it', () => {
    // croner alone skips this day entirely.
    expect(upcoming(ny('*/15 2 * * *'), '2027-03-13T12:00:00Z', 2)).toEqual([
      '2027-03-14T07:00:00.000Z',
      '2027-03-15T06:00:00.000Z',
    ]);
  });

  it('does not fire twice when a gap time and the first minute after the gap coincide', () => {
    expect(upcoming(ny('0 2,3 * * *'), '2027-03-13T12:00:00Z', 3)).toEqual([
      '2027-03-14T07:00:00.000Z',
      '2027-03-15T06:00:00.000Z',
      '2027-03-15T07:00:00.000Z',
    ]);
  });

  it('runs every minute straight through the gap: 01:59 EST, then 03:00 EDT', () => {
    expect(upcoming(ny('* * * * *'), '2027-03-14T06:58:30Z', 3)).toEqual([
      '2027-03-14T06:59:00.000Z',
      '2027-03-14T07:00:00.000Z',
      '2027-03-14T07:01:00.000Z',
    ]);
  });

  it('fires a daily 01:30, which happens twice on the fall-back day, once: at the first 01:30 (EDT)', () => {
    expect(upcoming(ny('30 1 * * *'), '2027-11-06T12:00:00Z', 3)).toEqual([
      '2027-11-07T05:30:00.000Z', // 01:30 EDT; 01:30 EST (06:30Z) does not fire
      '2027-11-08T06:30:00.000Z',
      '2027-11-09T06:30:00.000Z',
    ]);
  });

  it('does not repeat the repeated hour for a rule that runs every half hour', () => {
    // croner alone fires 01:00 and 01:30 twice.
    expect(upcoming(ny('*/30 * * * *'), '2027-11-07T04:15:00Z', 5)).toEqual([
      '2027-11-07T04:30:00.000Z', // 00:30 EDT
      '2027-11-07T05:00:00.000Z', // 01:00 EDT
      '2027-11-07T05:30:00.000Z', // 01:30 EDT
      '2027-11-07T07:00:00.000Z', // 02:00 EST
      '2027-11-07T07:30:00.000Z',
    ]);
  });

  it('asked from inside the second pass of the repeated hour, names the next new wall time', () => {
    expect(next(ny('*/30 * * * *'), '2027-11-07T06:10:00Z')).toBe('2027-11-07T07:00:00.000Z');
  });
});

describe('the daylight-saving rule in Europe/Berlin (2027: 28 March and 31 October)', () => {
  const berlin = (cron: string) => ({ cron, timezone: 'Europe/Berlin' });

  it('fires a daily 02:30 at 03:00 CEST on the spring-forward day', () => {
    expect(upcoming(berlin('30 2 * * *'), '2027-03-27T12:00:00Z', 2)).toEqual([
      '2027-03-28T01:00:00.000Z',
      '2027-03-29T00:30:00.000Z',
    ]);
  });

  it('fires a daily 02:30 once on the fall-back day, at the first 02:30 (CEST)', () => {
    expect(upcoming(berlin('30 2 * * *'), '2027-10-30T12:00:00Z', 2)).toEqual([
      '2027-10-31T00:30:00.000Z',
      '2027-11-01T01:30:00.000Z',
    ]);
  });

  it('keeps a time outside the shifted hour at its wall-clock time across both changes', () => {
    expect(upcoming(berlin('0 9 * * *'), '2027-03-27T12:00:00Z', 2)).toEqual([
      '2027-03-28T07:00:00.000Z',
      '2027-03-29T07:00:00.000Z',
    ]);
    expect(upcoming(berlin('0 9 * * *'), '2027-10-30T12:00:00Z', 2)).toEqual([
      '2027-10-31T08:00:00.000Z',
      '2027-11-01T08:00:00.000Z',
    ]);
  });
});

describe('the repeat field of a request', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.parse('2027-03-01T00:00:00Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const problems = (value: unknown) => {
    const parsed = repeatSchema.safeParse(value);
    return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('defaults the time zone to UTC, names it canonically and writes until in UTC', () => {
    expect(repeatSchema.parse({ cron: '0 21 * * *' })).toEqual({ cron: '0 21 * * *', timezone: 'UTC' });
    expect(
      repeatSchema.parse({ cron: ' 0  21 * * * ', timezone: 'asia/seoul', until: '2027-12-31T23:59:00+09:00' }),
    ).toEqual({
      cron: '0 21 * * *',
      timezone: 'Asia/Seoul',
      until: '2027-12-31T14:59:00.000Z',
    });
  });

  it.each([
    ['0 21 * *', 'cron: must have five fields (minute hour day-of-month month day-of-week), got 4'],
    ['0 0 21 * * *', 'cron: must have five fields (minute hour day-of-month month day-of-week), got 6'],
    ['60 * * * *', 'cron: minute value 60 is out of range 0-59'],
    ['0 24 * * *', 'cron: hour value 24 is out of range 0-23'],
    ['0 0 0 * *', 'cron: day of month value 0 is out of range 1-31'],
    ['0 0 * 13 *', 'cron: month value 13 is out of range 1-12'],
    ['0 0 * * 8', 'cron: day of week value 8 is out of range 0-7'],
    ['0 0 L * *', 'cron: day of month field "L" is not valid (numbers 1-31, *, lists, ranges, steps)'],
    ['0 0 ? * 1', 'cron: day of month field "?" is not valid (numbers 1-31, *, lists, ranges, steps)'],
    ['0 0 * * 5#3', 'cron: day of week field "5#3" is not valid (numbers 0-7 or SUN to SAT, *, lists, ranges, steps)'],
    ['*/0 * * * *', 'cron: minute field "*/0": step 0'],
    ['30-10 * * * *', 'cron: minute range 30-10 runs backwards'],
    ['0 0 31 2 *', 'cron: never fires'],
  ])('refuses the cron %s', (cron, message) => {
    expect(problems({ cron })).toEqual([message]);
  });

  it.each(['Mars/Olympus', '+09:00', 'GMT+9:00', '', 'Asia/Seoul; DROP'])('refuses the time zone %j', (timezone) => {
    expect(problems({ cron: '0 0 * * *', timezone })).toEqual([
      'timezone: must be an IANA time zone such as Asia/Seoul or UTC',
    ]);
  });

  it('refuses an until before the first occurrence, or without an offset', () => {
    expect(problems({ cron: '0 12 * * *', until: '2027-03-01T11:00:00Z' })).toEqual([
      'until: is before the first occurrence (2027-03-01T12:00:00.000Z)',
    ]);
    expect(problems({ cron: '0 12 * * *', until: '2027-03-02T11:00:00' })).toHaveLength(1);
  });

  it('refuses fields it does not know', () => {
    expect(problems({ cron: '0 12 * * *', every: 'day' })).toHaveLength(1);
  });
});
