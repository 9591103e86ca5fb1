// What the console page shows, built from what the sources read. Pure but for the memory of what it saw
// before (a demo account or a one-off schedule that is gone after its time has fired; nothing else says so).
import { RECURRING_SCHEDULES, SCHEDULE_GROUPS } from '../../lib/definitions.ts';
import type { FcmPush } from '../fcm/fcm.ts';
import { nextFireTime, parseScheduleExpression } from '../scheduler/expressions.ts';
import type { QueueRecord, ScheduleRecord, TableItem, WebhookCall } from './sources.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Recurring schedules: occurrences drawn on the timeline, at most. */
const MAX_OCCURRENCES = 300;
const MAX_FIRED = 300;
const MAX_PUSHES = 100;
const MAX_ROWS = 25;

/** The key shapes of the capabilities the console recognises (lambdas/*: accounts, alarms, absence). */
export const SHAPES = {
  alarmScheduleName: (alarmId: string) => `alarm-${alarmId}`,
  demoScheduleName: (accountId: string) => `demo-${accountId}`,
  jobScheduleName: (jobId: string) => `job-${jobId}`,
} as const;

/** Upper bounds (ms) of the fire-lag histogram's bins; the last bin takes the rest. */
export const LAG_BINS_MS = [100, 250, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000] as const;

export type EntryKind = 'alarm' | 'demo-expiry' | 'absence-run' | 'job' | 'schedule';

export interface UpcomingEntry {
  readonly id: string;
  readonly kind: EntryKind;
  readonly label: string;
  /** When the thing itself is due (an alarm's fireAt, a demo account's expiresAt), epoch ms. */
  readonly dueAt?: number;
  /** The schedule's own next time, and its group. */
  readonly scheduleAt?: number;
  readonly group?: string;
  readonly expression?: string;
  /** Recurring schedules: every time it will fire in the next day. */
  readonly occurrences?: number[];
  readonly overdue?: boolean;
}

export interface FiredEntry {
  readonly id: string;
  readonly kind: EntryKind;
  readonly label: string;
  readonly dueAt: number;
  readonly firedAt: number;
  readonly lagMs?: number;
  readonly status: string;
  /** False when the console only noticed it was gone (lag then includes the console's refresh interval). */
  readonly exact: boolean;
}

export interface QueueView {
  readonly name: string;
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
  readonly deadLetter?: { readonly name: string; readonly depth: number };
}

export interface ConsoleView {
  readonly now: number;
  readonly upcoming: UpcomingEntry[];
  readonly fired: FiredEntry[];
  readonly groups: string[];
  readonly lag: {
    readonly count: number;
    readonly p50Ms?: number;
    readonly p99Ms?: number;
    readonly maxMs?: number;
    readonly bins: { readonly label: string; readonly title: string; readonly count: number }[];
  };
  readonly pushes: { readonly total: number; readonly items: PushView[] };
  readonly webhookCalls: { readonly total: number; readonly items: WebhookCall[] };
  readonly queues: QueueView[];
  /** Dead-letter queues no work queue names (the Scheduler's): moved back to each message's target. */
  readonly otherDeadLetterQueues: { readonly name: string; readonly depth: number }[];
  readonly runs: RunView[];
  readonly accounts: {
    readonly total: number;
    readonly demo: number;
    readonly pendingAlarms: number;
    readonly items: AccountView[];
  };
  readonly errors: string[];
}

export interface PushView {
  readonly time: number;
  readonly deviceToken: string;
  readonly title: string;
  readonly alarmId?: string;
  readonly lagMs?: number;
}

export interface RunView {
  readonly runId: string;
  readonly trigger: string;
  readonly at: number;
  readonly status: string;
  readonly weeks: number;
  readonly absences: number;
  readonly doneChunks: number;
  readonly expectedChunks: number;
  readonly planned: boolean;
  readonly createdAt: number;
  readonly finishedAt?: number;
}

