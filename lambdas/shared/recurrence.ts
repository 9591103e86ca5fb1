// Recurrence rules of recurring alarms and jobs: the next occurrence of a rule (the API's `repeat` schema
// is in repeat-schema.ts, so the consumers that only compute occurrences do not bundle classic zod).
//
// croner does the cron arithmetic, on wall-clock times with no time zone ("floating": a wall time is
// written as if it were UTC); this file maps each wall time to its instant by the contract's daylight-
// saving rule. croner's own time-zone mode differs from that rule in two ways (measured with 11.0.1):
// it runs `*/15 2 * * *` not at all on a spring-forward day (the rule: once, at the first minute after
// the gap), and it runs `*/30 * * * *` on both passes through a repeated hour (the rule: once, at the
// first pass). It agrees for a single fixed time (`30 2 * * *` -> 03:00; `30 1 * * *` once, at the first
// 01:30), which the floating mapping gives too.
import { Cron } from 'croner';

export interface RepeatRule {
  /** Five-field Unix cron: minute hour day-of-month month day-of-week. */
  readonly cron: string;
  /** IANA time zone the cron's wall times are in. */
  readonly timezone: string;
  /** ISO instant (UTC); no occurrence after it. */
  readonly until?: string;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** Wall times looked at per call before giving up: a repeated hour of `* * * * *` is 60 of them. */
const MAX_CANDIDATES = 10_000;

const MONTHS = 'JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC';
const DAYS = 'SUN|MON|TUE|WED|THU|FRI|SAT';

/** A comma list of `*`, `v` or `v-v`, each optionally `/step`. Nothing else (no `?`, `L`, `W`, `#`). */
function fieldPattern(value: string): RegExp {
  const item = `(?:\\*|${value}(?:-${value})?)(?:/\\d{1,2})?`;
  return new RegExp(`^${item}(?:,${item})*$`, 'i');
}

const CRON_FIELDS = [
  { name: 'minute', pattern: fieldPattern('\\d{1,2}'), min: 0, max: 59, names: '' },
  { name: 'hour', pattern: fieldPattern('\\d{1,2}'), min: 0, max: 23, names: '' },
  { name: 'day of month', pattern: fieldPattern('\\d{1,2}'), min: 1, max: 31, names: '' },
  { name: 'month', pattern: fieldPattern(`(?:\\d{1,2}|${MONTHS})`), min: 1, max: 12, names: 'JAN to DEC' },
  { name: 'day of week', pattern: fieldPattern(`(?:\\d|${DAYS})`), min: 0, max: 7, names: 'SUN to SAT' },
] as const;

export class RecurrenceError extends Error {}

const compiled = new Map<string, Cron>();

/** The croner job of a five-field cron, or a RecurrenceError saying what is wrong with it. */
export function compileCron(cron: string): Cron {
  const cached = compiled.get(cron);
  if (cached) return cached;
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5) {
    throw new RecurrenceError(
      `must have five fields (minute hour day-of-month month day-of-week), got ${fields.length}`,
    );
  }
  fields.forEach((field, index) => {
    const spec = CRON_FIELDS[index];
    if (!spec) return;
    const allowed = `numbers ${spec.min}-${spec.max}${spec.names ? ` or ${spec.names}` : ''}, *, lists, ranges, steps`;
    if (!spec.pattern.test(field)) throw new RecurrenceError(`${spec.name} field "${field}" is not valid (${allowed})`);
    const [values = '', step] = field.split('/');
    if (step !== undefined && Number(step) === 0) throw new RecurrenceError(`${spec.name} field "${field}": step 0`);
    for (const item of values.split(',')) {
      const bounds = item === '*' ? [] : item.split('-');
      for (const bound of bounds) {
        if (/^\d+$/.test(bound) && (Number(bound) < spec.min || Number(bound) > spec.max)) {
          throw new RecurrenceError(`${spec.name} value ${bound} is out of range ${spec.min}-${spec.max}`);
        }
      }
      if (bounds.length === 2 && bounds.every((b) => /^\d+$/.test(b)) && Number(bounds[0]) > Number(bounds[1])) {
        throw new RecurrenceError(`${spec.name} range ${item} runs backwards`);
      }
    }
  });
  let job: Cron;
  try {
    // Floating wall times: croner works in UTC, the mapping to the rule's zone is ours. Day of month and
    // day of week combine with OR when both are restricted, as in Unix cron (croner's default).
    job = new Cron(fields.join(' '), { timezone: 'UTC', paused: true });
  } catch (error) {
    throw new RecurrenceError(error instanceof Error ? error.message : String(error));
  }
  compiled.set(cron, job);
  return job;
}

