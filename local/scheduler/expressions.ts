// EventBridge Scheduler's schedule expressions (at, rate, cron) turned into fire times, with the
// Scheduler's own rules for time zones and daylight saving time. Pure: no clock, no timers.
import { Cron } from 'croner';

/** A malformed expression or time zone; the API answers it with a ValidationException. */
export class ScheduleExpressionError extends Error {
  override readonly name = 'ScheduleExpressionError';
}

export type ParsedScheduleExpression =
  /** `at()`: one instant, the wall-clock time resolved in the schedule's time zone. */
  | { readonly kind: 'at'; readonly fireAt: number }
  | { readonly kind: 'rate'; readonly intervalMs: number }
  | { readonly kind: 'cron'; readonly cron: Cron; readonly timeZone: string };

/** What bounds a recurring schedule; one-time (`at`) schedules ignore it, as AWS does. */
export interface ScheduleWindow {
  /** Epoch ms; no fire before it. */
  readonly startDate?: number;
  /** Epoch ms; no fire at or after it. */
  readonly endDate?: number;
  /** Epoch ms a `rate()` counts its intervals from when there is no start date (creation time). */
  readonly rateAnchor: number;
}

export interface WallClock {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

const MINUTE_MS = 60_000;
const RATE_UNIT_MS: Record<string, number> = {
  minute: MINUTE_MS,
  minutes: MINUTE_MS,
  hour: 60 * MINUTE_MS,
  hours: 60 * MINUTE_MS,
  // AWS: a day of rate() is 24 hours of elapsed time, even across a DST change.
  day: 24 * 60 * MINUTE_MS,
  days: 24 * 60 * MINUTE_MS,
};

export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Parses a schedule expression. `timeZone` is ScheduleExpressionTimezone (UTC when absent): it
 * places at() and cron() on the wall clock; rate() does not use it.
 */
export function parseScheduleExpression(expression: string, timeZone = 'UTC'): ParsedScheduleExpression {
  if (!isValidTimeZone(timeZone)) throw new ScheduleExpressionError(`Invalid time zone ${timeZone}.`);
  const call = /^(at|rate|cron)\((.*)\)$/.exec(expression.trim());
  if (!call) throw new ScheduleExpressionError(`Invalid Schedule Expression ${expression}.`);
  const [, kind, body = ''] = call;
  if (kind === 'at') return { kind, fireAt: wallClockToInstant(parseAtBody(body, expression), timeZone) };
  if (kind === 'rate') return { kind, intervalMs: parseRateBody(body, expression) };
  return { kind: 'cron', cron: compileCron(body, expression, timeZone), timeZone };
}

/**
 * The first fire time at or after `from` (epoch ms), or undefined when the schedule never fires
 * again. For at() that is its instant if not yet passed; the emulator decides what a past at() does.
 */
export function nextFireTime(
  expression: ParsedScheduleExpression,
  from: number,
  window: ScheduleWindow,
): number | undefined {
  if (expression.kind === 'at') return expression.fireAt >= from ? expression.fireAt : undefined;
  const earliest = Math.max(from, window.startDate ?? Number.NEGATIVE_INFINITY);
  const next =
    expression.kind === 'rate'
      ? nextRateTime(expression.intervalMs, window.startDate ?? window.rateAnchor, earliest)
      : nextCronTime(expression, earliest);
  if (next === undefined || (window.endDate !== undefined && next >= window.endDate)) return undefined;
  return next;
}

function nextRateTime(intervalMs: number, anchor: number, from: number): number {
  if (from <= anchor) return anchor;
  return anchor + Math.ceil((from - anchor) / intervalMs) * intervalMs;
}

/**
 * AWS on daylight saving time: "When the time shifts forward in Spring, your schedule invocation gets
 * skipped if the cron expression falls on a non-existent date and time. When the time shifts back in
 * the Fall, your schedule runs only once and doesn't repeat its invocation."
 * croner instead moves a fixed time out of the spring gap (02:30 -> 03:00) and runs interval jobs on
 * both passes through the repeated hour, so its candidates are filtered: a candidate whose wall clock
 * does not match the pattern (moved out of a gap) or that is the second pass of a repeated wall-clock
 * time is skipped.
 */
function nextCronTime(expression: { cron: Cron; timeZone: string }, from: number): number | undefined {
  let after = from - 1;
  for (let candidates = 0; candidates < 1000; candidates++) {
    const next = expression.cron.nextRun(new Date(after));
    if (!next) return undefined;
    const instant = next.getTime();
    const inGapOrRepeat =
      !expression.cron.match(next) ||
      wallClockToInstant(instantToWallClock(instant, expression.timeZone), expression.timeZone) !== instant;
    if (!inGapOrRepeat) return instant;
    after = instant;
  }
  return undefined;
}

function parseAtBody(body: string, expression: string): WallClock {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(body);
  if (!match) throw new ScheduleExpressionError(`Invalid Schedule Expression ${expression}.`);
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const check = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  const real =
    check.getUTCFullYear() === year &&
    check.getUTCMonth() === month - 1 &&
    check.getUTCDate() === day &&
    check.getUTCHours() === hour &&
    check.getUTCMinutes() === minute &&
    check.getUTCSeconds() === second;
  if (!real) throw new ScheduleExpressionError(`Invalid Schedule Expression ${expression}: no such date.`);
  return { year, month, day, hour, minute, second };
}

function parseRateBody(body: string, expression: string): number {
  const match = /^(\d+) (minutes?|hours?|days?)$/.exec(body);
  const value = Number(match?.[1]);
  const unitMs = RATE_UNIT_MS[match?.[2] ?? ''];
  if (!match || unitMs === undefined || !Number.isSafeInteger(value) || value < 1) {
    throw new ScheduleExpressionError(`Invalid Schedule Expression ${expression}.`);
  }
  return value * unitMs;
}

const MONTHS = 'JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC';
const DAYS = 'SUN|MON|TUE|WED|THU|FRI|SAT';

/** A comma list of `*`, `v`, `v-v`, each optionally `/step`, plus the field's own specials. */
function fieldPattern(value: string, specials: readonly string[] = []): RegExp {
  const item = `(?:\\*|${value}(?:-${value})?)(?:/\\d+)?`;
  const single = [item, ...specials].join('|');
  return new RegExp(`^(?:${single})(?:,(?:${single}))*$`, 'i');
}

const CRON_FIELDS = [
  { name: 'minutes', pattern: fieldPattern('\\d{1,2}'), min: 0, max: 59 },
  { name: 'hours', pattern: fieldPattern('\\d{1,2}'), min: 0, max: 23 },
  { name: 'day-of-month', pattern: fieldPattern('\\d{1,2}', ['\\?', 'L', 'LW', '\\d{1,2}W']), min: 1, max: 31 },
  { name: 'month', pattern: fieldPattern(`(?:\\d{1,2}|${MONTHS})`), min: 1, max: 12 },
  {
    name: 'day-of-week',
    pattern: fieldPattern(`(?:\\d|${DAYS})`, ['\\?', 'L', `(?:\\d|${DAYS})L`, `(?:\\d|${DAYS})#[1-5]`]),
    min: 1,
    max: 7,
  },
  { name: 'year', pattern: fieldPattern('\\d{4}'), min: 1970, max: 2199 },
] as const;

/**
 * AWS cron is Quartz-flavoured: six fields (minutes hours day-of-month month day-of-week year),
 * day-of-week 1-7 = SUN-SAT, and exactly one of day-of-month / day-of-week is `?`. croner computes
 * the dates from a 7-part pattern (seconds first, year last) in Quartz weekday mode; because one day
 * field is always `?` (translated to `*`), AND-ing the two day fields gives the AWS meaning.
 */
function compileCron(body: string, expression: string, timeZone: string): Cron {
  const invalid = (why: string) => new ScheduleExpressionError(`Invalid Schedule Expression ${expression}: ${why}.`);
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6) throw invalid('a cron expression has six fields');
  fields.forEach((field, index) => {
    const spec = CRON_FIELDS[index];
    if (!spec?.pattern.test(field)) throw invalid(`bad ${spec?.name ?? 'field'} field ${field}`);
    // Steps (`/15`) and nth-weekday counts (`#3`) are not field values; everything else must fit.
    const values = field.replace(/[/#]\d+/g, '').match(/\d+/g) ?? [];
    const outside = values.find((v) => Number(v) < spec.min || Number(v) > spec.max);
    if (outside !== undefined) throw invalid(`${spec.name} value ${outside} is out of range`);
  });
  const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
    throw invalid('exactly one of day-of-month and day-of-week must be ?');
  }
  const cronerDayOfWeek = dayOfWeek
    .split(',')
    .map((item) => {
      if (item === '?') return '*';
      // Quartz: `L` alone is the last day of the week (Saturday); `5L` is the month's last Thursday.
      if (item.toUpperCase() === 'L') return '7';
      return item.replace(/^(\w+)L$/i, '$1#L');
    })
    .join(',');
  const cronerDayOfMonth = dayOfMonth === '?' ? '*' : dayOfMonth;
  try {
    return new Cron(`0 ${minutes} ${hours} ${cronerDayOfMonth} ${month} ${cronerDayOfWeek} ${year}`, {
      timezone: timeZone,
      mode: '7-part',
      alternativeWeekdays: true,
      domAndDow: true,
      // AWS writes `0/15` for "every 15 from 0", which croner calls a sloppy range.
      sloppyRanges: true,
      paused: true,
    });
  } catch (error) {
    throw invalid(error instanceof Error ? error.message : String(error));
  }
}

const wallClockFormats = new Map<string, Intl.DateTimeFormat>();

function wallClockFormat(timeZone: string): Intl.DateTimeFormat {
  let format = wallClockFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    wallClockFormats.set(timeZone, format);
  }
  return format;
}