export interface AccountView {
  readonly accountId: string;
  readonly nickname: string;
  readonly demo: boolean;
  readonly expiresAt?: number;
  readonly score: number;
  readonly pendingAlarms: number;
}

export interface Readings {
  readonly now: number;
  readonly schedules?: ScheduleRecord[];
  readonly queues?: QueueRecord[];
  readonly items?: TableItem[];
  readonly pushes: readonly FcmPush[];
  readonly webhookCalls: readonly WebhookCall[];
  readonly errors: string[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown, fallback = 0): number => (typeof v === 'number' ? v : Number(v ?? fallback) || fallback);
const time = (v: unknown): number | undefined => {
  const t = typeof v === 'string' ? Date.parse(v) : Number.NaN;
  return Number.isNaN(t) ? undefined : t;
};

/** Next fire and the occurrences within `horizon` of a schedule, as the Scheduler computes them. */
export function firesOf(schedule: ScheduleRecord, now: number, horizon: number): number[] {
  if (schedule.state !== 'ENABLED') return [];
  let parsed: ReturnType<typeof parseScheduleExpression>;
  try {
    parsed = parseScheduleExpression(schedule.expression, schedule.timezone);
  } catch {
    return [];
  }
  // A one-off schedule past its time is firing (within its window) or being retried: show its time.
  if (parsed.kind === 'at') return [parsed.fireAt];
  const window = {
    ...(schedule.startDate === undefined ? {} : { startDate: schedule.startDate }),
    ...(schedule.endDate === undefined ? {} : { endDate: schedule.endDate }),
    // Fire times fall on whole seconds, as the Scheduler's do.
    rateAnchor: Math.ceil(schedule.creationDate / 1000) * 1000,
  };
  const out: number[] = [];
  let from = now;
  while (out.length < MAX_OCCURRENCES) {
    const next = nextFireTime(parsed, from, window);
    if (next === undefined || next > now + horizon) break;
    out.push(next);
    from = next + 1000;
  }
  return out;
}

export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function lagBins(lags: readonly number[]): { label: string; title: string; count: number }[] {
  const seconds = (ms: number) => `${ms / 1000} s`;
  const last = LAG_BINS_MS[LAG_BINS_MS.length - 1] as number;
  const bins = LAG_BINS_MS.map((upper, i) => ({
    label: `<${upper / 1000}s`,
    title: i === 0 ? `under ${seconds(upper)}` : `${seconds(LAG_BINS_MS[i - 1] as number)} to ${seconds(upper)}`,
    count: 0,
  }));
  bins.push({ label: `≥${last / 1000}s`, title: `${seconds(last)} or more`, count: 0 });
  for (const lag of lags) {
    const index = LAG_BINS_MS.findIndex((upper) => lag < upper);
    const bin = bins[index === -1 ? bins.length - 1 : index];
    if (bin) bin.count++;
  }
  return bins;
}

export class ConsoleModel {
  /** What was pending at the last reading, to notice what has gone since. */
  private seenDemo = new Map<string, { label: string; dueAt: number }>();
  private seenOneOff = new Map<string, { label: string; dueAt: number; kind: EntryKind }>();
  private observedFired: FiredEntry[] = [];