const wallFormats = new Map<string, Intl.DateTimeFormat>();

function wallFormat(timezone: string): Intl.DateTimeFormat {
  let format = wallFormats.get(timezone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    wallFormats.set(timezone, format);
  }
  return format;
}

/** The wall time an instant shows in a zone, as floating epoch ms (the wall time read as UTC). */
function toWall(instant: number, timezone: string): number {
  const parts: Record<string, number> = {};
  for (const part of wallFormat(timezone).formatToParts(new Date(instant))) parts[part.type] = Number(part.value);
  const { year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = parts;
  return Date.UTC(year, month - 1, day, hour, minute, second) + (((instant % 1000) + 1000) % 1000);
}

const offsetAt = (instant: number, timezone: string): number => toWall(instant, timezone) - instant;

/**
 * The instant of a wall time by the contract's rule: a time that happens twice is its first instance;
 * a time that does not exist (the spring-forward gap) is the first minute after the gap.
 */
function wallToInstant(wall: number, timezone: string): number {
  const offsets = [...new Set([offsetAt(wall - DAY_MS, timezone), offsetAt(wall + DAY_MS, timezone)])];
  const exact = offsets.map((offset) => wall - offset).filter((instant) => toWall(instant, timezone) === wall);
  if (exact.length > 0) return Math.min(...exact);
  // In a gap: the instant before it (largest offset) shows an earlier wall time, the one after it a later
  // one. The clock jumps on a minute boundary: find the first minute that shows a time past the wall.
  let lo = Math.floor((wall - Math.max(...offsets)) / MINUTE_MS);
  let hi = Math.ceil((wall - Math.min(...offsets)) / MINUTE_MS);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (toWall(mid * MINUTE_MS, timezone) > wall) hi = mid;
    else lo = mid;
  }
  return hi * MINUTE_MS;
}

/**
 * The first occurrence of the rule strictly after `afterEpochMs` (epoch ms), or undefined when none is
 * left (past `until`, or a rule that never fires). Occurrences are whole minutes. Throws RecurrenceError
 * for a cron `repeatSchema` would refuse (rules read back from the table have passed it).
 */
export function nextOccurrence(rule: RepeatRule, afterEpochMs: number): number | undefined {
  const job = compileCron(rule.cron);
  const until = rule.until === undefined ? Number.POSITIVE_INFINITY : Date.parse(rule.until);
  // Every wall time before the one `afterEpochMs` shows maps to an instant at or before it (the mapping
  // never goes backwards), so the search can start there.
  let cursor = toWall(afterEpochMs, rule.timezone) - 1;
  for (let i = 0; i < MAX_CANDIDATES; i++) {
    const next = job.nextRun(new Date(cursor));
    if (!next) return undefined;
    const wall = next.getTime();
    const instant = wallToInstant(wall, rule.timezone);
    if (instant > afterEpochMs) return instant <= until ? instant : undefined;
    cursor = wall;
  }
  return undefined;
}

/** The next `count` occurrences after `afterEpochMs` (fewer when the rule ends): for views and tests. */
export function upcomingOccurrences(rule: RepeatRule, afterEpochMs: number, count: number): number[] {
  const out: number[] = [];
  let after = afterEpochMs;
  while (out.length < count) {
    const next = nextOccurrence(rule, after);
    if (next === undefined) break;
    out.push(next);
    after = next;
  }
  return out;
}

/** The canonical IANA name of a time zone, or undefined when it is none (offsets like `+09:00` included). */
export function canonicalTimeZone(name: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(name)) return undefined;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}