/** The wall clock in `timeZone` at an instant (epoch ms, whole seconds). */
export function instantToWallClock(instant: number, timeZone: string): WallClock {
  const parts: Record<string, number> = {};
  for (const part of wallClockFormat(timeZone).formatToParts(new Date(instant))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts['year'] ?? 0,
    month: parts['month'] ?? 0,
    day: parts['day'] ?? 0,
    hour: parts['hour'] ?? 0,
    minute: parts['minute'] ?? 0,
    second: parts['second'] ?? 0,
  };
}

function offsetAt(instant: number, timeZone: string): number {
  const wall = instantToWallClock(instant, timeZone);
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant a wall-clock time in `timeZone` names. A time that occurs twice (autumn) is its first
 * occurrence; a time that does not exist (spring gap) is moved forward by the gap, so
 * at(2025-03-09T02:30:00) in America/New_York is 03:30 EDT. AWS does not document at() in a gap; this
 * is what JavaScript's Temporal calls "compatible".
 */
export function wallClockToInstant(wall: WallClock, timeZone: string): number {
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  // Offsets half a day either side cover any single transition near this wall-clock time.
  const offsetBefore = offsetAt(asUtc - 12 * 60 * MINUTE_MS, timeZone);
  const offsetAfter = offsetAt(asUtc + 12 * 60 * MINUTE_MS, timeZone);
  const candidates = [asUtc - offsetBefore, asUtc - offsetAfter]
    .filter((instant) => offsetAt(instant, timeZone) === asUtc - instant)
    .sort((a, b) => a - b);
  return candidates[0] ?? asUtc - offsetBefore;
}