  build(r: Readings): ConsoleView {
    const { now } = r;
    const items = r.items ?? [];
    const schedules = r.schedules ?? [];
    const byKey = new Map(schedules.map((s) => [`${s.group}/${s.name}`, s]));
    const claimed = new Set<string>();
    const scheduleOf = (group: string, name: string) => {
      const key = `${group}/${name}`;
      const found = byKey.get(key);
      if (found) claimed.add(key);
      return found;
    };

    const profiles = items.filter((i) => i.sk === 'PROFILE' && i.pk.startsWith('ACCOUNT#'));
    const alarms = items.filter((i) => i.sk.startsWith('ALARM#') && i.pk.startsWith('ACCOUNT#'));
    const runs = items.filter((i) => i.sk === 'RUN' && i.pk.startsWith('RUN#'));

    const upcoming: UpcomingEntry[] = [];
    const fired: FiredEntry[] = [];
    const alarmFireAt = new Map<string, number>();
    const sentLags: number[] = [];

    for (const a of alarms) {
      const alarmId = str(a.alarmId) ?? a.sk.slice('ALARM#'.length);
      // A recurring alarm names its next occurrence in the due index's sort key instead of fireAt.
      const fireAt = time(a.fireAt) ?? time(a.dueAt);
      if (fireAt === undefined) continue;
      alarmFireAt.set(alarmId, fireAt);
      const label = `${str(a.title) ?? alarmId}`;
      const status = str(a.status) ?? 'PENDING';
      if (status === 'PENDING') {
        const schedule = scheduleOf(SCHEDULE_GROUPS.alarms.id, SHAPES.alarmScheduleName(alarmId));
        upcoming.push(dueEntry({ id: `alarm:${alarmId}`, kind: 'alarm', label, dueAt: fireAt }, schedule, now));
      } else if (status === 'SENT' || status === 'FAILED' || status === 'SKIPPED') {
        // The timer core records a SENT alarm's push as `finishedAt`; alarms stored before it, as `sentAt`.
        const sentAt = time(a.sentAt) ?? (status === 'SENT' ? time(a.finishedAt) : undefined);
        const lagMs = sentAt === undefined ? undefined : sentAt - fireAt;
        if (lagMs !== undefined) sentLags.push(lagMs);
        fired.push({
          id: `alarm:${alarmId}`,
          kind: 'alarm',
          label: status === 'FAILED' ? `${label} (${str(a.failureReason) ?? 'failed'})` : label,
          dueAt: fireAt,
          firedAt: sentAt ?? fireAt,
          ...(lagMs === undefined ? {} : { lagMs }),
          status,
          exact: sentAt !== undefined,
        });
      }
    }

    // Webhook jobs: a pending one (or a recurring one's next run) on the timeline; its runs as fired.
    for (const j of items.filter((i) => i.sk.startsWith('JOB#') && i.pk.startsWith('ACCOUNT#'))) {
      const jobId = str(j.jobId) ?? j.sk.slice('JOB#'.length);
      const dueAt = time(j.dueAt);
      if (str(j.status) !== 'PENDING' || dueAt === undefined) continue;
      const schedule = scheduleOf(SCHEDULE_GROUPS.jobs.id, SHAPES.jobScheduleName(jobId));
      upcoming.push(dueEntry({ id: `job:${jobId}`, kind: 'job', label: str(j.url) ?? jobId, dueAt }, schedule, now));
    }
    for (const run of items.filter((i) => i.sk.startsWith('JOBRUN#'))) {
      const dueAt = time(run.dueAt);
      const finishedAt = time(run.finishedAt);
      if (dueAt === undefined || finishedAt === undefined) continue;
      fired.push({
        id: `jobrun:${run.sk}`,
        kind: 'job',
        label: `job ${str(run.jobId) ?? ''}`,
        dueAt,
        firedAt: finishedAt,
        lagMs: finishedAt - dueAt,
        status: str(run.status) ?? 'SUCCEEDED',
        // Recorded after the last call, so it includes the call itself (and any retries).
        exact: false,
      });
    }

    const demoNow = new Map<string, { label: string; dueAt: number }>();
    for (const p of profiles) {
      const accountId = str(p.accountId) ?? p.pk.slice('ACCOUNT#'.length);
      const expiresAt = time(p.expiresAt);
      if (p.demo !== true || expiresAt === undefined) continue;
      const label = `${str(p.nickname) ?? accountId}`;
      demoNow.set(accountId, { label, dueAt: expiresAt });
      const schedule = scheduleOf(SCHEDULE_GROUPS.demoAccounts.id, SHAPES.demoScheduleName(accountId));
      upcoming.push(dueEntry({ id: `demo:${accountId}`, kind: 'demo-expiry', label, dueAt: expiresAt }, schedule, now));
    }

    const oneOffNow = new Map<string, { label: string; dueAt: number; kind: EntryKind }>();
    for (const s of schedules) {
      const key = `${s.group}/${s.name}`;
      if (claimed.has(key)) continue;
      const occurrences = firesOf(s, now, DAY_MS);
      const kind: EntryKind =
        s.name === RECURRING_SCHEDULES.nightlyAbsence.id ? 'absence-run' : /job/i.test(s.group) ? 'job' : 'schedule';
      const first = occurrences[0];
      const isOneOff = s.expression.startsWith('at(');
      if (isOneOff && first !== undefined) oneOffNow.set(key, { label: s.name, dueAt: first, kind });
      upcoming.push({
        id: `schedule:${key}`,
        kind,
        label: s.name,
        group: s.group,
        expression: s.timezone === 'UTC' ? s.expression : `${s.expression} ${s.timezone}`,
        ...(first === undefined ? {} : { scheduleAt: first }),
        ...(isOneOff ? {} : { occurrences }),
      });
    }

    // Only when the readings succeeded: a failed read must not look like everything fired.
    if (r.items) {
      for (const [accountId, seen] of this.seenDemo) {
        if (!demoNow.has(accountId) && now >= seen.dueAt) this.observe(`demo:${accountId}`, 'demo-expiry', seen, now);
      }
      this.seenDemo = demoNow;
    }
    if (r.schedules) {
      for (const [key, seen] of this.seenOneOff) {
        if (!oneOffNow.has(key) && now >= seen.dueAt) this.observe(`schedule:${key}`, seen.kind, seen, now);
      }
      this.seenOneOff = oneOffNow;
    }

    for (const run of runs) {
      const at = time(run.at);
      const createdAt = time(run.createdAt);
      if (at === undefined || createdAt === undefined) continue;
      const trigger = str(run.trigger) ?? 'schedule';
      fired.push({
        id: `run:${str(run.runId)}`,
        kind: 'absence-run',
        label: `absence run (${trigger})`,
        dueAt: at,
        firedAt: createdAt,
        // A run asked for through the API is "due" when asked; the nightly one at midnight Seoul.
        ...(trigger === 'schedule' ? { lagMs: createdAt - at } : {}),
        status: str(run.status) ?? 'RUNNING',
        exact: true,
      });
    }

    fired.push(...this.observedFired);
    fired.sort((a, b) => b.firedAt - a.firedAt);
    upcoming.sort((a, b) => earliest(a) - earliest(b));

    const sorted = [...sentLags].sort((a, b) => a - b);
    const pushes = [...r.pushes].reverse().slice(0, MAX_PUSHES);
    const queues = r.queues ?? [];
    const byArn = new Map(queues.map((q) => [q.arn, q]));
    const deadLetterArns = new Set(queues.flatMap((q) => (q.deadLetterTargetArn ? [q.deadLetterTargetArn] : [])));
    const isDlq = (q: QueueRecord) => deadLetterArns.has(q.arn) || q.name.endsWith('-dlq');
    const depth = (q: QueueRecord) => q.visible + q.inFlight + q.delayed;

    return {
      now,
      upcoming: upcoming.filter((e) => earliest(e) <= now + DAY_MS),
      fired: fired.slice(0, MAX_FIRED),
      groups: [...new Set([...Object.values(SCHEDULE_GROUPS).map((g) => g.id), ...schedules.map((s) => s.group)])],
      lag: {
        count: sorted.length,
        ...optional('p50Ms', percentile(sorted, 50)),
        ...optional('p99Ms', percentile(sorted, 99)),
        ...optional('maxMs', sorted[sorted.length - 1]),
        bins: lagBins(sorted),
      },
      pushes: {
        total: r.pushes.length,
        items: pushes.map((p) => {
          const pushedAt = Date.parse(p.time);
          const alarmId = p.data.alarmId;
          const fireAt = alarmId ? alarmFireAt.get(alarmId) : undefined;
          return {
            time: pushedAt,
            deviceToken: p.deviceToken,
            title: p.title,
            ...(alarmId ? { alarmId } : {}),
            ...(fireAt === undefined ? {} : { lagMs: pushedAt - fireAt }),
          };
        }),
      },
      webhookCalls: { total: r.webhookCalls.length, items: r.webhookCalls.slice(0, MAX_PUSHES) },
      queues: queues
        .filter((q) => !isDlq(q))
        .map((q) => {
          const dlq = q.deadLetterTargetArn ? byArn.get(q.deadLetterTargetArn) : undefined;
          return {
            name: q.name,
            visible: q.visible,
            inFlight: q.inFlight,
            delayed: q.delayed,
            ...(dlq ? { deadLetter: { name: dlq.name, depth: depth(dlq) } } : {}),
          };
        }),
      otherDeadLetterQueues: queues
        .filter((q) => isDlq(q) && !deadLetterArns.has(q.arn))
        .map((q) => ({ name: q.name, depth: depth(q) })),
      runs: runs
        .map((run) => ({
          runId: str(run.runId) ?? run.pk.slice('RUN#'.length),
          trigger: str(run.trigger) ?? '',
          at: time(run.at) ?? 0,
          status: str(run.status) ?? '',
          weeks: num(run.weeks),
          absences: num(run.absences),
          doneChunks: num(run.doneChunks),
          expectedChunks: num(run.expectedChunks),
          planned: run.planned === true,
          createdAt: time(run.createdAt) ?? 0,
          ...optional('finishedAt', time(run.finishedAt)),
        }))
        .sort((a, b) => b.createdAt - a.createdAt)
        .slice(0, MAX_ROWS),
      accounts: {
        total: profiles.length,
        demo: profiles.filter((p) => p.demo === true).length,
        pendingAlarms: alarms.filter((a) => a.status === 'PENDING').length,
        items: profiles
          .map((p) => ({
            accountId: str(p.accountId) ?? p.pk.slice('ACCOUNT#'.length),
            nickname: str(p.nickname) ?? '',
            demo: p.demo === true,
            ...optional('expiresAt', time(p.expiresAt)),
            score: num(p.score),
            pendingAlarms: num(p.pendingAlarms),
            createdAt: time(p.createdAt) ?? 0,
          }))
          .sort((a, b) => b.createdAt - a.createdAt)
          .slice(0, MAX_ROWS)
          .map(({ createdAt: _, ...account }) => account),
      },
      errors: r.errors,
    };
  }

  private observe(id: string, kind: EntryKind, seen: { label: string; dueAt: number }, now: number): void {
    const label = kind === 'demo-expiry' ? `${seen.label} deleted` : seen.label;
    this.observedFired.unshift({
      id,
      kind,
      label,
      dueAt: seen.dueAt,
      firedAt: now,
      lagMs: now - seen.dueAt,
      status: 'DONE',
      exact: false,
    });
    this.observedFired.length = Math.min(this.observedFired.length, MAX_FIRED);
  }
}

/** A due item with the schedule that should fire it (if one exists), and whether it is overdue. */
function dueEntry(
  entry: Pick<UpcomingEntry, 'id' | 'kind' | 'label'> & { dueAt: number },
  schedule: ScheduleRecord | undefined,
  now: number,
): UpcomingEntry {
  const scheduleAt = schedule ? firesOf(schedule, now, DAY_MS)[0] : undefined;
  return {
    ...entry,
    ...(schedule ? { group: schedule.group, expression: schedule.expression } : {}),
    ...(scheduleAt === undefined ? {} : { scheduleAt }),
    ...(entry.dueAt < now ? { overdue: true } : {}),
  };
}

const earliest = (e: UpcomingEntry): number =>
  Math.min(e.dueAt ?? Number.POSITIVE_INFINITY, e.scheduleAt ?? Number.POSITIVE_INFINITY);

function optional<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}
